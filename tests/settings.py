from __future__ import annotations

from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Appended after the admin, as the documented installation does; the middleware adds
    # the maintenance banner to admin pages whatever the order.
    "waffle",
    "maintenance_waffle",
    "tests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "waffle.middleware.WaffleMiddleware",
    "maintenance_waffle.middleware.MaintenanceModeMiddleware",
]

# Django's own Content Security Policy (6.0+): no header until a test sets SECURE_CSP.
CSP_MIDDLEWARE = (
    ["django.middleware.csp.ContentSecurityPolicyMiddleware"] if django.VERSION >= (6, 0) else []
)
MIDDLEWARE[1:1] = CSP_MIDDLEWARE

ROOT_URLCONF = "tests.urls"

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    # For the tests of a project whose router sends writes elsewhere (tests/routers.py).
    "primary": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maintenance_waffle.context_processors.maintenance_mode",
            ]
        },
    }
]

LANGUAGES = [("en", "English"), ("de", "German")]
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
