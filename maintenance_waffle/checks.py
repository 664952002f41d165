"""System checks. They read settings only: never the database or a cache."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from maintenance_waffle.conf import InstallationId, build, check_id

MIDDLEWARE = "maintenance_waffle.middleware.MaintenanceModeMiddleware"
AUTHENTICATION_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def _index(middleware: list[str], dotted_path: str) -> int | None:
    """Position of ``dotted_path`` or of a subclass of it in ``middleware``."""
    target = import_string(dotted_path)
    for index, entry in enumerate(middleware):
        if entry == dotted_path:
            return index
        try:
            candidate = import_string(entry)
        except Exception:  # an entry that does not import is Django's to report
            continue
        if isinstance(candidate, type) and issubclass(candidate, target):
            return index
    return None


def check_installation(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not apps.is_installed("waffle"):
        messages.append(
            Error(
                "maintenance_waffle needs django-waffle, but 'waffle' is not in INSTALLED_APPS.",
                hint="Add 'waffle' to INSTALLED_APPS: the maintenance state is waffle data.",
                id=check_id(InstallationId.E001),
            )
        )
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    ours = _index(middleware, MIDDLEWARE)
    if ours is None:
        messages.append(
            Warning(
                f"'{MIDDLEWARE}' is not in MIDDLEWARE, so maintenance mode only applies to "
                "views decorated with force_maintenance_mode_on.",
                hint=f"Add '{MIDDLEWARE}' to MIDDLEWARE, after AuthenticationMiddleware "
                "(last is best).",
                id=check_id(InstallationId.W001),
            )
        )
    else:
        auth = _index(middleware, AUTHENTICATION_MIDDLEWARE)
        if auth is not None and ours < auth:
            messages.append(
                Error(
                    f"'{MIDDLEWARE}' comes before '{AUTHENTICATION_MIDDLEWARE}' in "
                    "MIDDLEWARE, so it cannot see request.user: user, group, staff and "
                    "superuser targeting and exemptions would never match.",
                    hint=f"Move '{MIDDLEWARE}' below AuthenticationMiddleware (last is best).",
                    id=check_id(InstallationId.E002),
                )
            )
    return messages


def check_areas(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """An area whose patterns match the admin site or the on/off URLs: those paths are
    exempt, so the area would never be down there, and an area meant to take down the
    admin would keep operators from turning it off if it did."""
    config = build()
    if not config.areas:
        return []
    exempt = []
    for name in ("admin:index", "maintenance_mode_on", "maintenance_mode_off"):
        try:
            exempt.append(reverse(name))
        except NoReverseMatch:
            continue
    messages: list[CheckMessage] = []
    for area, patterns in config.areas:
        covered = [path for path in exempt if any(pattern.match(path) for pattern in patterns)]
        if covered:
            messages.append(
                Warning(
                    f"settings.MAINTENANCE_WAFFLE_AREAS[{area!r}] covers "
                    f"{', '.join(covered)}, which stays open during maintenance so that "
                    "operators can end it: the area is never down there.",
                    hint="Narrow the area's patterns to the pages it is meant to take down.",
                    id=check_id(InstallationId.W004),
                )
            )
    return messages


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    for problem in build().problems:
        kind = Error if problem.id.startswith("E") else Warning
        messages.append(
            kind(
                f"settings.{problem.setting} {problem.message}",
                hint=problem.hint,
                id=check_id(problem.id),
            )
        )
    return messages
