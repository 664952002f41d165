"""Views that set their own Cache-Control, for the tests of ``Cache-Control: private`` on
what exempt requests are served (tests/test_private_cache.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import include, path

from tests import views


def _answer(cache_control: str | None) -> HttpResponse:
    response = HttpResponse("page")
    if cache_control is not None:
        response["Cache-Control"] = cache_control
    return response


def public(request: HttpRequest) -> HttpResponse:
    return _answer("public, max-age=60")


def no_store(request: HttpRequest) -> HttpResponse:
    return _answer("public, no-store")


def already_private(request: HttpRequest) -> HttpResponse:
    return _answer('private="Set-Cookie", max-age=5')


def plain(request: HttpRequest) -> HttpResponse:
    return _answer(None)


async def async_public(request: HttpRequest) -> HttpResponse:
    return _answer("Public, s-maxage=600, max-age=60")


def _chunks() -> Iterator[bytes]:
    yield b"streamed "
    yield b"page"


async def _async_chunks() -> AsyncIterator[bytes]:
    for chunk in _chunks():
        yield chunk


def streaming(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_chunks())
    response["Cache-Control"] = "public, max-age=60"
    return response


async def async_streaming(request: HttpRequest) -> StreamingHttpResponse:
    # An async iterator, as the ASGI handler wants.
    response = StreamingHttpResponse(_async_chunks())
    response["Cache-Control"] = "public, max-age=60"
    return response


urlpatterns = [
    path("public/", public),
    path("no-store/", no_store),
    path("private/", already_private),
    path("plain/", plain),
    path("async-public/", async_public),
    path("streaming/", streaming),
    path("async-streaming/", async_streaming),
    path("force-off/", views.forced_off),
    path("admin/", admin.site.urls),
    path("maintenance-mode/", include("maintenance_waffle.urls")),
]
