"""A database router for the multi-database tests (tests/test_store.py)."""

from __future__ import annotations

from typing import Any

STATE_APPS = {"waffle", "maintenance_waffle"}


class PrimaryReplicaRouter:
    """waffle's and maintenance_waffle's rows are written to "primary" and read from
    "default", as from a read replica (which the tests do not replicate to, so that a
    read from the wrong database shows). Everything else stays on "default"."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return "default" if model._meta.app_label in STATE_APPS else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "primary" if model._meta.app_label in STATE_APPS else None
