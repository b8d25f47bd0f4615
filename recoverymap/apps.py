"""The admin app with the staff site of recoverymap.admin_sites as its default site
(loaded before any model, so this module imports none)."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "recoverymap.admin_sites.StaffAdminSite"
