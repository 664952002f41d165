"""The test settings, with the project's middleware in place of the package's."""

from __future__ import annotations

from tests.settings import MIDDLEWARE as TESTS_MIDDLEWARE

PACKAGE_MIDDLEWARE = "maintenance_waffle.middleware.MaintenanceModeMiddleware"

MIDDLEWARE = [
    "tests.subclass_project.middleware.SiteMaintenanceMiddleware"
    if entry == PACKAGE_MIDDLEWARE
    else entry
    for entry in TESTS_MIDDLEWARE
]
ROOT_URLCONF = "tests.subclass_project.urls"
