"""Maintenance mode (503) for Django, driven by django-waffle switches and flags."""

from __future__ import annotations

__version__ = "0.1.0"
