"""Admin for accounts, and the organizers' admin site at /manage/.

The main admin (/admin/) is for staff and shows everything. Organizers are not Django
staff: they sign in through the site's own pages and use ``organizer_site``, the same
admin machinery with every list scoped to their own groups, those groups' meetings, the
locations those meetings use and the reports on them (see directory/admin.py and
meetings/admin.py for what each model shows there).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.forms import UserCreationForm, UserEditForm
from accounts.models import User
from recoverymap.admin_sites import HistoryAdmin, RefusesUnreadable, SignInThroughAccounts
from recoverymap.lib.anonymity import anonymity_warnings


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]


class OrganizerAdminSite(RefusesUnreadable, SignInThroughAccounts, admin.AdminSite):
    """/manage/: where organizers keep their own listings right.

    Open to active people who organize at least one group, and to staff (who see
    everything here too). Signing in and changing a password happen on the site's
    account pages, which verify email addresses and rate-limit attempts.
    """

    site_header = _("RecoveryMap: manage your listings")
    site_title = _("RecoveryMap organizers")
    index_title = _("Your groups, meetings and places")
    site_url = "/"

    def has_permission(self, request):
        user = request.user
        return (
            user.is_authenticated
            and user.is_active
            and (user.is_staff or user.organized_groups.exists())
        )

    def get_urls(self):
        """The admin's "view on site" (r/<type>/<id>/) redirects to the public page of
        any object; here only to one of the person's own (else a 404)."""
        scoped = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [
            scoped if getattr(u, "name", None) == "view_on_site" else u for u in super().get_urls()
        ]

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ValueError, ContentType.DoesNotExist):
            raise Http404 from None
        model_admin = self._registry.get(model)
        if model_admin is None:
            raise Http404
        obj = model_admin.get_object(request, unquote(object_id))  # 404 outside the scope
        if not model_admin.has_view_permission(request, obj):
            raise Http404
        return shortcut(request, content_type_id, object_id)


organizer_site = OrganizerAdminSite(name="manage")


class AnonymityWarningsMixin:
    """After a save, warn (never block) when public text looks like it names someone or
    gives a personal email address or phone number. ``anonymity_fields`` lists the
    public text fields; the contact fields are deliberately not among them."""

    anonymity_fields: tuple[str, ...] = ()

    def warn_about_anonymity(self, request, obj) -> None:
        for name in self.anonymity_fields:
            for warning in anonymity_warnings(getattr(obj, name, "") or ""):
                label = capfirst(obj._meta.get_field(name).verbose_name)
                messages.warning(request, f"{label}: {warning}")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.warn_about_anonymity(request, obj)


class OrganizerAdminMixin:
    """Permissions in /manage/ come from what a person organizes, not from Django's
    model permissions (organizers have none): each admin scopes ``get_queryset`` to the
    person, and anything outside that scope is a 404, whatever the URL."""

    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def has_add_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def _in_scope(self, request, obj) -> bool:
        if not self.admin_site.has_permission(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # The stock admin redirects to its index with "doesn't exist"; here another
            # group's object must look exactly like one that does not exist.
            raise Http404
        return obj


class OrganizerHistoryAdmin(OrganizerAdminMixin, AnonymityWarningsMixin, HistoryAdmin):
    """An organizer's admin for a model with history (groups, meetings, locations).

    Organizers see the history of their own listings, with who changed what (named by
    display name, never by email address), but cannot revert: reverting can bring back
    a location or group outside their scope, so undo is for staff, in /admin/.
    """

    object_history_list_template = "admin/manage/object_history_list.html"

    def history_view(self, request, object_id, extra_context=None):
        self.get_object(request, unquote(object_id))  # 404 outside the person's scope
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.get_object(request, unquote(object_id))
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True
