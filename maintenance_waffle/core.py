"""django-maintenance-mode's Python API, over waffle's switch."""

from __future__ import annotations

from contextlib import ContextDecorator
from types import TracebackType
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from maintenance_waffle import responses
from maintenance_waffle.conf import conf, get_config
from maintenance_waffle.decision import decide, site_wide
from maintenance_waffle.state import read_switch, state, write_switch

__all__ = [
    "get_maintenance_mode",
    "get_maintenance_response",
    "maintenance_mode_off",
    "maintenance_mode_on",
    "need_maintenance_response",
    "override_maintenance_mode",
    "set_maintenance_mode",
]


def get_maintenance_mode() -> bool:
    """The site-wide state: the ``MAINTENANCE_MODE`` setting when set, else the switch.

    The targeted flag is per request, so it never makes this True.
    """
    config = get_config()
    return site_wide(state.get(config), config)


def _check_settable() -> None:
    if conf.MAINTENANCE_MODE is not None:
        raise ImproperlyConfigured(
            "Maintenance mode cannot be set dynamically if defined in settings."
        )


def set_maintenance_mode(value: bool, *, reason: str | None = None, user: Any = None) -> None:
    """Turn site-wide maintenance on or off by saving waffle's switch.

    ``reason`` is shown to visitors while maintenance is on (it is kept in the
    switch's note); turning maintenance on without one clears the previous reason.
    """
    _check_settable()
    if not isinstance(value, bool):
        raise TypeError("value argument type is not boolean")
    if reason is not None and not isinstance(reason, str):
        raise TypeError("reason argument type is not str")
    if value and reason is None:
        reason = ""
    write_switch(get_config(), value, reason)


def need_maintenance_response(request: HttpRequest) -> bool:
    """Whether ``request`` gets the maintenance response, exemptions applied."""
    config = get_config()
    return decide(request, state.get(config), config).respond


def get_maintenance_response(request: HttpRequest) -> HttpResponse:
    """The maintenance response for ``request``."""
    config = get_config()
    return responses.build(request, state.get(config), config)


class override_maintenance_mode(ContextDecorator):
    """Set the switch for the duration of a block or a function, then restore it."""

    def __init__(self, value: bool) -> None:
        self.value = value
        self._saved: list[tuple[bool, str] | None] = []

    def __enter__(self) -> None:
        _check_settable()
        self._saved.append(read_switch(get_config()))
        set_maintenance_mode(self.value)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        saved = self._saved.pop()
        active, note = saved if saved is not None else (False, "")
        write_switch(get_config(), active, note)


class maintenance_mode_on(override_maintenance_mode):
    def __init__(self) -> None:
        super().__init__(True)


class maintenance_mode_off(override_maintenance_mode):
    def __init__(self) -> None:
        super().__init__(False)
