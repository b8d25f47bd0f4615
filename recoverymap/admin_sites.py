"""Both admins sign people in through the site's own account pages (allauth), which verify
email addresses and rate-limit attempts; Django's own admin login form has no limit.

``StaffAdminSite`` is the default admin site (/admin/, see recoverymap.apps); the
organizers' site (/manage/, accounts.admin) shares the same sign-in.
"""

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


class SignInThroughAccounts:
    """An AdminSite's login and password change, sent to the account pages."""

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Signed in, but nothing on this site is theirs.
            raise PermissionDenied
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse(f"{self.name}:index")
        return redirect_to_login(next_url, login_url=reverse("account_login"))

    def password_change(self, request, extra_context=None):
        return redirect("account_change_password")


class StaffAdminSite(SignInThroughAccounts, admin.AdminSite):
    """/admin/: staff only, everything."""
