from __future__ import annotations

from typing import Any

from django import template

from maintenance_waffle.conf import get_config
from maintenance_waffle.decision import site_wide
from maintenance_waffle.state import current_time, state

register = template.Library()


@register.inclusion_tag("maintenance_waffle/admin/banner.html")
def maintenance_banner() -> dict[str, Any]:
    """A banner for admin pages while maintenance is on or a window is coming up."""
    config = get_config()
    snapshot = state.get(config)
    now = current_time()
    window = snapshot.next_window(now)
    return {
        "on": site_wide(snapshot, config, now),
        "window": window,
        "upcoming": window is not None and not window.covers(now),
        "flag_possible": not snapshot.switch and not snapshot.idle and window is None,
    }
