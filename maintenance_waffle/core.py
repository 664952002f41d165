"""django-maintenance-mode's Python API, over waffle's switch and our windows."""

from __future__ import annotations

from contextlib import ContextDecorator
from datetime import datetime
from types import TracebackType
from typing import Any

from django.contrib.auth import logout
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from maintenance_waffle import responses, store
from maintenance_waffle.audit import changing
from maintenance_waffle.conf import Config, get_config
from maintenance_waffle.decision import PASS, Decision, decide, site_wide, view_forces_maintenance
from maintenance_waffle.models import Channel
from maintenance_waffle.state import Snapshot, state
from maintenance_waffle.store import SiteState, Window, current_time
from maintenance_waffle.utils import parse_aware_datetime

__all__ = [
    "get_maintenance_mode",
    "get_maintenance_response",
    "maintenance_mode_off",
    "maintenance_mode_on",
    "need_maintenance_response",
    "override_maintenance_mode",
    "parse_aware_datetime",
    "set_maintenance_mode",
]


def get_maintenance_mode() -> bool:
    """The site-wide state: the ``MAINTENANCE_MODE`` setting when set, else the switch
    or a window covering now.

    The targeted flag is per request, so it never makes this True.
    """
    config = get_config()
    if config.override is not None:
        return config.override
    return site_wide(state.get(config), config)


def settable() -> bool:
    """Whether the site-wide state can be changed: not while ``MAINTENANCE_MODE`` (a
    valid value; an invalid one is ignored, check E003) fixes it."""
    return get_config().override is None


def _check_settable() -> None:
    if not settable():
        raise ImproperlyConfigured(
            "Maintenance mode cannot be set dynamically if defined in settings."
        )


def set_maintenance_mode(
    value: bool,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    *,
    reason: str | None = None,
    user: Any = None,
) -> None:
    """Turn site-wide maintenance on or off, or schedule it from ``start`` to ``end``.

    Any call replaces what was set before (the switch and every window). ``reason`` is
    shown to visitors while maintenance is on; turning maintenance on without one
    clears the previous reason.
    """
    _check_settable()
    if not isinstance(value, bool):
        raise TypeError("value argument type is not boolean")
    if reason is not None and not isinstance(reason, str):
        raise TypeError("reason argument type is not str")
    with changing(Channel.API, user=user, reason=reason):
        _set(value, start, end, reason)


def _set(
    value: bool, start: datetime | str | None, end: datetime | str | None, reason: str | None
) -> None:
    switch_name = get_config().switch_name
    if start is None and end is None:
        if value and reason is None:
            reason = ""
        store.write_site_state(switch_name, value, reason, windows=())
        return
    if not value:
        raise ValueError("start / end arguments can only be used with value True")
    # Validated as django-maintenance-mode validates its schedules, with its messages
    # (translated, for the dashboard).
    start_at = parse_aware_datetime(start)
    end_at = parse_aware_datetime(end)
    if start_at is not None and end_at is not None and start_at >= end_at:
        raise ValueError(gettext("start argument value must be < end argument value"))
    if end_at is not None and end_at <= current_time():
        raise ValueError(gettext("end argument value must be in the future"))
    window = Window(start=start_at, end=end_at, reason=reason or "")
    store.write_site_state(switch_name, False, windows=(window,))


def apply_decision(request: HttpRequest, snapshot: Snapshot, config: Config) -> Decision:
    """Decide ``request`` and act on it as the middleware does: set
    ``request.maintenance_mode`` and log the user out where the settings say so."""
    decision = PASS if snapshot.idle else decide(request, snapshot, config)
    request.maintenance_mode = decision.applies  # type: ignore[attr-defined]
    if decision.logout:
        # The one side effect, after the decision (MAINTENANCE_MODE_LOGOUT_*).
        logout(request)
    return decision


def need_maintenance_response(request: HttpRequest) -> bool:
    """Whether ``request`` gets the maintenance response: always for views decorated
    with force_maintenance_mode_on, else as the middleware decides (which sets
    ``request.maintenance_mode`` and logs out as the middleware does)."""
    if view_forces_maintenance(request):
        return True
    config = get_config()
    return apply_decision(request, state.get(config), config).respond


def get_maintenance_response(request: HttpRequest) -> HttpResponse:
    """The maintenance response for ``request``."""
    config = get_config()
    return responses.build(request, state.get(config), config)


class override_maintenance_mode(ContextDecorator):
    """Set maintenance on or off for a block or a function, then put back exactly
    what was stored before (the switch, its reason and every window)."""

    def __init__(self, value: bool) -> None:
        self.value = value
        self._saved: list[SiteState] = []

    def __enter__(self) -> None:
        _check_settable()
        if not isinstance(self.value, bool):
            raise TypeError("value argument type is not boolean")
        self._saved.append(store.read_site_state(get_config().switch_name, store.write_alias()))
        set_maintenance_mode(self.value)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        saved = self._saved.pop()
        with changing(Channel.API):
            store.write_site_state(
                get_config().switch_name, saved.active, saved.reason, saved.windows
            )


class maintenance_mode_on(override_maintenance_mode):
    def __init__(self) -> None:
        super().__init__(True)


class maintenance_mode_off(override_maintenance_mode):
    def __init__(self) -> None:
        super().__init__(False)
