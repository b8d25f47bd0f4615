"""The database unreachable: a friendly 503 page instead of a traceback.

``DatabaseUnavailableMiddleware`` catches the database errors a view raises; the
``server_error`` handler (``handler500`` in the root URLs) catches those raised anywhere
else while handling a request (another middleware, a template). Both answer with
``503.html``, rendered without a request context: the context processors would ask the
database for the user, and the database is what is missing.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

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
