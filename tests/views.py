from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View

from maintenance_waffle.decorators import force_maintenance_mode_off, force_maintenance_mode_on


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("home")


async def async_home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("async home")


def context_page(request: HttpRequest) -> HttpResponse:
    return render(request, "tests/page.html")


def maintenance_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("we are busy")


@force_maintenance_mode_off
def forced_off(request: HttpRequest) -> HttpResponse:
    return HttpResponse("forced off")


@force_maintenance_mode_on
def forced_on(request: HttpRequest) -> HttpResponse:
    raise AssertionError("never called")  # pragma: no cover


@force_maintenance_mode_off
async def async_forced_off(request: HttpRequest) -> HttpResponse:
    return HttpResponse("async forced off")


@force_maintenance_mode_on
async def async_forced_on(request: HttpRequest) -> HttpResponse:
    raise AssertionError("never called")  # pragma: no cover


@method_decorator(force_maintenance_mode_off, name="dispatch")
class ForcedOffView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("class forced off")


@method_decorator(force_maintenance_mode_on, name="dispatch")
class ForcedOnView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        raise AssertionError("never called")  # pragma: no cover
