"""Settings of the sample site.

SQLite and a local-memory cache by default. Environment variables (all optional):

- ``SAMPLE_SECRET_KEY``; ``SAMPLE_DEBUG`` (default on); ``SAMPLE_ALLOWED_HOSTS``, comma
  separated, added to 127.0.0.1, localhost and [::1].
- ``SAMPLE_DB_ENGINE`` (``sqlite3`` or ``postgresql``), ``SAMPLE_DB_NAME`` (for SQLite the
  file, default ``sample_site/db.sqlite3``), ``SAMPLE_DB_HOST``, ``SAMPLE_DB_PORT``,
  ``SAMPLE_DB_USER``, ``SAMPLE_DB_PASSWORD``.
- ``SAMPLE_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/0``) for a shared Redis cache, with
  ``SAMPLE_CACHE_PREFIX`` as its key prefix (default ``sample_site``).
- ``SAMPLE_REFRESH_INTERVAL``: ``MAINTENANCE_WAFFLE_REFRESH_INTERVAL`` in seconds.
- ``SAMPLE_MAX_STALENESS``: ``MAINTENANCE_WAFFLE_MAX_STALENESS`` in seconds.
- ``SAMPLE_FALLBACK``: ``MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE`` (on or off).
- ``SAMPLE_IGNORE_IPS``, comma separated: ``MAINTENANCE_MODE_IGNORE_IP_ADDRESSES``.
- Celery (optional, see ``sample_site/celery.py``): ``SAMPLE_CELERY_BROKER`` (default
  ``redis://127.0.0.1:6379/1``), ``SAMPLE_CELERY_RESULTS`` (a result backend, default
  none), ``SAMPLE_CELERY_BEAT_SECONDS`` (how often beat queues a note, default 60) and
  ``SAMPLE_CELERY_MAX_COUNTDOWN``: ``MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN``.

PostgreSQL and Redis let several server processes share one maintenance state:

    export SAMPLE_DB_ENGINE=postgresql SAMPLE_DB_NAME=sample SAMPLE_DB_USER=postgres
    export SAMPLE_REDIS_URL=redis://127.0.0.1:6379/0
    python sample_site/manage.py migrate
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


SECRET_KEY = os.environ.get(
    "SAMPLE_SECRET_KEY", "django-insecure-sample-site-only-never-use-this-key-in-production"
)
DEBUG = env_bool("SAMPLE_DEBUG", True)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", *env_list("SAMPLE_ALLOWED_HOSTS")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # After the admin, as the documented installation appends them; the middleware adds
    # the maintenance banner to admin pages whatever the order.
    "waffle",
    "maintenance_waffle",
    "sample_site.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before the maintenance middleware, so that a flag can target languages.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    # Last: user, group and staff targeting need request.user.
    "maintenance_waffle.middleware.MaintenanceModeMiddleware",
]

ROOT_URLCONF = "sample_site.urls"
WSGI_APPLICATION = "sample_site.wsgi.application"
ASGI_APPLICATION = "sample_site.asgi.application"

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
                "maintenance_waffle.context_processors.maintenance_mode",
            ],
        },
    },
]

# Database: SQLite unless SAMPLE_DB_ENGINE says otherwise ("postgresql", or a dotted
# backend path). For SQLite, SAMPLE_DB_NAME is the file.
_engine = os.environ.get("SAMPLE_DB_ENGINE", "sqlite3").strip() or "sqlite3"
_engine = {"sqlite": "sqlite3", "postgres": "postgresql"}.get(_engine, _engine)
if "." not in _engine:
    _engine = f"django.db.backends.{_engine}"

DATABASES: dict[str, dict[str, Any]]
if _engine == "django.db.backends.sqlite3":
    DATABASES = {
        "default": {
            "ENGINE": _engine,
            "NAME": os.environ.get("SAMPLE_DB_NAME") or BASE_DIR / "db.sqlite3",
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": _engine,
            "NAME": os.environ.get("SAMPLE_DB_NAME", "sample_site"),
            "HOST": os.environ.get("SAMPLE_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("SAMPLE_DB_PORT", ""),
            "USER": os.environ.get("SAMPLE_DB_USER", ""),
            "PASSWORD": os.environ.get("SAMPLE_DB_PASSWORD", ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }

# Cache: Redis when SAMPLE_REDIS_URL is set (shared by every process, as waffle's cache
# should be in production), else a per-process local-memory cache.
_redis_url = os.environ.get("SAMPLE_REDIS_URL", "").strip()
CACHES: dict[str, dict[str, Any]]
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": os.environ.get("SAMPLE_CACHE_PREFIX", "sample_site"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS: list[dict[str, Any]] = []
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
# A second language, so that the maintenance flag's "Languages" field can be tried
# (curl -H 'Accept-Language: fr' ...).
LANGUAGES = [("en", "English"), ("fr", "French")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# maintenance_waffle ---------------------------------------------------------------------

# Health checks must keep answering while the site is in maintenance.
MAINTENANCE_MODE_IGNORE_URLS = (r"^/healthz$",)
# HTML for browsers, application/problem+json for clients that send Accept: application/json.
MAINTENANCE_MODE_RESPONSE_TYPE = "auto"
# How soon other processes see a change (seconds; the default is 1.0).
if os.environ.get("SAMPLE_REFRESH_INTERVAL", "").strip():
    MAINTENANCE_WAFFLE_REFRESH_INTERVAL = float(os.environ["SAMPLE_REFRESH_INTERVAL"])
# How long the last known state is kept while the database cannot be read (seconds; the
# default is 300), and the state used after that (the default is False: the site stays up).
if os.environ.get("SAMPLE_MAX_STALENESS", "").strip():
    MAINTENANCE_WAFFLE_MAX_STALENESS = float(os.environ["SAMPLE_MAX_STALENESS"])
MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE = env_bool("SAMPLE_FALLBACK", False)
# Client addresses that never get the maintenance page (REMOTE_ADDR, not X-Forwarded-For).
MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = tuple(env_list("SAMPLE_IGNORE_IPS"))
# Areas: parts of the site that can be taken down alone, each with its own switch
# ("maintenance_mode:checkout", created off by migrate). /checkout/ is the demo's one.
MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/checkout/"]}
# In read-only mode (the switch "maintenance_mode_read_only") every POST gets the 503,
# except these: signing in and out keeps working.
MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS = (r"^/accounts/log(in|out)/$",)
# Celery tasks deferred during maintenance look again at most this often (seconds; the
# default is 60).
if os.environ.get("SAMPLE_CELERY_MAX_COUNTDOWN", "").strip():
    MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN = float(os.environ["SAMPLE_CELERY_MAX_COUNTDOWN"])

# Celery (sample_site/celery.py) ----------------------------------------------------------

CELERY_BROKER_URL = os.environ.get("SAMPLE_CELERY_BROKER", "").strip() or "redis://127.0.0.1:6379/1"
CELERY_RESULT_BACKEND = os.environ.get("SAMPLE_CELERY_RESULTS", "").strip() or None
CELERY_BEAT_SCHEDULE = {
    "note": {
        "task": "demo.add_note",
        "schedule": float(os.environ.get("SAMPLE_CELERY_BEAT_SECONDS", "").strip() or 60),
        "args": ("Written by the beat scheduler",),
    }
}

# Logging and error mail -----------------------------------------------------------------

# Error mail is printed on the console, so the effect of the filter below can be seen.
# (Django 6.0 lists ADMINS as addresses, Django 6.1 configures mail with MAILERS.)
_console_mail = "django.core.mail.backends.console.EmailBackend"
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": _console_mail}}
else:
    EMAIL_BACKEND = _console_mail
if django.VERSION >= (6, 0):
    ADMINS: list[Any] = ["admin@example.com"]
else:
    ADMINS = [("Sample site admin", "admin@example.com")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # While maintenance is on, 503s are expected: no mail for them.
        "require_not_maintenance_mode_503": {
            "()": "maintenance_waffle.logging.RequireNotMaintenanceMode503",
        },
    },
    "formatters": {
        "simple": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "simple"},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_not_maintenance_mode_503"],
        },
    },
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO"},
        # runserver's access log: on the console only, as in Django's default logging.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "maintenance_waffle": {"handlers": ["console"], "level": "INFO"},
    },
}
