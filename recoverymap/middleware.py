"""The database unreachable: a friendly 503 page instead of a traceback; signed-in pages
kept out of shared caches (``PrivateWhenSignedInMiddleware``); and the visitor's language
(``LanguageChoiceMiddleware``, at the end).

``DatabaseUnavailableMiddleware`` catches the database errors a view raises; the
``server_error`` handler (``handler500`` in the root URLs) catches those raised anywhere
else while handling a request (another middleware, a template). Both answer with
``503.html``, rendered without a request context: the context processors would ask the
database for the user, and the database is what is missing.
"""

import logging
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.template import loader
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import requires_csrf_token

from recoverymap.lib.languages import browser_language, has_language, page_in

logger = logging.getLogger("recoverymap.faults")

DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds a client (or a load balancer's health check) should wait before trying again.
RETRY_AFTER_SECONDS = 60


def database_unavailable(request, error: Exception) -> HttpResponse:
    logger.error(
        "Database unavailable while handling %s %s: %s",
        request.method,
        request.path,
        error,
        exc_info=error,
    )
    body = loader.get_template("503.html").render({})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


@requires_csrf_token
def server_error(request):
    """Django's 500 handler, but a database error in flight gives the 503 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request, error)
    return HttpResponseServerError(loader.get_template("500.html").render({}))


class LanguageChoiceMiddleware:
    """The visitor's language, after Django's LocaleMiddleware has read it from the
    address (``/es/...`` is Spanish, every other page English).

    A first visit (no language remembered) to an English page, from a browser that
    prefers Spanish, is sent to the Spanish page. After that the language of the last
    page read is remembered (a cookie), so a visitor who switches back to English stays
    there; a signed-in person's choice is kept on their account too, for the emails
    they get.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        remembered = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        first_visit = remembered is None and request.method in ("GET", "HEAD")
        if first_visit and translation.get_language_from_path(request.path_info) is None:
            # An English address (a Spanish one was chosen by whoever shared it).
            preferred = browser_language(request)
            page = request.get_full_path()
            if preferred != settings.LANGUAGE_CODE and has_language(page):
                response = HttpResponseRedirect(page_in(page, preferred))
                patch_vary_headers(response, ["Accept-Language", "Cookie"])
                _remember(response, preferred)
                return response
        response = self.get_response(request)
        language = translation.get_language()
        user = getattr(request, "user", None)
        remember = remembered != language and response.status_code == 200
        keep = user is not None and user.is_authenticated and user.language != language
        if (remember or keep) and has_language(request.path_info):
            if remember:
                _remember(response, language)
            if keep:
                get_user_model().objects.filter(pk=user.pk).update(language=language)
        return response


def _remember(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


class PrivateWhenSignedInMiddleware:
    """Pages for a signed-in person (their name in the header, their listings) are
    ``Cache-Control: private``: no shared cache between them and us may keep one and
    show it to someone else. Responses that say how to cache themselves (the feed is
    the same for everyone; the admins send ``never_cache``) are left as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and request.user.is_authenticated:
            patch_cache_control(response, private=True)
        return response
