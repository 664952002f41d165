from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from maintenance_waffle import responses
from maintenance_waffle.conf import get_config
from maintenance_waffle.decision import decide
from maintenance_waffle.state import state


class MaintenanceModeMiddleware:
    """Answer requests in maintenance with the maintenance response.

    Place it after ``AuthenticationMiddleware`` (and ``LocaleMiddleware`` if a flag
    targets languages), ideally last: user, group and staff targeting need
    ``request.user``.
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
            # Django runs a sync process_view in a thread under ASGI; avoid that hop.
            self.process_view = self._aprocess_view  # type: ignore[method-assign,assignment]

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        snapshot = state.peek()
        if snapshot is not None and snapshot.idle:
            # The fast path, as in process_request() but without its calls.
            request.maintenance_mode = False  # type: ignore[attr-defined]
            return self.get_response(request)
        response = self.process_request(request)
        if response is None:
            return self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        snapshot = state.peek()
        if snapshot is not None and snapshot.idle:
            request.maintenance_mode = False  # type: ignore[attr-defined]
            response = None
        else:
            # Refreshing the snapshot and loading the user are blocking: one hop.
            response = await sync_to_async(self.process_request)(request)
        if response is None:
            response = await self.get_response(request)  # type: ignore[misc]
        return response

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        config = get_config()
        snapshot = state.get(config)
        if snapshot.idle:
            # The fast path: nothing can be in maintenance, no I/O at all.
            request.maintenance_mode = False  # type: ignore[attr-defined]
            return None
        decision = decide(request, snapshot, config)
        request.maintenance_mode = decision.applies  # type: ignore[attr-defined]
        if decision.logout:
            # The one side effect, after the decision (MAINTENANCE_MODE_LOGOUT_*).
            logout(request)
        if decision.respond:
            return responses.build(request, snapshot, config)
        return None

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        # Seen here rather than by resolving every request: Django has just resolved it.
        if getattr(view_func, "force_maintenance_mode_on", False):
            return self._forced_response(request)
        return None

    async def _aprocess_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if getattr(view_func, "force_maintenance_mode_on", False):
            return await sync_to_async(self._forced_response)(request)
        return None

    def _forced_response(self, request: HttpRequest) -> HttpResponse:
        request.maintenance_mode = True  # type: ignore[attr-defined]
        config = get_config()
        return responses.build(request, state.get(config), config)
