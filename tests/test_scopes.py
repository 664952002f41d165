"""Read-only mode and maintenance areas (DESIGN §10): deciding, responding, the Python API."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.http import HttpRequest
from django.test import RequestFactory, override_settings
from django.utils import timezone
from waffle.models import Switch

from maintenance_waffle import apps as app_module
from maintenance_waffle.conf import READ_ONLY, area_scope, get_config
from maintenance_waffle.context_processors import maintenance_mode as context_processor
from maintenance_waffle.core import (
    get_maintenance_mode,
    get_maintenance_response,
    get_read_only,
    need_maintenance_response,
    set_maintenance_mode,
    set_read_only,
)
from maintenance_waffle.decision import Decision, area_of, scope_window
from maintenance_waffle.models import Channel, MaintenanceChange, MaintenanceWindow
from maintenance_waffle.state import State, state
from maintenance_waffle.testing import MaintenanceArea
from tests.conftest import Commit
from tests.rows import exempt_flag, set_flag, switch_table_gone

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
PROBLEM = {"accept": "application/problem+json"}
AREAS = {"checkout": [r"^/page/"], "reports": [r"^/async/", r"^/healthz$"]}


@pytest.fixture(autouse=True)
def areas(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = AREAS


def request_of(response: Any) -> Any:
    """The request a test client's response answered, WSGI or ASGI."""
    return getattr(response, "wsgi_request", None) or response.asgi_request


def problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = json.loads(response.content)
    return body


# Read-only mode ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_read_only_serves_safe_requests(http: Any, method: str, read_only_on: None) -> None:
    assert getattr(http, method)("/").status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only_refuses_changes(http: Any, method: str) -> None:
    set_read_only(True, reason="Moving the database")

    body = problem(getattr(http, method)("/", headers=PROBLEM))

    assert body["read_only"] is True
    assert "area" not in body
    assert body["detail"] == "Moving the database"
    assert body["ends_at"] is None


def test_read_only_default_detail_and_page(http: Any, read_only_on: None) -> None:
    detail = problem(http.post("/", headers=PROBLEM))["detail"]
    page = http.post("/")

    assert detail == (
        "The site is read-only for maintenance: changes are paused. Please try again later."
    )
    assert page.status_code == 503
    content = page.content.decode()
    assert "<title>Changes paused for maintenance</title>" in content
    assert "Changes are paused for a while" in content
    assert "You can keep browsing, but nothing can be saved" in content
    assert page["Retry-After"] == "3600"


def test_pages_say_read_only_mode_is_on(http: Any, read_only_on: None) -> None:
    response = http.get("/page/")

    assert response.status_code == 200
    assert request_of(response).maintenance_read_only is True
    assert request_of(response).maintenance_mode is False
    assert request_of(response).maintenance_area is None


def test_nothing_in_force_sets_the_request_attributes(http: Any) -> None:
    response = http.get("/page/")

    request = request_of(response)
    assert (request.maintenance_mode, request.maintenance_read_only) == (False, False)
    assert request.maintenance_area is None


@override_settings(MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS=[r"^/healthz$"])
def test_read_only_allows_changes_to_the_allowed_urls(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {}
    set_read_only(True)

    assert http.post("/healthz").status_code == 200
    assert http.post("/").status_code == 503


def test_read_only_lets_the_admin_and_exempt_users_change(http: Any, admin_user: User) -> None:
    set_read_only(True)

    # The admin site is exempt: operators can turn read-only mode off from it.
    assert http.post("/admin/login/", {"username": "x", "password": "y"}).status_code == 200
    http.force_login(admin_user)  # superusers are in the exempt flag
    assert http.post("/").status_code == 200


def test_read_only_exempt_by_the_settings(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ["127.0.0.1"]
    set_read_only(True)

    assert http.post("/").status_code == 200


def test_read_only_honours_force_maintenance_mode_off(http: Any) -> None:
    set_read_only(True)

    assert http.post("/force-off/").status_code == 200


def test_site_wide_maintenance_wins_over_read_only_mode(http: Any) -> None:
    set_read_only(True, reason="Read-only")
    set_maintenance_mode(True, reason="Everything")

    get = problem(http.get("/", headers=PROBLEM))
    post = problem(http.post("/", headers=PROBLEM))

    assert get["detail"] == post["detail"] == "Everything"
    assert "read_only" not in post


def test_a_read_only_window(http: Any) -> None:
    end = timezone.now() + HOUR
    set_read_only(True, end=end, reason="Reindexing")

    response = http.post("/")
    body = problem(http.post("/", headers=PROBLEM))

    assert response.status_code == 503
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert body["ends_at"] == end.isoformat()
    assert body["detail"] == "Reindexing"
    assert get_read_only() is True
    assert get_maintenance_mode() is False
    assert MaintenanceWindow.objects.get().scope == READ_ONLY


def test_a_future_read_only_window_waits(http: Any) -> None:
    set_read_only(True, start=timezone.now() + HOUR)

    assert http.post("/").status_code == 200
    assert get_read_only() is False


def test_the_read_only_switch_holds_it_on_past_a_window() -> None:
    set_read_only(True, end=timezone.now() + HOUR)
    Switch.objects.update_or_create(name="maintenance_mode_read_only", defaults={"active": True})
    state.invalidate()
    config = get_config()

    assert scope_window(state.get(config), config, READ_ONLY) is None


# Areas ------------------------------------------------------------------------------------


def test_an_area_down(http: Any, maintenance_area: MaintenanceArea) -> None:
    maintenance_area("checkout", reason="Payment provider upgrade")

    body = problem(http.get("/page/", headers=PROBLEM))
    page = http.get("/page/")

    assert body["area"] == "checkout"
    assert "read_only" not in body
    assert body["detail"] == "Payment provider upgrade"
    assert page.status_code == 503
    assert "This part of the site is down for maintenance" in page.content.decode()
    assert "Payment provider upgrade" in page.content.decode()
    # The rest of the site is served.
    assert http.get("/").status_code == 200
    assert http.get("/async/").status_code == 200


def test_an_area_without_a_reason(http: Any, maintenance_area: MaintenanceArea) -> None:
    maintenance_area("reports")

    body = problem(http.get("/healthz", headers=PROBLEM))

    assert body["area"] == "reports"
    assert (
        body["detail"] == "This part of the site is down for maintenance. Please try again later."
    )


def test_the_request_knows_its_area_even_when_exempt(http: Any, admin_user: User) -> None:
    set_maintenance_mode(True, area="checkout")
    http.force_login(admin_user)

    response = http.get("/page/")

    assert response.status_code == 200
    assert request_of(response).maintenance_area == "checkout"
    assert request_of(response).maintenance_mode is False


def test_an_area_window(http: Any) -> None:
    end = timezone.now() + HOUR
    set_maintenance_mode(True, end=end, area="reports")

    body = problem(http.get("/async/", headers=PROBLEM))

    assert body["ends_at"] == end.isoformat()
    assert get_maintenance_mode(area="reports") is True
    assert get_maintenance_mode(area="checkout") is False
    assert get_maintenance_mode() is False
    assert MaintenanceWindow.objects.get().scope == area_scope("reports")


def test_read_only_and_an_area_together(http: Any) -> None:
    set_read_only(True)
    set_maintenance_mode(True, area="checkout")

    # In the area, the area's page, for reading too.
    assert problem(http.get("/page/", headers=PROBLEM))["area"] == "checkout"
    assert http.get("/").status_code == 200
    assert problem(http.post("/", headers=PROBLEM))["read_only"] is True


def test_site_wide_maintenance_wins_over_areas(http: Any) -> None:
    set_maintenance_mode(True, area="checkout")
    set_maintenance_mode(True)

    body = problem(http.get("/page/", headers=PROBLEM))

    assert "area" not in body


def test_an_area_removed_from_settings_is_ignored(http: Any, settings: Any) -> None:
    set_maintenance_mode(True, area="checkout")
    set_maintenance_mode(True, area="reports", end=timezone.now() + HOUR)
    settings.MAINTENANCE_WAFFLE_AREAS = {"reports": [r"^/elsewhere/"]}

    assert http.get("/page/").status_code == 200
    assert http.get("/async/").status_code == 200
    assert Switch.objects.get(name="maintenance_mode:checkout").active is True
    assert state.get(get_config()).idle is False  # the reports window is still pending


@pytest.mark.parametrize(
    ("patterns", "combined"),
    [
        ([r"^/page/"], True),
        ([re.compile(r"^/PAGE/", re.IGNORECASE)], False),
        ([r"^/(p)age/\1?"], False),
        ([r"(?i)^/page/"], False),
    ],
)
def test_areas_patterns_combined_or_each_in_turn(
    settings: Any, patterns: list[Any], combined: bool
) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"other": [r"^/nowhere/"], "checkout": patterns}
    set_maintenance_mode(True, area="checkout")
    config = get_config()
    snapshot = state.get(config)

    assert (config.areas_pattern is not None) is combined
    assert area_of("/page/", snapshot, config) == "checkout"
    assert area_of("/other/", snapshot, config) is None


def test_the_same_group_name_twice_cannot_be_combined(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"a": [r"^/a/(?P<slug>\w+)/"], "b": [r"^/b/(?P<slug>\w+)/"]}
    set_maintenance_mode(True, area="b")
    config = get_config()

    assert config.areas_pattern is None
    assert area_of("/b/shoes/", state.get(config), config) == "b"


def test_an_area_that_is_not_down_passes(settings: Any) -> None:
    set_maintenance_mode(True, area="reports")
    config = get_config()

    assert area_of("/page/", state.get(config), config) is None


def test_no_areas_configured(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {}
    config = get_config()

    assert area_of("/page/", state.get(config), config) is None
    assert config.switch_names == ("maintenance_mode", "maintenance_mode_read_only")


# The Python API -------------------------------------------------------------------------


def test_unknown_areas_are_refused_and_change_nothing() -> None:
    message = "Unknown maintenance area 'shop': MAINTENANCE_WAFFLE_AREAS has 'checkout', 'reports'."
    with pytest.raises(ValueError, match=re.escape(message)):
        set_maintenance_mode(True, area="shop")
    with pytest.raises(ValueError, match=re.escape(message)):
        get_maintenance_mode(area="shop")

    assert not Switch.objects.filter(name="maintenance_mode:shop").exists()
    assert not MaintenanceChange.objects.exists()


def test_unknown_area_without_any_configured(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {}
    with pytest.raises(ValueError, match="MAINTENANCE_WAFFLE_AREAS has none"):
        set_maintenance_mode(True, area="checkout")


@pytest.mark.parametrize(
    "call", [set_read_only, lambda value: set_maintenance_mode(value, area="checkout")]
)
def test_values_are_checked(call: Any) -> None:
    with pytest.raises(TypeError, match="value argument type is not boolean"):
        call("on")


def test_reasons_are_checked() -> None:
    with pytest.raises(TypeError, match="reason argument type is not str"):
        set_read_only(True, reason=5)  # type: ignore[arg-type]


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="start argument value must be < end argument value"):
        set_read_only(True, start=timezone.now() + 2 * HOUR, end=timezone.now() + HOUR)
    with pytest.raises(ValueError, match="can only be used with value True"):
        set_maintenance_mode(False, end=timezone.now() + HOUR, area="checkout")
    assert not MaintenanceWindow.objects.exists()


def test_the_setting_fixes_only_the_site_wide_state(settings: Any) -> None:
    settings.MAINTENANCE_MODE = False

    set_read_only(True)
    set_maintenance_mode(True, area="checkout")

    assert (get_read_only(), get_maintenance_mode(area="checkout")) == (True, True)
    assert get_maintenance_mode() is False


def test_each_scope_replaces_only_its_own_state() -> None:
    later = timezone.now() + HOUR
    set_maintenance_mode(True, start=later)
    set_read_only(True, start=later)
    set_maintenance_mode(True, start=later, area="checkout")

    set_read_only(False)

    assert sorted(MaintenanceWindow.objects.values_list("scope", flat=True)) == [
        "",
        "area:checkout",
    ]
    set_maintenance_mode(False)
    assert list(MaintenanceWindow.objects.values_list("scope", flat=True)) == ["area:checkout"]


def test_scoped_changes_are_audited(commit: Commit) -> None:
    with commit():
        set_read_only(True, reason="Failover")
    with commit():
        set_maintenance_mode(True, area="checkout", end=timezone.now() + HOUR)
    with commit():
        set_read_only(False)

    changes = list(
        MaintenanceChange.objects.order_by("pk").values_list("subject", "old", "new", "channel")
    )
    window = MaintenanceWindow.objects.get()
    assert changes[0] == ("switch maintenance_mode_read_only", "off", "on", Channel.API)
    assert changes[1][0] == f"area:checkout window #{window.pk}"
    assert changes[-1] == ("switch maintenance_mode_read_only", "on", "off", Channel.API)
    assert MaintenanceChange.objects.filter(reason="Failover").count() == 1


def test_the_reason_ends_with_read_only_mode(http: Any) -> None:
    set_read_only(True, reason="Failover")
    Switch.objects.filter(name="maintenance_mode_read_only").get().delete()
    set_read_only(True)

    assert problem(http.post("/", headers=PROBLEM))["detail"].startswith("The site is read-only")


def test_turning_read_only_off_from_waffle_ends_its_reason(http: Any) -> None:
    set_read_only(True, reason="Failover")
    row = Switch.objects.get(name="maintenance_mode_read_only")
    row.active = False
    row.save()
    row.active = True
    row.save()

    assert problem(http.post("/", headers=PROBLEM))["detail"].startswith("The site is read-only")


# need_maintenance_response / get_maintenance_response / the context processor -------------


def request_for(rf: RequestFactory, method: str, path: str) -> HttpRequest:
    request: HttpRequest = getattr(rf, method)(path)
    request.user = User()  # anonymous enough: not staff, not a superuser, no groups
    request.user.is_active = False
    return request


def test_the_api_responds_for_the_request_scope(rf: RequestFactory) -> None:
    set_read_only(True)
    set_maintenance_mode(True, area="checkout")
    post = request_for(rf, "post", "/")
    get = request_for(rf, "get", "/page/")

    assert need_maintenance_response(post)
    assert need_maintenance_response(get)
    assert b"Changes are paused" in get_maintenance_response(post).content
    assert b"This part of the site is down" in get_maintenance_response(get).content


def test_the_context_processor_says_read_only(rf: RequestFactory) -> None:
    assert context_processor(rf.get("/"))["maintenance_read_only"] is False
    set_read_only(True)
    assert context_processor(rf.get("/"))["maintenance_read_only"] is True


@pytest.mark.parametrize(
    ("decision", "scope"),
    [
        (Decision(applies=True, respond=True, read_only=True, area="checkout"), ""),
        (Decision(applies=False, respond=True, read_only=True, area="checkout"), "area:checkout"),
        (Decision(applies=False, respond=True, read_only=True), "read-only"),
        (Decision(applies=False, respond=False), ""),
    ],
)
def test_the_scope_of_a_decision(decision: Decision, scope: str) -> None:
    assert decision.scope == scope


# migrate creates the switches -----------------------------------------------------------


def test_migrate_creates_the_switches_of_read_only_mode_and_every_area() -> None:
    Switch.objects.filter(name="maintenance_mode_read_only").update(active=True, note="mine")

    app_module.create_switches(using="default")

    switches = dict(Switch.objects.values_list("name", "active"))
    assert switches == {
        "maintenance_mode": False,
        "maintenance_mode_read_only": True,  # left alone
        "maintenance_mode:checkout": False,
        "maintenance_mode:reports": False,
    }
    assert Switch.objects.get(name="maintenance_mode_read_only").note == "mine"
    assert not MaintenanceChange.objects.exists()  # nothing changed for anyone


def test_migrate_leaves_databases_the_router_keeps_waffle_off(settings: Any) -> None:
    settings.DATABASE_ROUTERS = ["tests.test_scopes.NoWaffleHere"]

    app_module.create_switches(using="default")

    assert not Switch.objects.filter(name__startswith="maintenance_mode:").exists()


class NoWaffleHere:
    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return app_label != "waffle"


def test_migrate_without_waffles_tables_creates_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any) -> None:
        raise DatabaseError("no such table: waffle_switch")

    monkeypatch.setattr("maintenance_waffle.store.create_switches", fail)

    app_module.create_switches(using="default")  # no error: migrate reports missing tables


def test_a_scoped_snapshot_is_not_idle() -> None:
    config = get_config()
    assert state.get(config).idle is True
    set_read_only(True)
    assert (state.get(config).idle, state.get(config).scoped) == (False, True)


def test_exempt_flag_users_change_during_read_only_mode(http: Any, django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("editor")
    set_flag(exempt_flag(), everyone=True)
    http.force_login(user)
    set_read_only(True)

    assert http.post("/").status_code == 200


def test_no_areas_setting_at_all(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = None
    config = get_config()

    assert (config.areas, config.problems) == ((), ())


@override_settings(
    MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0, MAINTENANCE_WAFFLE_FULL_REFRESH_INTERVAL=0
)
def test_read_only_mode_and_areas_survive_losing_the_database() -> None:
    set_read_only(True, reason="Failover")
    set_maintenance_mode(True, area="checkout")
    fresh = State()
    config = get_config()
    assert fresh.get(config).read_only

    with switch_table_gone():
        kept = fresh.get(config)
        # Too old to trust: the fallback state knows nothing of either.
        fresh._loaded_at = time.monotonic() - config.max_staleness - 1
        fallback = fresh.get(config)

    assert (kept.read_only, kept.areas, kept.reasons) == (
        True,
        frozenset({"checkout"}),
        {"maintenance_mode_read_only": "Failover", "maintenance_mode:checkout": ""},
    )
    assert (fallback.read_only, fallback.areas) == (False, frozenset())
