"""Settings for the clinic site, driven by environment variables.

Every variable is listed in docs/deployment.md. Production behaviour is
switched on by variables (DEBUG off, HTTPS on), never by another file.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from clinic.brand import COLOURS
from clinic.env import ConfigError, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError(
            "SECRET_KEY is not set: export a long random SECRET_KEY "
            "(or DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - only ever used with DEBUG on

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "clinic",
    "images",
    "booking",
    "booking.waitlist",  # listens to the booking core; its models stay in booking
    "articles",
    "clinic.admin_site.ClinicAdminConfig",  # django.contrib.admin, junk-proof
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_tasks_db",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
]

MIDDLEWARE = [
    # First: every response, a cached page too, names its request (X-Request-ID).
    "clinic.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML (and feeds, calendars, exports) gzip-compressed when the client
    # accepts it, with Vary: Accept-Encoding; static files are whitenoise's,
    # precompressed at collectstatic. Below it, cached pages are stored
    # compressed and arrive here already encoded, so nothing is done twice.
    #
    # BREACH: compression leaks a secret in a response when the attacker can
    # also put text of their own in that response and watch its size over
    # many requests. Our pages' one such secret is the CSRF token in forms
    # (booking steps, manage pages, staff admin). Django masks that token with
    # fresh random bytes in every response, so there is no fixed string to
    # guess byte by byte; and this middleware pads each compressed response
    # with 0-99 random bytes ("Heal the Breach"), which hides the length
    # differences such guessing reads. The session cookie travels in headers,
    # which are not compressed here. Pages from the page cache are anonymous
    # and have no secret. docs/deployment.md says the same for operators.
    "django.middleware.gzip.GZipMiddleware",
    # Repeat anonymous visits to public pages are answered here, headers and
    # all, as cheaply as a static file (docs/benchmarks.md).
    "clinic.page_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "clinic.middleware.UnstorableInputMiddleware",
    # Last, so it can turn a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.clinic",
            ],
        },
    },
]

# Database ------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic")
# Set by scripts/database.py when `make run` or `make test` uses the project-local
# server it started; `check --deploy` refuses it (clinic/checks.py).
EMBEDDED_POSTGRES = env_bool("EMBEDDED_POSTGRES", default=False)
try:
    _database = dj_database_url.parse(DATABASE_URL)
except ValueError as error:
    raise ConfigError(f"DATABASE_URL is malformed ({error}).") from None
if _database.get("ENGINE") != "django.db.backends.postgresql":
    raise ConfigError("DATABASE_URL must point at PostgreSQL (postgres://user@host:port/name).")
_database["CONN_MAX_AGE"] = 0  # the psycopg pool below keeps connections instead
# The pool checks a connection before lending it, so connections that died in a
# database outage are replaced and the site recovers by itself, without a restart.
_database["CONN_HEALTH_CHECKS"] = True
_database.setdefault("OPTIONS", {})
# Short, explicit waits: a database that is down must fail a request (or a
# command) in about two seconds, not hold a worker thread for ten.
_database["OPTIONS"].setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 2))
# A connection whose peer stops acknowledging (a network partition, a host gone)
# is dropped by the kernel after three seconds, idle, sending or waiting for an
# answer; a slow query on a live server is not (docs/scaling.md, "Deadlines").
# Parameters in DATABASE_URL (?tcp_user_timeout=10000) win.
_database["OPTIONS"] = {
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "tcp_user_timeout": 3000,  # milliseconds
    **_database["OPTIONS"],
}
# Behind PgBouncer in transaction mode (docs/scaling.md): PgBouncer is the one
# pool, and nothing may outlive a transaction on a server connection.
DATABASE_PGBOUNCER = env_bool("DATABASE_PGBOUNCER", default=False)
if DATABASE_PGBOUNCER:
    _database["DISABLE_SERVER_SIDE_CURSORS"] = True
    _database["OPTIONS"]["prepare_threshold"] = None
if env_bool("DATABASE_POOL", default=not DATABASE_PGBOUNCER):
    from clinic.database import check_connection

    _database["OPTIONS"]["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 1),
        "max_size": env_int("DATABASE_POOL_MAX", 8),
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 2),
        # psycopg's own check waits for ever on a connection whose peer went
        # silent; this one gives up after a quarter of a second (clinic/database.py).
        "check": check_connection,
        # A connection that keeps failing to open is retried after 1, 2, 4... s;
        # the pool gives up after 10 s and the next request starts again at once,
        # so the site is back within seconds of the database, however long it was away.
        "reconnect_timeout": 10,
    }
_database["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME") or None}
DATABASES = {"default": _database}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ---------------------------------------------------------------------
# Cached pages, the clinic's identity and the time picker are shared by every
# worker and server through Redis in production (REDIS_URL). The cache is an
# optimisation, never a dependency: with Redis down or slow, every cache call
# gives up within REDIS_TIMEOUT seconds and the site renders pages from the
# database (clinic/redis_cache.py). The local-memory default suits one process.

REDIS_URL = env_str("REDIS_URL")
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 0.5)
REDIS_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "clinic")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "clinic.redis_cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
                # After a failure, leave Redis alone this long before trying again.
                "RETRY_SECONDS": env_float("REDIS_RETRY_SECONDS", 5),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "clinic",
        }
    }

# Auth ----------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Failed staff logins are counted by django-axes (first backend); after
# AXES_FAILURE_LIMIT failures for one username from one address the login is
# locked for AXES_COOLOFF_MINUTES. Tests log in with force_login, which skips it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "clinic.client.client_ip"

# Internationalisation ------------------------------------------------------

LANGUAGE_CODE = "en-gb"
# en_GB with the 24-hour clock (clinic/formats/en_GB/formats.py).
FORMAT_MODULE_PATH = ["clinic.formats"]
TIME_ZONE = env_str("CLINIC_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Static files --------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
# Hashed, compressed files in production; the test live server and runserver
# serve straight from the source folders, which have no hashed names.
HASHED_STATIC_FILES = env_bool("HASHED_STATIC_FILES", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if HASHED_STATIC_FILES
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
# Uploaded images are served by the app itself (images/views.py) unless a web
# server or object storage serves MEDIA_URL in front of it (docs/deployment.md).
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=True)
# Titles on generated social cards (images/social.py): Debian's DejaVu Sans
# (fonts-dejavu-core) when present, otherwise Pillow's built-in font.
SOCIAL_CARD_FONT = env_str(
    "SOCIAL_CARD_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
)
# The colours the image library draws social cards and the demo's pictures in:
# the brand's (clinic/brand.py). The library reads them from here, so the
# images app never imports the clinic app that uses it.
IMAGE_COLOURS = COLOURS
# The demo loader draws its own illustrations and portraits (images/artwork.py).
DEMO_IMAGES = env_bool("DEMO_IMAGES", default=True)
# Widths (pixels) of each library image's renditions, in AVIF, WebP and JPEG.
IMAGE_RENDITION_WIDTHS = [
    int(width) for width in env_list("IMAGE_RENDITION_WIDTHS", "480,800,1200,1600")
]
# Tests and runserver have no collected files yet; do not warn about it.
WHITENOISE_AUTOREFRESH = not HASHED_STATIC_FILES
WHITENOISE_MAX_AGE = 60 * 60  # unhashed files (favicon, robots); hashed ones are forever

# Security ------------------------------------------------------------------

HTTPS = env_bool("HTTPS", default=False)
# Behind BEHIND_PROXY_COUNT proxies (load balancer, nginx, ...), each appending
# to X-Forwarded-For: rate limits and login lockouts count the client's own
# address (clinic/client.py), not the proxy's.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
BEHIND_PROXY_COUNT = env_int("BEHIND_PROXY_COUNT", 1)
if BEHIND_PROXY:
    # Only trust this header behind a proxy that sets it and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS and env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Every asset is ours: nothing may load from another origin, and no inline
# script or style runs. There is no nonce: no page needs inline script (the
# admin's scripts are files too), and a nonce would make every response
# different, so no public page could be served from the page cache.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Mail ----------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Clinic <bookings@clinic.example>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[Clinic] "
_smtp_host = env_str("SMTP_HOST")
if _smtp_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp_host,
                "port": env_int("SMTP_PORT", 587),
                "username": env_str("SMTP_USER"),
                "password": env_str("SMTP_PASSWORD"),
                "use_tls": env_bool("SMTP_STARTTLS", default=True),
                "timeout": env_int("SMTP_TIMEOUT", 20),
            },
        }
    }
else:
    # Without an SMTP server, mail is printed instead of lost, as a person reads it
    # (clinic/terminal_mail.py): `make run` shows each e-mail with its links whole.
    MAILERS = {"default": {"BACKEND": "clinic.terminal_mail.EmailBackend"}}

# Tasks ---------------------------------------------------------------------
# E-mails go through the database-backed queue so that a mail outage never
# loses a booking; `manage.py db_worker` runs them.

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Forms ---------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Logging -------------------------------------------------------------------

# One JSON object a line (LOG_FORMAT=plain for a terminal), each with the
# request's id, manage tokens redacted from every line (clinic/logs.py).
LOG_FORMAT = env_str("LOG_FORMAT", "json").lower()
if LOG_FORMAT not in {"json", "plain"}:
    raise ConfigError(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "clinic.logs.JsonFormatter"},
        "plain": {"()": "clinic.logs.PlainFormatter"},
    },
    "filters": {"forbidden_in_one_line": {"()": "clinic.logs.ForbiddenInOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["forbidden_in_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # lockouts are warnings; each failure is INFO
        # A failed connection reaches its caller as OperationalError (the 503
        # log, /healthz, a command's one sentence); the pool's own warning for
        # every retry would only repeat it.
        "psycopg.pool": {"level": "ERROR"},
        # Its only records are DEBUG notes of a variable a template did not get,
        # each with the whole context: names, addresses, private links.
        "django.template": {"level": "WARNING"},
    },
}

# The clinic ----------------------------------------------------------------
# The clinic's name, contact details, hours and booking policies are a record
# staff edit in admin (a new one starts with clinic/models.py's defaults); every
# page reads it from the cache, kept this long, forgotten at once on an edit.

CLINIC_CACHE_SECONDS = env_int("CLINIC_CACHE_SECONDS", 60 * 60)

# Appointment requests whose time is older than this are anonymised by
# `manage.py anonymise_appointments` (run daily); statistics are kept.
BOOKING_RETENTION_DAYS = env_int("BOOKING_RETENTION_DAYS", 7 * 365)

# Booking e-mails -------------------------------------------------------------
# E-mails link back to the site, so they need its public address (no request
# exists in the worker). Failed sends are retried with growing pauses, then
# left for staff; reminders go out this many hours before the appointment.

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
BOOKING_EMAIL_MAX_ATTEMPTS = env_int("BOOKING_EMAIL_MAX_ATTEMPTS", 5)
BOOKING_EMAIL_RETRY_SECONDS = env_int("BOOKING_EMAIL_RETRY_SECONDS", 5 * 60)
BOOKING_REMINDER_HOURS = env_int("BOOKING_REMINDER_HOURS", 24)
# Days before a visit that a patient with a pre-visit form still to fill in is asked
# again, by e-mail (0: never).
INTAKE_REMINDER_DAYS = env_int("INTAKE_REMINDER_DAYS", 2)

# Staff workspace -------------------------------------------------------------
# A patient's arrival can be recorded from this long before their start time
# until the end of the appointment. A status change can be undone by staff for
# this many minutes (later, front desk corrects it with a reason). Practitioners'
# calendar feeds list this many weeks ahead.

BOOKING_ARRIVAL_EARLY_MINUTES = env_int("BOOKING_ARRIVAL_EARLY_MINUTES", 60)
BOOKING_UNDO_MINUTES = env_int("BOOKING_UNDO_MINUTES", 15)
BOOKING_CALENDAR_FEED_WEEKS = env_int("BOOKING_CALENDAR_FEED_WEEKS", 8)

# Booking abuse limits ----------------------------------------------------------
# Booking attempts allowed per client address, and bookings made per e-mail
# address, in a fixed window of an hour (0 switches a limit off). Counted in
# Redis when REDIS_URL is set, otherwise in PostgreSQL (booking/ratelimit.py);
# both are shared by every server and never forget a count early. The details
# form is refused when sent back faster than a person could fill it in.

BOOKING_RATE_LIMITS = {
    "ip": (env_int("BOOKING_RATE_LIMIT_PER_IP", 10), 60 * 60),
    "email": (env_int("BOOKING_RATE_LIMIT_PER_EMAIL", 3), 60 * 60),
}
BOOKING_RATE_LIMIT_STORE = env_str("BOOKING_RATE_LIMIT_STORE", "redis" if REDIS_URL else "database")
if BOOKING_RATE_LIMIT_STORE not in {"redis", "database"} or (
    BOOKING_RATE_LIMIT_STORE == "redis" and not REDIS_URL
):
    raise ConfigError(
        "BOOKING_RATE_LIMIT_STORE must be 'database', or 'redis' with REDIS_URL set, "
        f"not {BOOKING_RATE_LIMIT_STORE!r}."
    )
# "Find my booking" (/book/manage/): requests per client address in an hour; an
# address that has bookings gets at most one links e-mail in this many minutes
# (a request in between is answered by the e-mail already sent).
BOOKING_LOOKUP_RATE_LIMITS = {"ip": (env_int("BOOKING_LOOKUP_RATE_LIMIT_PER_IP", 10), 60 * 60)}
BOOKING_LOOKUP_EMAIL_MINUTES = env_int("BOOKING_LOOKUP_EMAIL_MINUTES", 15)
# Places on the waitlist one e-mail address may hold at once (one per treatment).
BOOKING_WAITLIST_PLACES_PER_EMAIL = env_int("BOOKING_WAITLIST_PLACES_PER_EMAIL", 3)
BOOKING_MIN_FILL_SECONDS = env_int("BOOKING_MIN_FILL_SECONDS", 3)
# A private manage link, once opened, is swapped for a session grant and a clean
# address (no token in history or logs); the grant lasts this long after last use.
BOOKING_MANAGE_SESSION_MINUTES = env_int("BOOKING_MANAGE_SESSION_MINUTES", 60)
# The time picker is cached this long at most; every booking, move, cancellation
# or slot change empties it at once. 0 switches the cache off.
BOOKING_TIMES_CACHE_SECONDS = env_int("BOOKING_TIMES_CACHE_SECONDS", 60)
# A practitioner's free times, computed for the picker, are reused this long at
# most (per treatment); the same changes empty them at once. 0 switches it off.
BOOKING_FREE_TIMES_CACHE_SECONDS = env_int("BOOKING_FREE_TIMES_CACHE_SECONDS", 60)
