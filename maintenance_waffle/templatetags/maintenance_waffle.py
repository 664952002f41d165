from __future__ import annotations

from typing import Any

from django import template

from maintenance_waffle import banner
from maintenance_waffle.conf import get_config
from maintenance_waffle.state import state

register = template.Library()


@register.inclusion_tag(banner.TEMPLATE, takes_context=True)
def maintenance_banner(context: template.Context) -> dict[str, Any]:
    """A banner while maintenance is on or a window is coming up, with a link to the
    dashboard for users who may view it (the context's ``request.user``).

    The middleware adds it to admin pages by itself; this tag places it elsewhere (an
    admin page that has it is left as it is).
    """
    config = get_config()
    request = context.get("request")
    return banner.context(state.get(config), config, user=getattr(request, "user", None))
