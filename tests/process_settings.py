"""Settings for tests that run Django in other processes.

The test settings use an in-memory database, which a second process cannot see; this
module points the default database at the SQLite file named by
``MAINTENANCE_WAFFLE_TEST_DB`` and shortens the refresh interval.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("MAINTENANCE_WAFFLE_TEST_DB", ":memory:"),
    }
}
MAINTENANCE_WAFFLE_REFRESH_INTERVAL = 0.2
# An area, for the propagation tests (migrate creates its switch).
MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/checkout/"]}
