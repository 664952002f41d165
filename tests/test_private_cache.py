"""``Cache-Control: private`` on what exempt requests are served during maintenance
(DESIGN §11): a shared cache must not hand the public what an exempt visitor saw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, RequestFactory, override_settings

from maintenance_waffle.bypass import COOKIE_NAME, create_link
from maintenance_waffle.core import set_maintenance_mode, set_read_only
from maintenance_waffle.decision import EXEMPT, MAINTENANCE, PASS, READ_ONLY_SERVED, Decision
from maintenance_waffle.middleware import MaintenanceModeMiddleware, keep_private
from maintenance_waffle.models import Channel
from tests.rows import target

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls_cache")]

CHANGED = "max-age=60, private"


def cache_control(response: Any) -> str | None:
    value: str | None = response.get("Cache-Control")
    return value


def content(response: Any) -> bytes:
    """A streaming response's content, from a sync or an async iterator."""
    if not response.is_async:
        return b"".join(response.streaming_content)

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in response.streaming_content])

    return async_to_sync(collect)()


def directives(response: Any) -> set[str]:
    return {field.strip() for field in (cache_control(response) or "").split(",")}


# Decision.exempt --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "exempt"),
    [
        (PASS, False),
        (MAINTENANCE, False),
        (EXEMPT, True),
        (Decision(True, False, logout=True), True),
        # Read-only mode: a change let through is exempt, a safe request is not.
        (Decision(False, False, read_only=True), True),
        (READ_ONLY_SERVED, False),
        (Decision(False, True, read_only=True), False),
        # An area: exempt, or answered with the maintenance response.
        (Decision(False, False, area="checkout"), True),
        (Decision(False, True, area="checkout"), False),
        # The status endpoint's answers are the same for everybody.
        (Decision(True, False, shared=True), False),
        (Decision(False, False, read_only=True, area="checkout", shared=True), False),
    ],
)
def test_decision_exempt(decision: Decision, exempt: bool) -> None:
    assert decision.exempt is exempt


# keep_private ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "private"),
        ("", "private"),
        ("max-age=60", CHANGED),
        ("public, max-age=60", CHANGED),
        ("Public, max-age=60", CHANGED),
        ("public,max-age=60,must-revalidate", "max-age=60, must-revalidate, private"),
        ("private", "private"),
        ('private="Set-Cookie", max-age=5', 'private="Set-Cookie", max-age=5'),
        ("no-store", "no-store"),
        ("public, No-Store", "public, No-Store"),
        ("max-age=0, no-cache, no-store, must-revalidate, private", None),
    ],
)
def test_keep_private(before: str | None, after: str | None) -> None:
    response = HttpResponse()
    if before is not None:
        response["Cache-Control"] = before

    keep_private(response)

    assert response["Cache-Control"] == (before if after is None else after)


def test_keep_private_streaming() -> None:
    response = StreamingHttpResponse(iter([b"a", b"b"]))
    response["Cache-Control"] = "public, max-age=60"

    keep_private(response)

    assert response["Cache-Control"] == CHANGED
    assert b"".join(response) == b"ab"


# Exempt requests -------------------------------------------------------------------------


def test_superuser_during_maintenance(http: Any, admin_user: User) -> None:
    # The default exempt flag lets superusers through.
    set_maintenance_mode(True)
    assert http.get("/public/").status_code == 503
    http.force_login(admin_user)

    response = http.get("/public/")

    assert response.status_code == 200
    assert cache_control(response) == CHANGED


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/public/", CHANGED),
        ("/async-public/", "s-maxage=600, max-age=60, private"),
        ("/plain/", "private"),
        ("/no-store/", "public, no-store"),
        ("/private/", 'private="Set-Cookie", max-age=5'),
    ],
)
def test_what_exempt_requests_get(http: Any, admin_user: User, path: str, expected: str) -> None:
    set_maintenance_mode(True)
    http.force_login(admin_user)

    response = http.get(path)

    assert response.status_code == 200
    assert cache_control(response) == expected


def test_streaming_response(http: Any, admin_user: User) -> None:
    set_maintenance_mode(True)
    http.force_login(admin_user)
    path = "/streaming/" if isinstance(http, Client) else "/async-streaming/"

    response = http.get(path)

    assert response.status_code == 200
    assert response.streaming
    assert cache_control(response) == CHANGED
    assert content(response) == b"streamed page"


def test_head_request(http: Any, admin_user: User) -> None:
    set_maintenance_mode(True)
    http.force_login(admin_user)

    assert cache_control(http.head("/public/")) == CHANGED


def test_ignored_urls_are_private_too(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE_IGNORE_URLS = [r"^/public/"]
    set_maintenance_mode(True, reason="Upgrading")

    response = http.get("/public/")

    assert response.status_code == 200
    assert cache_control(response) == CHANGED
    assert http.get("/plain/").status_code == 503


def test_force_maintenance_mode_off_view(http: Any) -> None:
    set_maintenance_mode(True)

    response = http.get("/force-off/")

    assert response.status_code == 200
    assert cache_control(response) == "private"


def test_admin_site(http: Any, admin_user: User) -> None:
    set_maintenance_mode(True)

    login = http.get("/admin/login/")
    assert login.status_code == 200
    assert "private" in directives(login)
    assert "public" not in directives(login)

    http.force_login(admin_user)
    index = http.get("/admin/")
    assert index.status_code == 200
    assert "private" in directives(index)


def test_bypass_cookie(http: Any) -> None:
    set_maintenance_mode(True)
    token, _ = create_link(timedelta(hours=1), Channel.API)
    http.cookies[COOKIE_NAME] = token

    response = http.get("/public/")

    assert response.status_code == 200
    assert cache_control(response) == CHANGED


def test_targeted_maintenance(http: Any, admin_user: User) -> None:
    # Targeted at logged-in users: the superuser is in it, and exempt.
    target(authenticated=True)
    assert cache_control(http.get("/public/")) == "public, max-age=60"  # not targeted
    http.force_login(admin_user)

    response = http.get("/public/")

    assert response.status_code == 200
    assert cache_control(response) == CHANGED


def test_other_user_during_targeted_maintenance(http: Any) -> None:
    target(authenticated=True)
    http.force_login(User.objects.create_user("visitor"))

    assert http.get("/public/").status_code == 503


# Read-only mode and areas -----------------------------------------------------------------


def test_read_only_safe_requests_stay_public(http: Any, admin_user: User) -> None:
    # Served to everybody alike: nobody is exempt from anything.
    set_read_only(True)
    assert cache_control(http.get("/public/")) == "public, max-age=60"
    http.force_login(admin_user)

    assert cache_control(http.get("/public/")) == "public, max-age=60"


def test_read_only_exempt_change(http: Any, admin_user: User) -> None:
    set_read_only(True)
    assert http.post("/public/").status_code == 503
    http.force_login(admin_user)

    response = http.post("/public/")

    assert response.status_code == 200
    assert cache_control(response) == CHANGED


def test_read_only_allowed_url(http: Any, settings: Any) -> None:
    # Writes stay allowed there for everybody: not an exemption.
    settings.MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS = [r"^/public/"]
    set_read_only(True)

    response = http.post("/public/")

    assert response.status_code == 200
    assert cache_control(response) == "public, max-age=60"


def test_area(http: Any, settings: Any, admin_user: User) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"shop": [r"^/public/"]}
    set_maintenance_mode(True, area="shop")
    assert http.get("/public/").status_code == 503
    assert cache_control(http.get("/no-store/")) == "public, no-store"
    http.force_login(admin_user)

    assert cache_control(http.get("/public/")) == CHANGED
    # Outside the area: served to everybody alike.
    assert cache_control(http.get("/async-public/")) == "Public, s-maxage=600, max-age=60"


# Nothing in maintenance ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/public/", "public, max-age=60"), ("/plain/", None), ("/no-store/", "public, no-store")],
)
def test_nothing_changes_when_off(http: Any, admin_user: User, path: str, expected: str) -> None:
    assert cache_control(http.get(path)) == expected
    http.force_login(admin_user)

    assert cache_control(http.get(path)) == expected


def test_off_after_on(http: Any, admin_user: User) -> None:
    http.force_login(admin_user)
    set_maintenance_mode(True)
    assert cache_control(http.get("/public/")) == CHANGED

    set_maintenance_mode(False)

    assert cache_control(http.get("/public/")) == "public, max-age=60"


def test_maintenance_response_keeps_never_cache(http: Any) -> None:
    set_maintenance_mode(True)

    response = http.get("/public/")

    assert response.status_code == 503
    assert cache_control(response) == "max-age=0, no-cache, no-store, must-revalidate, private"


@override_settings(ROOT_URLCONF="tests.urls")
def test_middleware_without_get_response(rf: RequestFactory, admin_user: User) -> None:
    # As django-maintenance-mode's tests make it: None where the response would be,
    # exempt request or not.
    middleware = MaintenanceModeMiddleware()
    set_maintenance_mode(True)
    request = rf.get("/")
    request.user = admin_user

    assert middleware(request) is None
    assert request.maintenance_mode is True  # type: ignore[attr-defined]

    request = rf.get("/")
    request.user = AnonymousUser()
    response = middleware(request)
    assert response is not None
    assert response.status_code == 503
