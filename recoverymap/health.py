"""/health/: the load balancer's check of one app server.

It answers 200 when this server can reach the database, 503 (with ``Retry-After``) when
it cannot: the one dependency without which nothing is served right. Redis and the last
source sync are reported but never fail the check: the site serves without Redis (more
slowly) and with yesterday's listings, and an outage of the shared cache must not take
every server out of the pool at once. Cheap enough to call every few seconds: one
``SELECT 1``, one query for the last sync (a table of a few rows a night) and one Redis
``PING`` (short timeouts); no session, no template, never cached.
"""

import logging
import time

from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from recoverymap.cache import REDIS_DOWN, FailSoftRedisCache
from recoverymap.middleware import DATABASE_ERRORS, RETRY_AFTER_SECONDS

logger = logging.getLogger("recoverymap.faults")


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache() -> str:
    """ "ok" or "unavailable" for Redis; "local" when each process caches in its memory."""
    backend = caches["default"]
    if not isinstance(backend, FailSoftRedisCache):
        return "local"
    try:
        backend.ping()
    except REDIS_DOWN:
        return "unavailable"
    return "ok"


def _last_sync() -> dict | None:
    """The last finished source sync, whatever came of it (a failed one does not fail the
    check: the site serves what it has)."""
    from meetings.syncing import last_finished_attempt

    attempt = last_finished_attempt()
    if attempt is None:
        return None
    return {
        "source": attempt.source.name,
        "finished": attempt.finished.isoformat(),
        "outcome": attempt.outcome,
    }


def _milliseconds(since: float) -> int:
    return round((time.perf_counter() - since) * 1000)


@never_cache
@require_http_methods(["GET", "HEAD"])
def health(request):
    started = time.perf_counter()
    report = {"database": "ok"}
    status = 200
    try:
        _database()
        report["last_sync"] = _last_sync()
    except DATABASE_ERRORS as error:
        # One line, no traceback: a load balancer asks every few seconds.
        logger.warning("Health check: the database is unavailable: %s", error)
        report["database"] = "unavailable"
        status = 503
    report["cache"] = _cache()
    report["status"] = "ok" if status == 200 else "unavailable"
    report["ms"] = _milliseconds(started)
    response = JsonResponse(report, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
