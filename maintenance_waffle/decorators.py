"""View decorators, as in django-maintenance-mode."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse

from maintenance_waffle.core import get_maintenance_response

View = TypeVar("View", bound=Callable[..., Any])


def force_maintenance_mode_off(view_func: View) -> View:
    """Let this view through even while maintenance is on (needs the middleware)."""
    if iscoroutinefunction(view_func):

        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await view_func(*args, **kwargs)

        wrapper: Any = async_wrapper
    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view_func(*args, **kwargs)

    wrapper = functools.wraps(view_func)(wrapper)
    wrapper.force_maintenance_mode_off = True
    return wrapper  # type: ignore[no-any-return]


def _maintenance_response(request: HttpRequest) -> HttpResponse:
    request.maintenance_mode = True  # type: ignore[attr-defined]
    return get_maintenance_response(request)


def force_maintenance_mode_on(view_func: View) -> View:
    """Always answer this view with the maintenance response, exemptions ignored.

    The view itself is never called; this works with or without the middleware.
    """
    if iscoroutinefunction(view_func):

        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return await sync_to_async(_maintenance_response)(request)

        wrapper: Any = async_wrapper
    else:

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            return _maintenance_response(request)

    wrapper = functools.wraps(view_func)(wrapper)
    wrapper.force_maintenance_mode_on = True
    return wrapper  # type: ignore[no-any-return]
