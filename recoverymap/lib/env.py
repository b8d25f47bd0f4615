"""Typed readers of environment variables that fail loudly, naming the variable.

Settings call these instead of reading ``os.environ`` directly, so a typo in
production (``DEBUG=ture``, ``DATABASE_URL=postgress://``) stops start-up with a
message that says which variable is wrong rather than running misconfigured.
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import available_timezones

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, environ=os.environ) -> str:
    """The variable as text; ``default=None`` makes it required."""
    value = environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default
    return value


def env_bool(name: str, default: bool, *, environ=os.environ) -> bool:
    value = environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, environ=os.environ) -> int:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: list[str], *, environ=os.environ) -> list[str]:
    """A comma-separated list; blanks are dropped."""
    value = environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_timezone(name: str, default: str, *, environ=os.environ) -> str:
    value = environ.get(name, default)
    if value not in available_timezones():
        raise ImproperlyConfigured(f"{name}={value!r} is not an IANA time zone name.")
    return value


def database_from_url(url: str, *, name: str = "DATABASE_URL", base_dir: Path) -> dict:
    """A Django ``DATABASES['default']`` entry from ``sqlite:///path`` or ``postgres://…``.

    Relative SQLite paths are taken from ``base_dir`` so the app finds the same file
    whatever directory it is started in.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw = unquote(parts.path)
        # sqlite:///var/db.sqlite3 is relative, sqlite:////abs/path is absolute.
        raw = raw[1:] if raw.startswith("/") else raw
        if not raw:
            raise ImproperlyConfigured(f"{name}={url!r} names no SQLite file.")
        path = Path(raw) if Path(raw).is_absolute() else base_dir / raw
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise ImproperlyConfigured(f"{name}={url!r} names no database.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={url!r} has a port that is not a number.") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    raise ImproperlyConfigured(
        f"{name}={url!r} is not understood; use sqlite:///path or postgres://user@host/db."
    )


_SMTP_SCHEMES = {
    # scheme: (use_tls, use_ssl, default port)
    "smtp": (False, False, 25),
    "smtp+tls": (True, False, 587),
    "submission": (True, False, 587),
    "smtps": (False, True, 465),
    "smtp+ssl": (False, True, 465),
}


def email_from_url(url: str, *, name: str = "EMAIL_URL") -> dict:
    """SMTP settings from ``smtp+tls://user:password@host:587`` (STARTTLS), ``smtps://…``
    (TLS from the start) or ``smtp://…`` (plain); ``{}`` for an empty URL.

    Keys are Django's setting names without the ``EMAIL_`` prefix, e.g. ``HOST``.
    """
    if not url:
        return {}
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SMTP_SCHEMES or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name} is not understood; use smtp+tls://user:password@host:587, "
            "smtps://user:password@host:465 or smtp://host:25."
        )
    use_tls, use_ssl, default_port = _SMTP_SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has a port that is not a number.") from None
    return {
        "HOST": parts.hostname,
        "PORT": port,
        "HOST_USER": unquote(parts.username or ""),
        "HOST_PASSWORD": unquote(parts.password or ""),
        "USE_TLS": use_tls,
        "USE_SSL": use_ssl,
    }
