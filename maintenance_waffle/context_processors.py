from __future__ import annotations

from django.http import HttpRequest

from maintenance_waffle.core import get_maintenance_mode


def maintenance_mode(request: HttpRequest) -> dict[str, bool]:
    """``{"maintenance_mode": bool}``: the request's state when the middleware set it,
    else the site-wide state."""
    value = getattr(request, "maintenance_mode", None)
    if value is None:
        value = get_maintenance_mode()
    return {"maintenance_mode": bool(value)}
