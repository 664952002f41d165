"""The sample site's own app: a notes model and the ``load_demo`` command."""

from __future__ import annotations
