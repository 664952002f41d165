from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from maintenance_waffle.decorators import force_maintenance_mode_on


def home(request: HttpRequest) -> HttpResponse:
    seen = getattr(request, "seen_by_project", False)
    in_maintenance = getattr(request, "maintenance_mode", None)
    return HttpResponse(f"seen_by_project={seen} maintenance_mode={in_maintenance}")


@force_maintenance_mode_on
def closed(request: HttpRequest) -> HttpResponse:
    raise AssertionError("never called")  # pragma: no cover


urlpatterns = [
    path("", home),
    path("closed/", closed),
]
