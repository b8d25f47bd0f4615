"""Who is asking, as far as a rate limit needs to know, without storing their address.

``client_key`` is an HMAC-SHA256 of the client's IP address keyed with SECRET_KEY: the same
visitor gets the same key (so five reports an hour can be counted, and three reports
from three people told apart from three from one), but the address cannot be read back
from the database, nor guessed from it without the secret.
"""

import ipaddress

from django.conf import settings
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
