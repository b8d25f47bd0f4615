"""Both admins sign people in through the site's own account pages (allauth), which verify
email addresses and rate-limit attempts; Django's own admin login form has no limit.

``StaffAdminSite`` is the default admin site (/admin/, see recoverymap.apps); the
organizers' site (/manage/, accounts.admin) shares the same sign-in. Both answer input
their own views would fail on (a NUL character, ``RefusesUnreadable``) with a 400 page,
and ``HistoryAdmin`` turns history URLs with impossible ids into 404s.
"""

import functools

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from simple_history.admin import SimpleHistoryAdmin


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


# Input the admins' own views do not guard against ---------------------------------------


def unreadable(request, opts=None) -> bool:
    """A request the admins' own views would answer with a 500: a NUL character
    anywhere in the path, the query or a posted form (PostgreSQL cannot compare text
    holding one, and the admins' search, list filters and autocomplete pass parameters
    to queries unchecked), or a ``_to_field`` Django's checks trip over (empty, or a
    reverse relation of ``opts``, the model's options)."""
    if "\x00" in request.path:
        return True
    to_field = request.POST.get("_to_field", request.GET.get("_to_field"))
    if to_field is not None and (to_field == "" or _is_reverse_relation(opts, to_field)):
        return True
    sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for data in sources:
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


def _is_reverse_relation(opts, name: str) -> bool:
    try:
        field = opts.get_field(name) if opts is not None else None
    except FieldDoesNotExist:
        return False  # the admin refuses an unknown field itself
    return field is not None and field.auto_created and not field.concrete


def unreadable_request(request) -> HttpResponse:
    body = loader.get_template("400.html").render({})
    return HttpResponseBadRequest(body)


class RefusesUnreadable:
    """An AdminSite whose every view answers an ``unreadable`` request with a 400 page."""

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)
        opts = getattr(getattr(view, "__self__", None), "opts", None)  # a ModelAdmin's

        @functools.wraps(inner)
        def refusing_unreadable(request, *args, **kwargs):
            if unreadable(request, opts):
                return unreadable_request(request)
            return inner(request, *args, **kwargs)

        return refusing_unreadable


def history_ids_or_404(model, object_id, version_id=None) -> None:
    """A history URL's ids that cannot be ids (``abc``, ``None``) are a 404: simple-history
    passes them to queries, where they raise (a 500)."""
    checks = [(model._meta.pk, object_id)]
    if version_id is not None:
        checks.append((model.history.model._meta.pk, version_id))
    for field, value in checks:
        try:
            field.to_python(unquote(value))
        except ValidationError:
            raise Http404 from None


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin, its history URLs checked by ``history_ids_or_404``."""

    def history_view(self, request, object_id, extra_context=None):
        history_ids_or_404(self.model, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history_ids_or_404(self.model, object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class StaffAdminSite(RefusesUnreadable, SignInThroughAccounts, admin.AdminSite):
    """/admin/: staff only, everything."""
