"""The admin banner for read-only mode and areas (DESIGN §10)."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.contrib.auth.models import User

from maintenance_waffle import banner
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import set_maintenance_mode, set_read_only
from maintenance_waffle.state import state
from tests.rows import set_switch
from tests.test_banner import LINK, banner_of, staff_with

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
AREAS = {"checkout": [r"^/checkout/"], "reports": [r"^/reports/"]}


@pytest.fixture
def operator(http: Any, admin_user: User) -> Any:
    """A superuser's client, once through WSGI and once through ASGI."""
    http.force_login(admin_user)
    return http


@pytest.fixture
def areas(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = AREAS


def test_the_banner_while_read_only_mode_is_on(operator: Any) -> None:
    set_read_only(True, reason="Migrating")

    text = banner_of(operator.get("/admin/"))

    assert "<strong>Read-only mode is on.</strong> Until turned off." in text
    assert "Maintenance mode is on." not in text
    assert LINK in text
    assert "style=" not in text


def test_the_banner_says_until_when_a_window_holds_read_only_mode(operator: Any) -> None:
    set_read_only(True, end=datetime(2099, 1, 1, 9, 30, tzinfo=dt_timezone.utc))

    text = banner_of(operator.get("/admin/"))

    assert "<strong>Read-only mode is on.</strong> Until 2099-01-01 09:30 UTC." in text


def test_the_banner_names_the_areas_down_in_order(operator: Any, areas: None) -> None:
    set_maintenance_mode(True, area="reports")
    set_maintenance_mode(True, end=datetime(2099, 1, 1, tzinfo=dt_timezone.utc), area="checkout")

    text = banner_of(operator.get("/admin/"))

    assert (
        "<strong>Area checkout is down for maintenance.</strong> "
        "<strong>Area reports is down for maintenance.</strong>"
    ) in text
    assert "Read-only mode" not in text
    assert LINK in text


def test_the_banner_with_everything_on(operator: Any, areas: None) -> None:
    set_switch(True)
    set_read_only(True)
    set_maintenance_mode(True, area="checkout")

    text = banner_of(operator.get("/admin/"))

    # The site-wide sentences first, as they always were.
    assert text.index("<strong>Maintenance mode is on.</strong>") < text.index(
        "<strong>Read-only mode is on.</strong>"
    )
    assert "Area checkout is down for maintenance." in text
    assert text.count("Until turned off.") == 2


def test_no_banner_for_an_upcoming_read_only_window(operator: Any) -> None:
    later = datetime(2099, 1, 1, tzinfo=dt_timezone.utc)
    set_read_only(True, later, later + HOUR)

    assert banner_of(operator.get("/admin/")) == ""


def test_no_banner_once_read_only_mode_is_off(operator: Any, areas: None) -> None:
    set_read_only(True)
    set_maintenance_mode(True, area="checkout")
    set_read_only(False)
    set_maintenance_mode(False, area="checkout")

    assert banner_of(operator.get("/admin/")) == ""


def test_the_read_only_banner_without_the_dashboards_permission(http: Any) -> None:
    http.force_login(staff_with(User, "waffle.view_switch"))
    set_read_only(True)

    text = banner_of(http.get("/admin/waffle/switch/"))

    assert "Read-only mode is on." in text
    assert "<a " not in text


def test_no_read_only_banner_for_who_is_not_staff(http: Any) -> None:
    http.force_login(User.objects.create_user("visitor"))
    set_read_only(True)

    assert banner_of(http.get("/admin/login/")) == ""
    assert http.get("/admin/").status_code == 302


def test_the_read_only_banner_outside_the_admin_site(operator: Any) -> None:
    set_read_only(True)

    assert "maintenance-banner" not in operator.get("/").content.decode()


def test_the_context_of_read_only_mode_and_areas(areas: None) -> None:
    set_read_only(True)
    set_maintenance_mode(True, area="reports")
    config = get_config()

    context = banner.context(state.get(config), config)

    assert (context["on"], context["read_only"], context["read_only_until"]) == (
        False,
        True,
        "until turned off",
    )
    assert context["areas"] == ["reports"]
