"""RecoveryMap settings, read from the environment.

With no environment at all the site runs locally on a SQLite file under ``var/``;
production differs only by environment variables (see README, "Configuration").
"""

from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from recoverymap.lib.env import (
    database_from_url,
    email_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_timezone,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
else:
    SECRET_KEY = env_str("SECRET_KEY")
    # What `check --deploy` asks of a key (security.W009), refused here at start-up.
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 characters, with at least 5 different ones, "
            "when DEBUG is off."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # django.contrib.admin, with sign-in through the account pages (rate-limited).
    "recoverymap.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_filters",
    "simple_history",
    "allauth",
    "allauth.account",
    "accounts",
    "directory",
    "meetings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # The database or its connection gone: a friendly 503 page, not a traceback.
    "recoverymap.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signed-in pages are never kept by a shared cache.
    "recoverymap.middleware.PrivateWhenSignedInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A first visit in the browser's language; the choice remembered (after auth: a
    # signed-in person's choice is kept on the account, for their emails).
    "recoverymap.middleware.LanguageChoiceMiddleware",
    # Records who made each change in the listings' history.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "recoverymap.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "recoverymap.wsgi.application"

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", "sqlite:///var/recoverymap.sqlite3"), base_dir=BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Reference data: manage.py loaddata fellowships meeting_types
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:my-listings"

# Accounts (django-allauth): sign-in by email only, a verified address required before
# the first sign-in, allauth's default rate limits on sign-in, sign-up and resets.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Confirming the address in the browser that signed up signs the person in and takes
# them where they were going (``next``), instead of to a sign-in page that forgot it.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[RecoveryMap] "
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# Failed sign-ins limited per client and per account, so that nobody elsewhere can lock
# an owner out (accounts/adapter.py, README "Signing in").
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# English at every address, Spanish under /es/ (recoverymap.urls); each name as its
# speakers write it, for the language switch.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["recoverymap.formats"]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = env_timezone("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
# Hashed, compressed files (run collectstatic first) served by whitenoise; off by default
# locally and in tests, which serve the files as they are.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "recoverymap.staticfiles.StaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Map tiles for the results map; any XYZ tile server with the same URL shape works.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "&copy; OpenStreetMap contributors")


def _origin_of(url_template: str) -> str:
    """The tile server's origin for the CSP; a ``{s}`` subdomain becomes a wildcard."""
    parts = urlsplit(url_template.replace("{s}", "*"))
    if not parts.scheme or not parts.netloc:
        raise ImproperlyConfigured(f"MAP_TILE_URL={url_template!r} is not an absolute URL.")
    return f"{parts.scheme}://{parts.netloc}"


# Caching: Redis when REDIS_URL is set (redis://host:6379/0), shared by every app server;
# else each process's own memory. Redis errors are logged, never raised: the site keeps
# serving from the database while Redis is down (recoverymap.cache).
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "recoverymap.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "recoverymap"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Search pages and feeds are cached at most this long; they are dropped sooner whenever a
# listing they could show changes (meetings.listings) or a word on the page that changes
# with the clock would (meetings.page_cache). 0 turns that caching off.
LISTINGS_CACHE_SECONDS = env_int("LISTINGS_CACHE_SECONDS", 3600)

# HTTPS and browser protections. Production (DEBUG off) gets them all by default; behind
# a reverse proxy that ends TLS, set TRUST_X_FORWARDED_PROTO=true (and make sure the proxy
# sets X-Forwarded-Proto itself) or every request looks like plain HTTP and redirects.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers often check app servers over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Origins (https://recoverymap.example) allowed to POST forms, needed behind some proxies.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Our own scripts and styles only (no inline code anywhere), and the tile server's images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", _origin_of(MAP_TILE_URL)],
        "connect-src": [SELF],
        "font-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# Geocoding of places the gazetteer does not know: off unless a geocoder is named.
GEOCODER = env_str("GEOCODER", "")
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", f"RecoveryMap/1.0 (+{SITE_URL})")
GEOCODER_TIMEOUT = env_int("GEOCODER_TIMEOUT", 5)
# Another server speaking the same API (a self-hosted Nominatim): host[:port], and
# http or https; empty for the geocoder's own public service.
GEOCODER_DOMAIN = env_str("GEOCODER_DOMAIN", "")
GEOCODER_SCHEME = env_str("GEOCODER_SCHEME", "")
# At least this long between two requests: Nominatim's usage policy allows one a second.
GEOCODER_MIN_DELAY_MS = env_int("GEOCODER_MIN_DELAY_MS", 1000 if GEOCODER == "nominatim" else 0)
# Imports ask the geocoder for at most this many new addresses per run (the rest are
# placed at their ZIP code's centre and left to manage.py geocode_pending).
IMPORT_GEOCODE_LIMIT = env_int("IMPORT_GEOCODE_LIMIT", 100)

# Registered sources (manage.py sources sync, run every few hours). A sync that would
# retire more than SOURCE_MAX_RETIRE_PERCENT of a source's active meetings is held for
# review; a source is fetched at most once every SOURCE_MIN_INTERVAL_MINUTES; each fetch
# waits SOURCE_FETCH_TIMEOUT seconds, reads at most SOURCE_MAX_BYTES and is retried
# SOURCE_FETCH_RETRIES times with doubling pauses; SOURCE_SYNC_WORKERS fetch at once;
# staff hear once when a source has failed for SOURCE_FAILING_DAYS days.
SOURCE_MAX_RETIRE_PERCENT = env_int("SOURCE_MAX_RETIRE_PERCENT", 20)
SOURCE_MIN_INTERVAL_MINUTES = env_int("SOURCE_MIN_INTERVAL_MINUTES", 60)
SOURCE_FETCH_TIMEOUT = env_int("SOURCE_FETCH_TIMEOUT", 30)
SOURCE_MAX_BYTES = env_int("SOURCE_MAX_BYTES", 50 * 1024 * 1024)
SOURCE_FETCH_RETRIES = env_int("SOURCE_FETCH_RETRIES", 2)
SOURCE_RETRY_PAUSE = float(env_str("SOURCE_RETRY_PAUSE", "2"))
SOURCE_SYNC_WORKERS = env_int("SOURCE_SYNC_WORKERS", 4)
SOURCE_FAILING_DAYS = env_int("SOURCE_FAILING_DAYS", 3)
# A sync holds its source this long at most (a crashed machine's claim runs out).
SOURCE_LEASE_MINUTES = env_int("SOURCE_LEASE_MINUTES", 30)

# Email: printed to the console unless an SMTP server is given, either as one URL
# (EMAIL_URL=smtp+tls://user:password@smtp.example.org:587) or as EMAIL_HOST, EMAIL_PORT,
# EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and EMAIL_USE_TLS. Tests always use the
# in-memory outbox.
_SMTP = email_from_url(env_str("EMAIL_URL", ""))
EMAIL_HOST = _SMTP.get("HOST") or env_str("EMAIL_HOST", "")
EMAIL_PORT = _SMTP.get("PORT") or env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = _SMTP.get("HOST_USER") or env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _SMTP.get("HOST_PASSWORD") or env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _SMTP.get("USE_TLS", env_bool("EMAIL_USE_TLS", True))
EMAIL_USE_SSL = _SMTP.get("USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "RecoveryMap <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Keeping listings current: organizers are asked to confirm meetings last confirmed more
# than CONFIRMATION_REMINDER_AGE_DAYS ago, at most once every ..._PERIOD_DAYS per group
# (manage.py send_confirmation_reminders, run daily).
CONFIRMATION_REMINDER_AGE_DAYS = env_int("CONFIRMATION_REMINDER_AGE_DAYS", 180)
CONFIRMATION_REMINDER_PERIOD_DAYS = env_int("CONFIRMATION_REMINDER_PERIOD_DAYS", 30)

# Problem reports: at most REPORT_RATE_LIMIT reports an hour from one client address.
REPORT_RATE_LIMIT = env_int("REPORT_RATE_LIMIT", 5)
# Exports no cache holds yet (a feed, an HSDS page, a calendar of a new search: up to
# seconds each) built for one client address a minute; more answer 429. 0: no limit.
EXPORT_BUILDS_PER_MINUTE = env_int("EXPORT_BUILDS_PER_MINUTE", 30)
# How many proxies (load balancer, CDN) in front of the site append to X-Forwarded-For.
# 0: the client address is REMOTE_ADDR and X-Forwarded-For is ignored, since anyone can
# send it. N: the Nth address from the right of X-Forwarded-For, the one the outermost
# trusted proxy saw.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # the same rule for sign-in limits

# Logs go to standard output, one line each, for the process manager to collect.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "warning_without_traceback": {"()": "recoverymap.lib.logs.WarningWithoutTraceback"}
    },
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own request errors go to the same place, not to mail_admins.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # A request for a host name not in ALLOWED_HOSTS is a scanner or a misdirected
        # client, not our error: one warning line, no traceback.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "filters": ["warning_without_traceback"],
            "level": LOG_LEVEL,
            "propagate": False,
        },
    },
}
