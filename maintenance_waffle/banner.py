"""The maintenance banner of admin pages: what it says, and adding it to their responses.

The middleware adds it to the pages it answers, as django-debug-toolbar adds its
toolbar: an admin template of ours would only win when the app is listed before
``django.contrib.admin``, and never over a project's own ``admin/base_site.html``. The
``maintenance_banner`` template tag renders the same banner where a project wants it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string

from maintenance_waffle import describe
from maintenance_waffle.conf import READ_ONLY, Config, get_config
from maintenance_waffle.decision import (
    areas_in_force,
    ends_at,
    read_only_in_force,
    scope_ends_at,
    site_wide,
    under_admin_site,
)
from maintenance_waffle.state import Snapshot, current_time, state

TEMPLATE = "maintenance_waffle/admin/banner.html"
#: Where the banner goes: just before the page's content, after the admin's messages
#: (``admin/base.html`` of Django 5.2 to 6.1, popups included).
ANCHOR = b'<div id="content"'
#: Part of the banner's markup: a page that has it already (the project placed the
#: template tag itself) does not get a second one.
MARKER = b'class="maintenance-banner'

_Response = TypeVar("_Response", bound=HttpResponseBase)


#: The permissions that open the dashboard (either will do, as for any admin page): only
#: users who have one get the link to it.
DASHBOARD_PERMISSIONS = (
    "maintenance_waffle.view_maintenance",
    "maintenance_waffle.change_maintenance",
)


def may_open_dashboard(user: Any) -> bool:
    return any(user.has_perm(permission) for permission in DASHBOARD_PERMISSIONS)


def context(
    snapshot: Snapshot, config: Config, now: datetime | None = None, user: Any = None
) -> dict[str, Any]:
    """The banner template's context: whether maintenance is on and until when, else the
    window coming up, in words; whether read-only mode is on and until when; the areas
    down for maintenance; whether ``user`` may open the dashboard."""
    now = now or current_time()
    on = site_wide(snapshot, config, now)
    read_only = read_only_in_force(snapshot, now)
    down = areas_in_force(snapshot, now)
    window = snapshot.next_window(now)
    upcoming = ""
    if not on and config.override is None and window is not None and not window.covers(now):
        upcoming = describe.window(window.start, window.end)
    return {
        "on": on,
        # The MAINTENANCE_MODE setting holds it on: no end to state.
        "until": describe.until(ends_at(snapshot, config, now))
        if on and config.override is None
        else "",
        "window": window,
        "upcoming": upcoming,
        "flag_possible": not snapshot.switch and not snapshot.idle and window is None,
        "read_only": read_only,
        "read_only_until": describe.until(scope_ends_at(snapshot, config, READ_ONLY, now))
        if read_only
        else "",
        # In the order of MAINTENANCE_WAFFLE_AREAS.
        "areas": [area for area in config.area_names if area in down],
        "dashboard_link": user is not None and may_open_dashboard(user),
    }


def for_request(request: HttpRequest) -> dict[str, Any] | None:
    """The banner's context when ``request`` is for an admin page, by active staff, and
    maintenance is on or a window is coming up, or read-only mode or an area is on; None
    otherwise (the login page gets none). May refresh the snapshot and load the user:
    call it where blocking is allowed."""
    config = get_config()
    snapshot = state.get(config)
    # Only these say anything: nothing to do while at most the targeted flag applies.
    if not (snapshot.switch or snapshot.windows or config.override or snapshot.scoped):
        return None
    banner = context(snapshot, config)
    shown = banner["on"] or banner["upcoming"] or banner["read_only"] or banner["areas"]
    if not (shown and under_admin_site(request, config)):
        return None
    user = getattr(request, "user", None)
    if not (user is not None and user.is_active and user.is_staff):
        return None
    banner["dashboard_link"] = may_open_dashboard(user)
    return banner


def add(request: HttpRequest, response: _Response, banner: dict[str, Any]) -> _Response:
    """``response`` with the banner inserted before the admin's content, when it is a
    complete HTML page with such content and no banner yet; else ``response`` unchanged.

    Rendering needs no I/O beyond the template itself (the context is ``banner``, plus
    ``request``, without the project's context processors), so it may run on the event
    loop.
    """
    if (
        not isinstance(response, HttpResponse)  # streaming: the body cannot be edited
        or response.has_header("Content-Encoding")  # compressed by the view already
        or response.get("Content-Type", "").partition(";")[0].strip().lower() != "text/html"
    ):
        return response
    content = response.content
    at = content.find(ANCHOR)
    if at < 0 or MARKER in content:
        return response
    html = render_to_string(TEMPLATE, {**banner, "request": request})
    response.content = (
        content[:at] + html.encode(response.charset, "xmlcharrefreplace") + content[at:]
    )
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response
