from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
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

# The banner on admin pages, which the middleware adds: tests/test_banner.py.


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


def test_the_tag_while_off() -> None:
    html = Template("{% load maintenance_waffle %}{% maintenance_banner %}").render(Context())

    assert html.strip() == ""
