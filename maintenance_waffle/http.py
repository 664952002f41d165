"""django-maintenance-mode's ``maintenance_mode.http`` names, for projects importing them."""

from __future__ import annotations

from maintenance_waffle.core import get_maintenance_response, need_maintenance_response

__all__ = ["get_maintenance_response", "need_maintenance_response"]
