"""The status endpoint (DESIGN §11): the maintenance state as JSON for load balancers,
status pages and single-page apps; the same for everybody, never a 503 itself."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from maintenance_waffle import views
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import set_maintenance_mode, set_read_only
from maintenance_waffle.decision import decide
from maintenance_waffle.state import state
from tests.rows import exempt_flag, set_flag, target

pytestmark = pytest.mark.django_db

URL = "/maintenance-mode/status/"
HOUR = timedelta(hours=1)
OFF = {
    "maintenance_mode": False,
    "read_only": False,
    "areas": {},
    "reason": None,
    "ends_at": None,
    "retry_after": None,
}


def request_of(response: Any) -> Any:
    """The request a test client's response answered, WSGI or ASGI."""
    return getattr(response, "wsgi_request", None) or response.asgi_request


def status(http: Any, **headers: str) -> dict[str, Any]:
    """The endpoint's answer, checked for what every answer has in common."""
    response = http.get(URL, headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "max-age=1"
    assert "Expires" not in response
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    body: dict[str, Any] = json.loads(response.content)
    return body


def local_iso(value: datetime) -> str:
    return timezone.localtime(value, timezone.get_default_timezone()).isoformat()


def test_url_name() -> None:
    assert reverse("maintenance_mode_status") == URL
    assert resolve(URL).func is views.status


def test_off(http: Any) -> None:
    assert status(http) == OFF


def test_site_wide_without_reason(http: Any) -> None:
    set_maintenance_mode(True)

    assert status(http) == {**OFF, "maintenance_mode": True, "retry_after": 3600}
    assert http.get("/").status_code == 503


def test_site_wide_with_reason(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = 120
    set_maintenance_mode(True, reason="Upgrading the database")

    assert status(http) == {
        **OFF,
        "maintenance_mode": True,
        "reason": "Upgrading the database",
        "retry_after": 120,
    }


def test_window_with_an_end(http: Any, settings: Any) -> None:
    # Another zone than the database's UTC, and one a request activated is not used.
    settings.TIME_ZONE = "America/New_York"
    settings.MAINTENANCE_MODE_RETRY_AFTER = 60
    end = timezone.now() + 2 * HOUR
    set_maintenance_mode(True, end=end, reason="Moving servers")

    with timezone.override("Asia/Tokyo"):
        body = status(http)

    assert body["maintenance_mode"] is True
    assert body["reason"] == "Moving servers"
    assert body["ends_at"] == local_iso(end)
    assert body["ends_at"].endswith(("-05:00", "-04:00"))
    assert datetime.fromisoformat(body["ends_at"]) == end
    # The seconds left, as the maintenance response's Retry-After, not the setting.
    assert 3600 < body["retry_after"] <= 2 * 3600
    assert 3600 < int(http.get("/")["Retry-After"]) <= body["retry_after"]


def test_retry_after_is_the_time_left(http: Any) -> None:
    soon = timezone.now() + timedelta(minutes=5)
    set_maintenance_mode(True, end=soon)
    first = status(http)["retry_after"]
    assert 0 < first <= 300

    later = timezone.now() + 3 * HOUR
    set_maintenance_mode(True, end=later)
    assert 2 * 3600 < status(http)["retry_after"] <= 3 * 3600


def test_window_without_an_end(http: Any) -> None:
    set_maintenance_mode(True, start=timezone.now() - HOUR)

    body = status(http)

    assert body == {**OFF, "maintenance_mode": True, "retry_after": 3600}


def test_window_to_come(http: Any) -> None:
    set_maintenance_mode(True, start=timezone.now() + HOUR, end=timezone.now() + 2 * HOUR)

    assert status(http) == OFF


@pytest.mark.parametrize("setting", [0, None, ""])
def test_no_retry_after(http: Any, settings: Any, setting: Any) -> None:
    # As the maintenance response: a falsy setting means none, window or not.
    settings.MAINTENANCE_MODE_RETRY_AFTER = setting
    set_maintenance_mode(True, end=timezone.now() + HOUR)

    body = status(http)

    assert body["maintenance_mode"] is True
    assert body["ends_at"] is not None
    assert body["retry_after"] is None


def test_retry_after_as_a_date(http: Any, settings: Any) -> None:
    # An HTTP-date is no number of seconds.
    settings.MAINTENANCE_MODE_RETRY_AFTER = "Wed, 21 Oct 2037 07:28:00 GMT"
    set_maintenance_mode(True)

    assert status(http)["retry_after"] is None


def test_retry_after_as_digits(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = "90"
    set_maintenance_mode(True)

    assert status(http)["retry_after"] == 90


def test_maintenance_mode_setting(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE = True

    assert status(http) == {**OFF, "maintenance_mode": True, "retry_after": 3600}


def test_switch_on_but_setting_off(http: Any, settings: Any) -> None:
    set_maintenance_mode(True, reason="Not in force")
    settings.MAINTENANCE_MODE = False

    assert status(http) == OFF


def test_read_only(http: Any) -> None:
    set_read_only(True, reason="Moving the database")

    assert status(http) == {**OFF, "read_only": True}
    assert http.post("/").status_code == 503


def test_read_only_window(http: Any) -> None:
    set_read_only(True, end=timezone.now() + HOUR)

    assert status(http) == {**OFF, "read_only": True}


def test_areas(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {
        "reports": [r"^/async/"],
        "checkout": [r"^/page/"],
        "search": [r"^/search/"],
    }
    assert status(http)["areas"] == {"reports": False, "checkout": False, "search": False}

    set_maintenance_mode(True, area="checkout", reason="New payment provider")
    set_maintenance_mode(True, area="search", end=timezone.now() + HOUR)

    body = status(http)
    assert body == {**OFF, "areas": {"reports": False, "checkout": True, "search": True}}
    # In the order of the setting.
    assert list(body["areas"]) == ["reports", "checkout", "search"]


def test_area_holding_the_status_url(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"everything": [r"^/"]}
    set_maintenance_mode(True, area="everything")

    response = http.get(URL)

    assert response.status_code == 200
    assert json.loads(response.content)["areas"] == {"everything": True}
    assert request_of(response).maintenance_area == "everything"
    assert response["Cache-Control"] == "max-age=1"
    assert http.get("/").status_code == 503


def test_everything_at_once(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/page/"]}
    set_read_only(True)
    set_maintenance_mode(True, area="checkout")
    set_maintenance_mode(True, reason="Everything")

    assert status(http) == {
        "maintenance_mode": True,
        "read_only": True,
        "areas": {"checkout": True},
        "reason": "Everything",
        "ends_at": None,
        "retry_after": 3600,
    }


# HTTP ------------------------------------------------------------------------------------


def test_head(http: Any) -> None:
    set_maintenance_mode(True)

    response = http.head(URL)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "max-age=1"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_other_methods(http: Any, method: str) -> None:
    set_maintenance_mode(True)

    response = getattr(http, method)(URL)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_post_gets_405_not_a_csrf_failure() -> None:
    assert Client(enforce_csrf_checks=True).post(URL).status_code == 405


# Never in maintenance, the same for everybody ------------------------------------------------


def test_never_a_503(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    set_maintenance_mode(True)

    response = http.get(URL, headers={"accept": "application/json"})

    assert response.status_code == 200
    assert json.loads(response.content)["maintenance_mode"] is True
    assert request_of(response).maintenance_mode is True


def test_without_exemptions(http: Any, settings: Any) -> None:
    # Not an exemption the project could take away.
    settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG = None
    settings.MAINTENANCE_MODE_IGNORE_ADMIN_SITE = False
    set_maintenance_mode(True)

    assert status(http)["maintenance_mode"] is True


def test_the_same_for_everybody(http: Any, admin_user: User) -> None:
    set_maintenance_mode(True, reason="Upgrading")
    anonymous = status(http)
    http.force_login(admin_user)

    # A superuser is exempt, but is told the same (and what they get is not private).
    assert status(http) == anonymous
    assert http.get("/").status_code == 200


def test_targeted_maintenance_reads_nothing_of_the_visitor(http: Any) -> None:
    # Whether the visitor is targeted needs their user, hence their session; the
    # status endpoint does not ask.
    target(authenticated=True)
    visitor = User.objects.create_user("visitor")
    http.force_login(visitor)
    assert http.get("/").status_code == 503

    response = http.get(URL)

    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")
    assert json.loads(response.content) == OFF
    request = request_of(response)
    assert request.maintenance_mode is False
    assert not request.session.accessed


def test_exempt_users_by_group_are_not_looked_up(http: Any) -> None:
    set_flag(exempt_flag(), superusers=False, authenticated=True)
    set_maintenance_mode(True)
    http.force_login(User.objects.create_user("visitor"))

    response = http.get(URL)

    assert response.status_code == 200
    assert not request_of(response).session.accessed


def test_no_queries_beyond_a_refresh(
    http: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.MAINTENANCE_WAFFLE_REFRESH_INTERVAL = 3600
    set_maintenance_mode(True, end=timezone.now() + HOUR)
    status(http)  # the refresh

    with django_assert_num_queries(0):
        body = status(http)

    assert body["maintenance_mode"] is True


def test_decision_for_the_status_url(rf: Any) -> None:
    config = get_config()
    set_maintenance_mode(True)
    snapshot = state.get(config)

    decision = decide(rf.get(URL), snapshot, config)

    assert (decision.applies, decision.respond, decision.exempt) == (True, False, False)
    assert decide(rf.get("/"), snapshot, config).respond is True
