from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from maintenance_waffle.models import MaintenanceWindow
from maintenance_waffle.templatetags.maintenance_waffle import maintenance_banner
from tests.rows import set_flag, set_switch, targeted_flag

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DASHBOARD = "/admin/maintenance_waffle/maintenance/"
LINK = f'<a href="{DASHBOARD}">Open the maintenance dashboard</a>'
TAG = Template("{% load maintenance_waffle %}{% maintenance_banner %}")

# The banner on admin pages, which the middleware adds: tests/test_banner.py.


def test_the_tags_context() -> None:
    assert maintenance_banner(Context()) == {
        "on": False,
        "until": "",
        "window": None,
        "upcoming": "",
        "flag_possible": False,
        "read_only": False,
        "read_only_until": "",
        "areas": [],
        "dashboard_link": False,
    }
    set_switch(True)
    assert maintenance_banner(Context())["on"] is True
    assert maintenance_banner(Context())["until"] == "until turned off"


def test_the_tags_context_with_targeted_maintenance() -> None:
    set_flag(targeted_flag(), everyone=True)

    context = maintenance_banner(Context())

    assert (context["on"], context["flag_possible"]) == (False, True)


def test_the_tags_context_with_an_upcoming_window() -> None:
    start = timezone.now() + HOUR
    MaintenanceWindow.objects.create(start=start, end=None, reason="Later")

    context = maintenance_banner(Context())

    assert (context["on"], context["flag_possible"]) == (False, False)
    assert context["upcoming"] == f"from {start:%Y-%m-%d %H:%M} UTC until turned off"
    assert context["window"].start == start
    assert context["window"].reason == "Later"


def test_the_tag_in_a_projects_own_template(admin_user: User) -> None:
    set_switch(True)

    html = TAG.render(Context({"request": user_request(admin_user)}))

    assert "Maintenance mode is on." in html
    assert LINK in html


@pytest.mark.parametrize("who", ["no request", "anonymous", "no permission"])
def test_the_tag_links_to_the_dashboard_only_for_who_may_open_it(
    who: str, django_user_model: Any
) -> None:
    set_switch(True)
    user = {
        "anonymous": AnonymousUser(),
        "no permission": django_user_model.objects.create_user("editor", is_staff=True),
    }.get(who)
    context = Context({} if user is None else {"request": user_request(user)})

    html = TAG.render(context)

    assert "Maintenance mode is on." in html
    assert "<a " not in html


def test_the_tag_while_off() -> None:
    assert TAG.render(Context()).strip() == ""


def user_request(user: Any) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user
    return request
