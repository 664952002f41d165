from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from maintenance_waffle.models import MaintenanceWindow
from maintenance_waffle.templatetags.maintenance_waffle import maintenance_banner
from tests.rows import set_flag, set_switch, targeted_flag

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DASHBOARD = "/admin/maintenance_waffle/maintenance/"
LINK = (
    f'<a href="{DASHBOARD}" style="color: inherit; text-decoration: underline;">'
    "Open the maintenance dashboard</a>"
)


def banner(client: Client, path: str = "/admin/") -> str:
    """The banner of an admin page, or "" when it has none."""
    response = client.get(path)
    assert response.status_code == 200
    content = response.content.decode()
    if 'class="maintenance-banner"' not in content:
        return ""
    return content.split('class="maintenance-banner"', 1)[1].split("</div>", 1)[0]


def test_no_banner_while_off(admin_client: Client) -> None:
    assert banner(admin_client) == ""


def test_the_banner_while_the_switch_is_on(admin_client: Client) -> None:
    set_switch(True)

    text = banner(admin_client)

    assert "<strong>Maintenance mode is on.</strong>" in text
    assert "Until" not in text
    assert LINK in text
    assert 'role="status"' in text


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/waffle/switch/",
        "/admin/maintenance_waffle/maintenancewindow/",
        DASHBOARD,
    ],
)
def test_the_banner_is_on_every_admin_page(admin_client: Client, path: str) -> None:
    set_switch(True)

    assert "Maintenance mode is on." in banner(admin_client, path)


def test_the_banner_on_the_login_page(client: Client) -> None:
    set_switch(True)

    assert "Maintenance mode is on." in banner(client, "/admin/login/")


def test_the_banner_while_a_window_is_upcoming(admin_client: Client) -> None:
    start = datetime(2099, 1, 1, 8, tzinfo=dt_timezone.utc)
    MaintenanceWindow.objects.create(start=start, end=start + HOUR)

    text = banner(admin_client)

    assert "<strong>Maintenance is scheduled from Jan. 1, 2099, 8 a.m..</strong>" in text
    assert "Until" not in text
    assert LINK in text


def test_the_banner_during_a_window_with_an_end(admin_client: Client) -> None:
    MaintenanceWindow.objects.create(
        start=None, end=datetime(2099, 1, 1, 9, 30, tzinfo=dt_timezone.utc)
    )

    text = banner(admin_client)

    assert "<strong>Maintenance mode is on.</strong>" in text
    assert "Until Jan. 1, 2099, 9:30 a.m.." in text


def test_the_banner_during_a_window_without_an_end(admin_client: Client) -> None:
    MaintenanceWindow.objects.create(start=timezone.now() - HOUR, end=None)

    text = banner(admin_client)

    assert "<strong>Maintenance mode is on.</strong>" in text
    assert "Until" not in text


def test_no_banner_after_a_window(admin_client: Client) -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - 2 * HOUR, end=now - HOUR, end_recorded=True)

    assert banner(admin_client) == ""


def test_the_banner_with_the_setting(admin_client: Client, settings: Any) -> None:
    settings.MAINTENANCE_MODE = True

    assert "Maintenance mode is on." in banner(admin_client)


def test_no_banner_for_targeted_maintenance(admin_client: Client) -> None:
    # The targeted flag is per request; the site as a whole is not in maintenance.
    set_flag(targeted_flag(), everyone=True)

    assert banner(admin_client) == ""


def test_the_tags_context() -> None:
    assert maintenance_banner() == {
        "on": False,
        "window": None,
        "upcoming": False,
        "flag_possible": False,
    }
    set_switch(True)
    assert maintenance_banner()["on"] is True


def test_the_tags_context_with_targeted_maintenance() -> None:
    set_flag(targeted_flag(), everyone=True)

    context = maintenance_banner()

    assert (context["on"], context["flag_possible"]) == (False, True)


def test_the_tags_context_with_an_upcoming_window() -> None:
    start = timezone.now() + HOUR
    MaintenanceWindow.objects.create(start=start, end=None, reason="Later")

    context = maintenance_banner()

    assert (context["on"], context["upcoming"], context["flag_possible"]) == (False, True, False)
    assert context["window"].start == start
    assert context["window"].reason == "Later"


def test_the_tag_in_a_projects_own_template() -> None:
    set_switch(True)

    html = Template("{% load maintenance_waffle %}{% maintenance_banner %}").render(Context())

    assert "Maintenance mode is on." in html
    assert LINK in html
