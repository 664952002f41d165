"""Helpers for the system-check tests: check IDs, middleware subclasses."""

from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware

from maintenance_waffle.middleware import MaintenanceModeMiddleware


class ProjectMaintenanceMiddleware(MaintenanceModeMiddleware):
    """A project's own subclass of the maintenance middleware."""


class ProjectAuthenticationMiddleware(AuthenticationMiddleware):
    """A project's own subclass of Django's authentication middleware."""


#: Importable, but neither middleware class nor subclass.
not_a_class = "maintenance_waffle"


def check_ids(group: type) -> list[str]:
    """The IDs held by a class of check-ID constants (conf.InstallationId, conf.SettingsId).

    Each constant is named after its value (``E005 = "E005"``), so a use such as
    ``SettingsId.E005`` says which ID it emits.
    """
    ids = {name: value for name, value in vars(group).items() if not name.startswith("_")}
    assert all(name == value for name, value in ids.items()), ids
    return list(ids.values())
