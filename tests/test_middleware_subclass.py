"""A project's own subclass of the middleware (tests/subclass_project), under WSGI and ASGI."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from model_bakery import baker
from pytest_django import Settings

from maintenance_waffle.checks import check_installation
from maintenance_waffle.core import set_maintenance_mode
from maintenance_waffle.middleware import MaintenanceModeMiddleware
from tests.rows import logged_in
from tests.subclass_project import settings as project
from tests.subclass_project.middleware import PARTNER_KEY, SiteMaintenanceMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _project(settings: Settings) -> None:
    settings.MIDDLEWARE = project.MIDDLEWARE
    settings.ROOT_URLCONF = project.ROOT_URLCONF


def test_process_request_runs_on_every_request(http: Any) -> None:
    # Nothing can be in maintenance, which the package's own middleware answers at once;
    # the project's process_request still sees every request, as it did before.
    response = http.get("/")
    assert response.content == b"seen_by_project=True maintenance_mode=False"
    assert http.get("/").content == b"seen_by_project=True maintenance_mode=False"


def test_maintenance_response_from_the_project_middleware(http: Any) -> None:
    set_maintenance_mode(True)
    response = http.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "3600"


def test_project_rule_comes_first(http: Any) -> None:
    set_maintenance_mode(True)
    response = http.get("/", headers={"X-Partner-Key": PARTNER_KEY})
    assert response.content == b"seen_by_project=True maintenance_mode=None"


def test_exempt_request_is_marked(http: Any, settings: Settings) -> None:
    settings.MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER = True
    set_maintenance_mode(True)
    assert http.get("/").content == b"seen_by_project=True maintenance_mode=True"


def test_need_maintenance_response_logs_out_as_upstream(http: Any, settings: Settings) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    http.force_login(baker.make(User))
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503
    assert not logged_in(http)


def test_forced_view_gets_the_maintenance_response(http: Any) -> None:
    assert http.get("/closed/").status_code == 503


def test_checks_accept_the_subclass() -> None:
    assert check_installation() == []


class Renamed(MaintenanceModeMiddleware):
    """A subclass that changes nothing about the decision."""


def test_only_an_overridden_process_request_gives_up_the_fast_path() -> None:
    assert SiteMaintenanceMiddleware(HttpResponse).fast_path is False
    assert Renamed(HttpResponse).fast_path is True
    assert MaintenanceModeMiddleware(HttpResponse).fast_path is True
