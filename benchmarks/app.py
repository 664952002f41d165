"""The benchmarked site: one trivial view behind Django's standard middleware."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import waffle
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.urls import path


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("", index)]


class NaiveSwitchMiddleware:
    """What a hand-written waffle check costs: switch_is_active on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if waffle.switch_is_active("maintenance_mode"):
            return HttpResponse("maintenance", status=503)
        return self.get_response(request)


class CountingCache(LocMemCache):
    """Django's default cache, counting the keys it is asked for."""

    operations = 0

    def make_and_validate_key(self, *args: Any, **kwargs: Any) -> str:
        type(self).operations += 1
        return super().make_and_validate_key(*args, **kwargs)
