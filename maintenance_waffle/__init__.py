"""Maintenance mode (503) for Django, driven by django-waffle switches and flags."""

from __future__ import annotations

__title__ = "maintenance-waffle"
__description__ = "Maintenance mode (503) for Django, driven by django-waffle switches and flags."
__version__ = "0.1.0"
__author__ = "maintenance_waffle contributors"
__license__ = "MIT"
__copyright__ = "Copyright (c) 2026 maintenance_waffle contributors"
