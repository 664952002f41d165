"""A small Django project that shows every feature of maintenance_waffle."""

from __future__ import annotations
