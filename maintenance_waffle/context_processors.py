"""The template context processor, ``maintenance_waffle.context_processors.maintenance_mode``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from maintenance_waffle.core import get_maintenance_mode, get_read_only


def maintenance_mode(request: HttpRequest) -> dict[str, Any]:
    """``{"maintenance_mode": bool, "maintenance_read_only": bool}``: the request's state
    when the middleware decided it, else the site-wide state and read-only mode (a page
    can say that changes are paused)."""
    value = getattr(request, "maintenance_mode", None)
    if value is None:
        return {
            "maintenance_mode": get_maintenance_mode(),
            "maintenance_read_only": get_read_only(),
        }
    read_only = getattr(request, "maintenance_read_only", False)
    return {"maintenance_mode": bool(value), "maintenance_read_only": bool(read_only)}
