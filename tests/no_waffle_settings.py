"""The test settings without waffle, the step people moving over forget (check E001).

Used by a test that runs ``manage.py check`` in another process: the app must load far
enough for the check to say so, instead of failing on an import of waffle's models.
"""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS as TESTS_INSTALLED_APPS
from tests.settings import MIDDLEWARE as TESTS_MIDDLEWARE

INSTALLED_APPS = [app for app in TESTS_INSTALLED_APPS if app != "waffle"]
MIDDLEWARE = [entry for entry in TESTS_MIDDLEWARE if not entry.startswith("waffle.")]
