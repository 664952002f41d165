"""Settings for one benchmark variant, chosen by BENCH_VARIANT (see bench.py).

scale.py points them at its own PostgreSQL with BENCH_PG_PORT (and BENCH_PG_NAME) and
sets the refresh intervals with BENCH_REFRESH_INTERVAL and BENCH_FULL_REFRESH_INTERVAL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

VARIANT = os.environ["BENCH_VARIANT"]
DIRECTORY = Path(os.environ["BENCH_DIRECTORY"])
KIND = VARIANT.split("-")[0]  # bare, naive, dmm or mw

SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
ROOT_URLCONF = "benchmarks.app"
DATABASES: dict[str, dict[str, Any]] = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DIRECTORY / "db.sqlite3")}
}
if os.environ.get("BENCH_PG_PORT"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": os.environ["BENCH_PG_PORT"],
            "NAME": os.environ.get("BENCH_PG_NAME", "bench"),
            "USER": "postgres",
            # A serving worker keeps its connection, as behind CONN_MAX_AGE or a pooler.
            "CONN_MAX_AGE": 600,
        }
    }
if os.environ.get("BENCH_REFRESH_INTERVAL"):
    MAINTENANCE_WAFFLE_REFRESH_INTERVAL = float(os.environ["BENCH_REFRESH_INTERVAL"])
if os.environ.get("BENCH_FULL_REFRESH_INTERVAL"):
    MAINTENANCE_WAFFLE_FULL_REFRESH_INTERVAL = float(os.environ["BENCH_FULL_REFRESH_INTERVAL"])
CACHES = {"default": {"BACKEND": os.environ.get("BENCH_CACHE", "benchmarks.app.CountingCache")}}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    CACHES["default"]["LOCATION"] = os.environ["BENCH_REDIS_URL"]
    CACHES["default"]["KEY_PREFIX"] = f"bench-{os.getpid()}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

if KIND == "naive":
    INSTALLED_APPS += ["waffle"]
    MIDDLEWARE += ["benchmarks.app.NaiveSwitchMiddleware"]
elif KIND == "dmm":
    INSTALLED_APPS += ["maintenance_mode"]
    MIDDLEWARE += ["maintenance_mode.middleware.MaintenanceModeMiddleware"]
    TEMPLATES[0]["OPTIONS"]["context_processors"].append(  # type: ignore[index]
        "maintenance_mode.context_processors.maintenance_mode"
    )
    MAINTENANCE_MODE_STATE_FILE_PATH = str(DIRECTORY / "maintenance_mode_state.txt")
    if "cache" in VARIANT:
        MAINTENANCE_MODE_STATE_BACKEND = "maintenance_mode.backends.CacheBackend"
elif KIND == "mw":
    INSTALLED_APPS += ["waffle", "maintenance_waffle"]
    if "sync" in VARIANT:
        MIDDLEWARE += ["benchmarks.sync_only.SyncOnlyMaintenanceModeMiddleware"]
    else:
        MIDDLEWARE += ["maintenance_waffle.middleware.MaintenanceModeMiddleware"]
    TEMPLATES[0]["OPTIONS"]["context_processors"].append(  # type: ignore[index]
        "maintenance_waffle.context_processors.maintenance_mode"
    )
