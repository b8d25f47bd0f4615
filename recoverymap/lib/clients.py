"""Who is asking, as far as a rate limit needs to know, without storing their address.

``client_key`` is an HMAC-SHA256 of the client's IP address keyed with SECRET_KEY: the same
visitor gets the same key (so five reports an hour can be counted, and three reports
from three people told apart from three from one), but the address cannot be read back
from the database, nor guessed from it without the secret.
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_address(request: HttpRequest) -> str:
    """The client's IP address.

    With ``TRUSTED_PROXY_COUNT = 0`` (the default) it is REMOTE_ADDR: X-Forwarded-For is
    ignored because any client can send one. Behind N trusted proxies each appending to
    X-Forwarded-For, it is the Nth entry from the right, the address the outermost
    trusted proxy saw; entries further left were written by the client and are not
    trusted. A header with fewer entries than expected did not come through the proxies,
    so REMOTE_ADDR is used.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= count and _is_ip(forwarded[-count]):
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")


def client_key(request: HttpRequest) -> str:
    """64 hex characters standing for the client's address (see the module docstring)."""
    return salted_hmac(
        "recoverymap.client_key", client_address(request), algorithm="sha256"
    ).hexdigest()


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def export_build_refused(request: HttpRequest) -> int | None:
    """Seconds until this client may have another export built, or None when it may now.

    A feed, an HSDS page or a calendar of a search no cache holds yet costs up to seconds
    to build, and each distinct search is a new build: without a limit, one client asking
    for many distinct searches could keep the servers busy. Counted per client address in
    one-minute windows (settings.EXPORT_BUILDS_PER_MINUTE); what a cache holds is served
    without counting. With Redis down the count is this process's own (recoverymap.cache).
    """
    limit = settings.EXPORT_BUILDS_PER_MINUTE
    if not limit:
        return None
    now = time.time()
    key = f"exports:built:{client_key(request)}:{int(now // 60)}"
    try:
        built = 1 if cache.add(key, 1, 120) else cache.incr(key)
    except ValueError:  # expired between the two: a new window
        built = 1
    if built <= limit:
        return None
    return max(1, 60 - int(now % 60))
