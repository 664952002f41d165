"""Middleware subclasses for the system-check tests (tests/test_checks.py)."""

from __future__ import annotations

from django.contrib.auth.middleware import AuthenticationMiddleware

from maintenance_waffle.middleware import MaintenanceModeMiddleware


class ProjectMaintenanceMiddleware(MaintenanceModeMiddleware):
    """A project's own subclass of the maintenance middleware."""


class ProjectAuthenticationMiddleware(AuthenticationMiddleware):
    """A project's own subclass of Django's authentication middleware."""


#: Importable, but neither middleware class nor subclass.
not_a_class = "maintenance_waffle"
