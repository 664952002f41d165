"""The maintenance middleware, ``MaintenanceModeMiddleware``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

from maintenance_waffle import banner, responses
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import apply_decision
from maintenance_waffle.state import state


class MaintenanceModeMiddleware:
    """Answer requests in maintenance with the maintenance response.

    Place it after ``AuthenticationMiddleware`` (and ``LocaleMiddleware`` if a flag
    targets languages), ideally last: user, group and staff targeting need
    ``request.user``. Views decorated with ``force_maintenance_mode_on`` answer with the
    maintenance response by themselves, so no request is resolved here. While maintenance
    is on or a window is coming up, admin pages get the maintenance banner.

    A subclass may override ``process_request`` (returning a response or None), as
    django-maintenance-mode's users do, typically with ``maintenance_waffle.http``'s
    ``need_maintenance_response`` and ``get_maintenance_response``; it is then called
    on every request (run in a thread under ASGI).
    """

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]] | None = None,
    ) -> None:
        # Made without get_response (django-maintenance-mode's tests do), it answers None
        # where the view's response would be.
        self.get_response = get_response or _no_response
        # django-maintenance-mode's subclasses override process_request and expect it to
        # be called on every request, as theirs is: no fast path for them.
        self.fast_path = type(self).process_request is MaintenanceModeMiddleware.process_request
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        if self.fast_path and _passes_at_once(request):
            return self.get_response(request)
        maintenance, admin_banner = self._enter(request)
        if maintenance is not None:
            return maintenance
        response = cast(HttpResponse, self.get_response(request))
        # None: made without get_response, as django-maintenance-mode's tests do.
        if response is not None and getattr(request, "_maintenance_exempt", False):
            keep_private(response)
        return response if admin_banner is None else banner.add(request, response, admin_banner)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse
        if self.fast_path and _passes_at_once(request):
            response = await self.get_response(request)  # type: ignore[misc]
            return response
        # Refreshing the snapshot and loading the user are blocking: one hop.
        maintenance, admin_banner = await sync_to_async(self._enter)(request)
        if maintenance is not None:
            return maintenance
        response = await self.get_response(request)  # type: ignore[misc]
        if getattr(request, "_maintenance_exempt", False):
            keep_private(response)
        return response if admin_banner is None else banner.add(request, response, admin_banner)

    def _enter(self, request: HttpRequest) -> tuple[HttpResponse | None, dict[str, Any] | None]:
        """The maintenance response, or else the banner to add to the admin page
        ``request`` is for (None for other pages, or when there is nothing to say)."""
        response = self.process_request(request)
        if response is not None:
            return response, None
        return None, banner.for_request(request)

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        """The maintenance response for ``request``, or None to let it through.

        Sets ``request.maintenance_mode``, and logs the user out where the settings say
        so. A subclass may override it (see the class).
        """
        config = get_config()
        snapshot = state.get(config)
        decision = apply_decision(request, snapshot, config)
        if decision.respond:
            return responses.build(request, snapshot, config, decision.scope)
        return None


def keep_private(response: HttpResponseBase) -> None:
    """Mark what an exempt request is served ``private`` (RFC 9111, 5.2.2.7), so a
    shared cache cannot hand it to the visitors maintenance keeps out. A response
    already ``private`` or ``no-store`` is left as it is; ``public`` becomes
    ``private``; every other directive (``max-age`` …) is kept. Headers only, so
    streaming responses too."""
    header = response.get("Cache-Control")
    if header:
        directives = {field.split("=", 1)[0].strip().lower() for field in header.split(",")}
        if "private" in directives or "no-store" in directives:
            return
    patch_cache_control(response, private=True)


def _no_response(request: HttpRequest) -> None:
    return None


def _passes_at_once(request: HttpRequest) -> bool:
    """The fast path: while the snapshot is fresh, nothing can be in maintenance and
    ``settings.MAINTENANCE_MODE`` was not assigned since, the request passes with no I/O
    and no further call."""
    if not state.settled():
        return False
    request.maintenance_mode = False  # type: ignore[attr-defined]
    request.maintenance_read_only = False  # type: ignore[attr-defined]
    request.maintenance_area = None  # type: ignore[attr-defined]
    return True
