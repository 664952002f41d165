"""Settings for one benchmark variant, chosen by BENCH_VARIANT (see bench.py)."""

from __future__ import annotations

import os
from pathlib import Path

VARIANT = os.environ["BENCH_VARIANT"]
DIRECTORY = Path(os.environ["BENCH_DIRECTORY"])
KIND = VARIANT.split("-")[0]  # bare, naive, dmm or mw

SECRET_KEY = "benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
ROOT_URLCONF = "benchmarks.app"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DIRECTORY / "db.sqlite3")}
}
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
