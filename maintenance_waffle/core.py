"""django-maintenance-mode's Python API, over waffle's switch and our windows."""

from __future__ import annotations

from collections.abc import Callable
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
from maintenance_waffle.conf import AREA_PREFIX, READ_ONLY, Config, area_scope, get_config
from maintenance_waffle.decision import (
    PASS,
    Decision,
    areas_in_force,
    decide,
    read_only_in_force,
    site_wide,
    view_forces_maintenance,
)
from maintenance_waffle.models import Channel
from maintenance_waffle.state import Snapshot, state
from maintenance_waffle.store import SiteState, Window, current_time
from maintenance_waffle.utils import parse_aware_datetime

__all__ = [
    "get_maintenance_mode",
    "get_maintenance_response",
    "get_read_only",
    "maintenance_mode_off",
    "maintenance_mode_on",
    "need_maintenance_response",
    "override_maintenance_mode",
    "parse_aware_datetime",
    "set_maintenance_mode",
    "set_read_only",
]


def get_maintenance_mode(area: str | None = None) -> bool:
    """The site-wide state: the ``MAINTENANCE_MODE`` setting when set, else the switch
    or a window covering now. With ``area``, whether that area of
    ``MAINTENANCE_WAFFLE_AREAS`` is down (its switch, or a window of its own).

    The targeted flag is per request, so it never makes this True.
    """
    config = get_config()
    if area is not None:
        check_area(config, area)
        return area in areas_in_force(state.get(config))
    if config.override is not None:
        return config.override
    return site_wide(state.get(config), config)


def get_read_only() -> bool:
    """Whether read-only mode is on: its switch, or a read-only window covering now."""
    return read_only_in_force(state.get(get_config()))


def set_read_only(
    value: bool,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    *,
    reason: str | None = None,
    user: Any = None,
) -> None:
    """Turn read-only mode on or off, or schedule it from ``start`` to ``end``: as
    ``set_maintenance_mode``, for read-only mode's switch and windows only."""
    _check_value(value, reason)
    with changing(Channel.API, user=user, reason=reason):
        _set(value, start, end, reason, READ_ONLY)


def set_scope(
    scope: str,
    value: bool,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    *,
    reason: str | None = None,
    user: Any = None,
) -> None:
    """``set_read_only`` or ``set_maintenance_mode`` (with ``area=``), as ``scope`` ("",
    "read-only" or "area:<name>") says: for callers that hold a scope."""
    if scope == READ_ONLY:
        set_read_only(value, start, end, reason=reason, user=user)
    else:
        area = scope.removeprefix(AREA_PREFIX) or None
        set_maintenance_mode(value, start, end, reason=reason, user=user, area=area)


def check_area(config: Config, area: Any) -> None:
    """Raise ValueError unless ``area`` is one of ``MAINTENANCE_WAFFLE_AREAS``."""
    if area not in config.area_names:
        known = ", ".join(repr(name) for name in config.area_names) or "none"
        raise ValueError(
            f"Unknown maintenance area {area!r}: MAINTENANCE_WAFFLE_AREAS has {known}."
        )


def _check_value(value: Any, reason: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError("value argument type is not boolean")
    if reason is not None and not isinstance(reason, str):
        raise TypeError("reason argument type is not str")


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
    area: str | None = None,
) -> None:
    """Turn site-wide maintenance on or off, or schedule it from ``start`` to ``end``;
    with ``area``, that area of ``MAINTENANCE_WAFFLE_AREAS`` only.

    Any call replaces what was set before for the same scope (the switch and every
    window). ``reason`` is shown to visitors while maintenance is on; turning
    maintenance on without one clears the previous reason.
    """
    if area is None:
        _check_settable()
    else:
        check_area(get_config(), area)
    _check_value(value, reason)
    with changing(Channel.API, user=user, reason=reason):
        _set(value, start, end, reason, "" if area is None else area_scope(area))


def _set(
    value: bool,
    start: datetime | str | None,
    end: datetime | str | None,
    reason: str | None,
    scope: str = "",
) -> None:
    switch_name = get_config().scope_switch_name(scope)
    if start is None and end is None:
        if value and reason is None:
            reason = ""
        store.write_site_state(switch_name, value, reason, windows=(), scope=scope)
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
    window = Window(start=start_at, end=end_at, reason=reason or "", scope=scope)
    store.write_site_state(switch_name, False, windows=(window,), scope=scope)


def apply_decision(request: HttpRequest, snapshot: Snapshot, config: Config) -> Decision:
    """Decide ``request`` and act on it as the middleware does: set
    ``request.maintenance_mode`` and log the user out where the settings say so."""
    decision = PASS if snapshot.idle else decide(request, snapshot, config)
    request.maintenance_mode = decision.applies  # type: ignore[attr-defined]
    request.maintenance_read_only = decision.read_only  # type: ignore[attr-defined]
    request.maintenance_area = decision.area  # type: ignore[attr-defined]
    # For the middleware: what an exempt request is served is kept out of shared caches.
    request._maintenance_exempt = decision.exempt  # type: ignore[attr-defined]
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
    """The maintenance response for ``request``: for its area or read-only mode when
    the decision (``need_maintenance_response``, the middleware) put it there."""
    config = get_config()
    decision = Decision(
        applies=getattr(request, "maintenance_mode", False),
        respond=True,
        read_only=getattr(request, "maintenance_read_only", False),
        area=getattr(request, "maintenance_area", None),
    )
    return responses.build(request, state.get(config), config, decision.scope)


class override_scope(ContextDecorator):
    """Change one scope ("" site-wide, "read-only" or "area:<name>") with ``change`` for
    a block or a function, then put back exactly what was stored before: its switch, its
    reason and every window of it."""

    def __init__(self, scope: str, change: Callable[[], None]) -> None:
        self.scope = scope
        self.change = change
        self._saved: list[SiteState] = []

    def __enter__(self) -> None:
        switch_name = get_config().scope_switch_name(self.scope)
        self._saved.append(store.read_site_state(switch_name, store.write_alias(), self.scope))
        self.change()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        saved = self._saved.pop()
        with changing(Channel.API):
            store.write_site_state(
                get_config().scope_switch_name(self.scope),
                saved.active,
                saved.reason,
                saved.windows,
                scope=self.scope,
            )


class override_maintenance_mode(override_scope):
    """Set maintenance on or off for a block or a function, then put back exactly
    what was stored before (the switch, its reason and every window)."""

    def __init__(self, value: bool) -> None:
        super().__init__("", lambda: set_maintenance_mode(self.value))
        self.value = value

    def __enter__(self) -> None:
        _check_settable()
        if not isinstance(self.value, bool):
            raise TypeError("value argument type is not boolean")
        super().__enter__()


class maintenance_mode_on(override_maintenance_mode):
    """Maintenance on for a block (``with maintenance_mode_on():``) or a function
    (``@maintenance_mode_on()``), then exactly as it was stored before."""

    def __init__(self) -> None:
        super().__init__(True)


class maintenance_mode_off(override_maintenance_mode):
    """Maintenance off for a block (``with maintenance_mode_off():``) or a function
    (``@maintenance_mode_off()``), then exactly as it was stored before."""

    def __init__(self) -> None:
        super().__init__(False)
