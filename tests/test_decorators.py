from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, modify_settings
from model_bakery import baker
from pytest_django import Settings
from waffle.testutils import override_switch

from maintenance_waffle.decorators import force_maintenance_mode_off, force_maintenance_mode_on
from tests import views

WITHOUT_MIDDLEWARE = modify_settings(
    MIDDLEWARE={"remove": ["maintenance_waffle.middleware.MaintenanceModeMiddleware"]}
)
FORCE_OFF = [
    ("/force-off/", b"forced off"),
    ("/class-force-off/", b"class forced off"),
    ("/async-force-off/", b"async forced off"),
]
FORCE_ON = ["/force-on/", "/class-force-on/", "/async-force-on/"]


# The decorated callables ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "name", "attribute"),
    [
        (views.forced_off, "forced_off", "force_maintenance_mode_off"),
        (views.async_forced_off, "async_forced_off", "force_maintenance_mode_off"),
        (views.forced_on, "forced_on", "force_maintenance_mode_on"),
        (views.async_forced_on, "async_forced_on", "force_maintenance_mode_on"),
    ],
)
def test_function_views_keep_their_name_and_get_the_attribute(
    view: Any, name: str, attribute: str
) -> None:
    assert view.__name__ == name
    assert view.__wrapped__.__name__ == name
    assert view.__module__ == "tests.views"
    assert getattr(view, attribute) is True
    assert iscoroutinefunction(view) is name.startswith("async")


@pytest.mark.parametrize(
    ("view_class", "attribute"),
    [
        (views.ForcedOffView, "force_maintenance_mode_off"),
        (views.ForcedOnView, "force_maintenance_mode_on"),
    ],
)
def test_class_based_views_get_the_attribute_through_dispatch(
    view_class: Any, attribute: str
) -> None:
    assert getattr(view_class.as_view(), attribute) is True


def test_force_off_passes_arguments_through(rf: RequestFactory) -> None:
    def detail(request: HttpRequest, pk: int, *, fmt: str) -> HttpResponse:
        """Show one thing."""
        return HttpResponse(f"{pk}.{fmt}")

    async def async_detail(request: HttpRequest, pk: int, *, fmt: str) -> HttpResponse:
        return HttpResponse(f"async {pk}.{fmt}")

    decorated = force_maintenance_mode_off(detail)
    assert decorated.__doc__ == "Show one thing."
    assert decorated.__wrapped__ is detail  # type: ignore[attr-defined]
    assert decorated(rf.get("/"), 5, fmt="txt").content == b"5.txt"
    async_decorated = force_maintenance_mode_off(async_detail)
    assert iscoroutinefunction(async_decorated)
    assert async_to_sync(async_decorated)(rf.get("/"), 5, fmt="txt").content == b"async 5.txt"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "view",
    [
        views.forced_on,
        views.async_forced_on,
        force_maintenance_mode_on(views.home),
        force_maintenance_mode_on(views.async_home),
    ],
)
def test_force_on_called_directly_answers_503_without_calling_the_view(
    rf: RequestFactory, view: Any
) -> None:
    request = rf.get("/")
    response = async_to_sync(view)(request) if iscoroutinefunction(view) else view(request)
    assert response.status_code == 503
    assert b"home" not in response.content
    assert request.maintenance_mode is True  # type: ignore[attr-defined]


def test_force_on_wraps_the_view() -> None:
    decorated = force_maintenance_mode_on(views.home)
    assert decorated.__wrapped__ is views.home  # type: ignore[attr-defined]
    assert decorated.__name__ == "home"
    assert decorated.force_maintenance_mode_on is True  # type: ignore[attr-defined]
    assert not hasattr(views.home, "force_maintenance_mode_on")


# Through the stack (WSGI and ASGI) ------------------------------------------------------


def with_middleware(middleware: bool) -> AbstractContextManager[Any]:
    return nullcontext() if middleware else WITHOUT_MIDDLEWARE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("middleware", "switch", "home"),
    [
        (True, True, 503),
        (True, False, 200),
        # Nothing answers 503 without the middleware, decorated or not.
        (False, True, 200),
    ],
)
@pytest.mark.parametrize(("path", "body"), FORCE_OFF)
def test_force_off_views_answer_whatever_the_switch(
    http: Any, middleware: bool, switch: bool, home: int, path: str, body: bytes
) -> None:
    with with_middleware(middleware), override_switch("maintenance_mode", active=switch):
        assert http.get("/").status_code == home
        response = http.get(path)
    assert response.status_code == 200
    assert response.content == body


@pytest.mark.django_db
@pytest.mark.parametrize("switch", [True, False])
@pytest.mark.parametrize("path", FORCE_ON)
def test_force_on_views_answer_503_whatever_the_switch(http: Any, switch: bool, path: str) -> None:
    with override_switch("maintenance_mode", active=switch):
        response = http.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "3600"


@pytest.mark.django_db
@pytest.mark.parametrize("path", FORCE_ON)
def test_force_on_ignores_exemptions(http: Any, settings: Settings, path: str) -> None:
    settings.MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER = True
    http.force_login(baker.make(User, is_superuser=True, is_staff=True))
    with override_switch("maintenance_mode", active=True):
        assert http.get("/").status_code == 200
        assert http.get(path).status_code == 503


@pytest.mark.django_db
@pytest.mark.parametrize("path", FORCE_ON)
def test_force_on_without_the_middleware(http: Any, path: str) -> None:
    with WITHOUT_MIDDLEWARE:
        assert http.get(path).status_code == 503


@pytest.mark.django_db
@pytest.mark.parametrize("middleware", [True, False])
@pytest.mark.parametrize("path", FORCE_ON)
def test_force_on_page_is_in_maintenance_for_the_context_processor(
    http: Any, settings: Settings, middleware: bool, path: str
) -> None:
    # The switch is off, so only request.maintenance_mode can make the page say True.
    settings.MAINTENANCE_MODE_TEMPLATE = "tests/503_custom.html"
    with with_middleware(middleware):
        response = http.get(path)
    assert response.status_code == 503
    assert b"maintenance_mode=True" in response.content
    assert f"path={path}".encode() in response.content
