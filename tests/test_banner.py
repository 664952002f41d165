"""The maintenance banner the middleware adds to admin pages (maintenance_waffle.banner)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import timezone

from maintenance_waffle import banner
from maintenance_waffle.models import MaintenanceWindow
from tests.rows import set_flag, set_switch, targeted_flag
from tests.settings import TEMPLATES

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DASHBOARD = "/admin/maintenance_waffle/maintenance/"
LINK = f'<a href="{DASHBOARD}">Open the maintenance dashboard</a>'
MARKER = 'class="maintenance-banner"'
PROJECT_TEMPLATES = Path(__file__).resolve().parent / "project_templates"
#: INSTALLED_APPS of `django-admin startproject`, then `+= ["waffle", "maintenance_waffle"]`.
DOCUMENTED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "waffle",
    "maintenance_waffle",
]
#: The order the app needed while it overrode admin/base_site.html.
APP_FIRST = ["maintenance_waffle", *(app for app in DOCUMENTED_APPS if app != "maintenance_waffle")]


def banner_of(response: Any) -> str:
    """The banner of a page, or "" when it has none (and never more than one)."""
    assert response.status_code == 200
    content: str = response.content.decode(response.charset)
    assert content.count("maintenance-banner") <= 1
    if MARKER not in content:
        return ""
    return content.split(MARKER, 1)[1].split("</div>", 1)[0]


@pytest.fixture
def operator(http: Any, admin_user: User) -> Any:
    """A superuser's client, once through WSGI and once through ASGI."""
    http.force_login(admin_user)
    return http


def staff_with(user_model: Any, *permissions: str) -> Any:
    """A new staff user who has ``permissions`` ("app_label.codename") and no others."""
    user = user_model.objects.create_user("editor", is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def project_templates(name: str) -> Any:
    """The project's own templates first, as ``TEMPLATES["DIRS"]``."""
    return override_settings(TEMPLATES=[{**TEMPLATES[0], "DIRS": [PROJECT_TEMPLATES / name]}])


# On admin pages -----------------------------------------------------------------------------


def test_no_banner_while_off(operator: Any) -> None:
    assert banner_of(operator.get("/admin/")) == ""


def test_the_banner_while_the_switch_is_on(operator: Any) -> None:
    set_switch(True)

    text = banner_of(operator.get("/admin/"))

    assert "<strong>Maintenance mode is on.</strong>" in text
    assert "Until turned off." in text
    assert LINK in text
    assert 'role="status"' in text
    assert "style=" not in text  # a strict Content-Security-Policy blocks style attributes


def test_the_banner_goes_before_the_content_after_the_messages(operator: Any) -> None:
    set_switch(True)

    # Adding a group shows a message on the next page.
    response = operator.post("/admin/auth/group/add/", {"name": "Editors"}, follow=True)

    content = response.content.decode()
    assert content.index('class="messagelist"') < content.index(MARKER)
    end = content.index("</div>", content.index(MARKER)) + len("</div>\n")
    assert content.index('<div id="content"') == end


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/waffle/switch/",
        "/admin/maintenance_waffle/maintenancewindow/",
        "/admin/maintenance_waffle/maintenancewindow/add/",
        DASHBOARD,
    ],
)
def test_the_banner_is_on_every_admin_page(operator: Any, path: str) -> None:
    set_switch(True)

    assert "Maintenance mode is on." in banner_of(operator.get(path))


def test_our_pages_extend_the_admins_own_base_site(operator: Any) -> None:
    set_switch(True)

    response = operator.get(DASHBOARD)

    assert "Django administration" in response.content.decode()
    assert "Maintenance mode is on." in banner_of(response)


def test_no_banner_for_anonymous_visitors_on_the_login_page(http: Any) -> None:
    set_switch(True)

    assert banner_of(http.get("/admin/login/")) == ""


def test_no_banner_for_users_who_are_not_staff(http: Any, django_user_model: Any) -> None:
    set_switch(True)
    http.force_login(django_user_model.objects.create_user("visitor"))

    # The admin sends them to its login page, which says nothing about maintenance.
    assert banner_of(http.get("/admin/login/")) == ""


def test_no_banner_for_staff_whose_account_is_disabled(
    operator: Any, admin_user: User, settings: Any
) -> None:
    # A backend that logs in inactive users: the admin turns them away, without a banner.
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    admin_user.is_active = False
    admin_user.save()
    operator.force_login(admin_user)
    set_switch(True)

    assert banner_of(operator.get("/admin/login/")) == ""


@pytest.mark.parametrize("codename", ["view_maintenance", "change_maintenance"])
def test_the_dashboard_link_for_staff_who_may_open_it(
    http: Any, django_user_model: Any, codename: str
) -> None:
    http.force_login(staff_with(django_user_model, f"maintenance_waffle.{codename}"))
    set_switch(True)

    assert LINK in banner_of(http.get("/admin/"))


def test_no_dashboard_link_for_staff_who_may_not_open_it(http: Any, django_user_model: Any) -> None:
    # They may edit waffle's switches, not see the dashboard: a link would lead to a 403.
    http.force_login(staff_with(django_user_model, "waffle.change_switch", "waffle.view_switch"))
    set_switch(True)

    text = banner_of(http.get("/admin/waffle/switch/"))

    assert "Maintenance mode is on." in text
    assert "<a " not in text
    assert http.get(DASHBOARD).status_code == 403


def test_the_banner_in_the_users_language(operator: Any) -> None:
    set_switch(True)

    text = banner_of(operator.get("/admin/", headers={"accept-language": "de"}))

    assert "Der Wartungsmodus ist eingeschaltet." in text
    assert "Wartungsübersicht öffnen" in text


def test_the_banner_while_a_window_is_upcoming(operator: Any) -> None:
    start = datetime(2099, 1, 1, 8, tzinfo=dt_timezone.utc)
    MaintenanceWindow.objects.create(start=start, end=start + HOUR)

    text = banner_of(operator.get("/admin/"))

    assert "<strong>Maintenance is scheduled from 2099-01-01 08:00 to 09:00 UTC.</strong>" in text
    assert "Until" not in text
    assert LINK in text


def test_the_banner_during_a_window_with_an_end(operator: Any) -> None:
    MaintenanceWindow.objects.create(
        start=None, end=datetime(2099, 1, 1, 9, 30, tzinfo=dt_timezone.utc)
    )

    text = banner_of(operator.get("/admin/"))

    assert "<strong>Maintenance mode is on.</strong>" in text
    assert "Until 2099-01-01 09:30 UTC." in text
    assert ".." not in text


def test_the_banner_during_a_window_without_an_end(operator: Any) -> None:
    MaintenanceWindow.objects.create(start=timezone.now() - HOUR, end=None)

    text = banner_of(operator.get("/admin/"))

    assert "<strong>Maintenance mode is on.</strong>" in text
    assert "Until turned off." in text


def test_the_banner_states_no_window_end_while_the_switch_holds_maintenance_on(
    operator: Any,
) -> None:
    # The switch keeps maintenance on after the window ends: "until turned off", as the
    # maintenance response (no ends_at) and `maintenance_mode status` say.
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - HOUR, end=now + HOUR)
    MaintenanceWindow.objects.create(start=now + 2 * HOUR, end=now + 3 * HOUR)
    set_switch(True)

    text = banner_of(operator.get("/admin/"))
    problem = Client().get("/", headers={"accept": "application/problem+json"})
    status = StringIO()
    call_command("maintenance_mode", "status", stdout=status)

    assert "<strong>Maintenance mode is on.</strong>" in text
    assert "Until turned off." in text
    assert "scheduled" not in text
    assert problem.status_code == 503
    assert json.loads(problem.content)["ends_at"] is None
    assert "(until turned off; scheduled from" in status.getvalue()


def test_no_banner_after_a_window(operator: Any) -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - 2 * HOUR, end=now - HOUR, end_recorded=True)

    assert banner_of(operator.get("/admin/")) == ""


def test_the_banner_with_the_setting(operator: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE = True

    text = banner_of(operator.get("/admin/"))

    assert "Maintenance mode is on." in text
    assert "Until" not in text  # the setting holds it on, nothing here ends it


def test_no_banner_while_the_setting_turns_maintenance_off(operator: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE = False
    set_switch(True)

    assert banner_of(operator.get("/admin/")) == ""


def test_no_banner_for_targeted_maintenance(operator: Any) -> None:
    # The targeted flag is per request; the site as a whole is not in maintenance.
    set_flag(targeted_flag(), everyone=True)

    assert banner_of(operator.get("/admin/")) == ""


def test_no_banner_work_while_nothing_can_be_in_maintenance(
    operator: Any, monkeypatch: Any
) -> None:
    assert banner_of(operator.get("/admin/")) == ""  # reads the state

    def never(*args: Any) -> None:
        raise AssertionError("called on the fast path")  # pragma: no cover

    monkeypatch.setattr(banner, "for_request", never)
    monkeypatch.setattr(banner, "add", never)

    assert banner_of(operator.get("/admin/")) == ""


# Whatever the project ------------------------------------------------------------------------


@pytest.mark.parametrize("apps", [DOCUMENTED_APPS, APP_FIRST], ids=["documented", "app-first"])
def test_the_banner_whatever_the_order_of_installed_apps(operator: Any, apps: list[str]) -> None:
    set_switch(True)

    with override_settings(INSTALLED_APPS=apps):
        assert "Maintenance mode is on." in banner_of(operator.get("/admin/"))


@pytest.mark.parametrize("apps", [DOCUMENTED_APPS, APP_FIRST], ids=["documented", "app-first"])
def test_the_banner_with_the_projects_own_base_site(operator: Any, apps: list[str]) -> None:
    own = (PROJECT_TEMPLATES / "plain" / "admin" / "base_site.html").read_text()
    assert "maintenance_banner" not in own
    set_switch(True)

    with override_settings(INSTALLED_APPS=apps), project_templates("plain"):
        response = operator.get("/admin/")

    assert "Example administration" in response.content.decode()
    assert "Maintenance mode is on." in banner_of(response)


def test_a_banner_the_project_placed_is_not_added_again(operator: Any) -> None:
    set_switch(True)

    with project_templates("tagged"):
        response = operator.get("/admin/")

    content = response.content.decode()
    assert content.count(MARKER) == 1
    # Where the project put it, in the header.
    assert content.index(MARKER) < content.index("</header>")


@pytest.mark.parametrize(
    "apps",
    [DOCUMENTED_APPS, [app for app in DOCUMENTED_APPS if app != "django.contrib.admin"]],
    ids=["documented", "without-the-admin"],
)
def test_the_documented_installation_passes_the_checks_silently(apps: list[str]) -> None:
    out, err = StringIO(), StringIO()

    with override_settings(INSTALLED_APPS=apps), project_templates("plain"):
        call_command("check", stdout=out, stderr=err)

    assert out.getvalue() == "System check identified no issues (0 silenced).\n"
    assert err.getvalue() == ""


# Which responses --------------------------------------------------------------------------

PAGE = '<!doctype html><main><div id="content" class="colM">Hello</div></main>'


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


def sized_page(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(PAGE)
    response["Content-Length"] = str(len(PAGE))
    return response


def ascii_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE, content_type="text/html; charset=us-ascii")


def streamed_page(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse([PAGE], content_type="text/html")


def compressed_page(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(gzip.compress(PAGE.encode()))
    response["Content-Encoding"] = "gzip"
    return response


def text(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE, content_type="text/plain; charset=utf-8")


def other_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><p>Hello</p>")


urlpatterns = [
    path("admin/test/page/", page),
    path("admin/test/sized/", sized_page),
    path("admin/test/ascii/", ascii_page),
    path("admin/test/streamed/", streamed_page),
    path("admin/test/compressed/", compressed_page),
    path("admin/test/text/", text),
    path("admin/test/other/", other_page),
    path("admin/", admin.site.urls),
    path("page/", page),
]


@pytest.fixture
def responses(operator: Any) -> Any:
    """The operator's client with the views above, while maintenance is on."""
    set_switch(True)
    with override_settings(ROOT_URLCONF=__name__):
        yield operator


def test_a_page_under_the_admin_site(responses: Any) -> None:
    response = responses.get("/admin/test/page/")

    content = response.content.decode()
    assert content.startswith(
        '<!doctype html><main><link rel="stylesheet" href="/static/maintenance_waffle/banner.css">'
        '<div class="maintenance-banner"'
    )
    assert content.endswith('</div>\n<div id="content" class="colM">Hello</div></main>')
    assert response["Content-Length"] == str(len(response.content))


def test_content_length_set_by_the_view_is_corrected(responses: Any) -> None:
    response = responses.get("/admin/test/sized/")

    assert "Maintenance mode is on." in banner_of(response)
    assert response["Content-Length"] == str(len(response.content))


def test_the_banner_in_the_pages_charset(responses: Any) -> None:
    response = responses.get("/admin/test/ascii/", headers={"accept-language": "de"})

    assert "Wartungs&#252;bersicht &#246;ffnen" in banner_of(response)


def test_no_banner_outside_the_admin_site(responses: Any) -> None:
    # The superuser is exempt, so the page is served; it is not the admin's.
    assert responses.get("/page/").content == PAGE.encode()


@pytest.mark.parametrize("path", ["/admin/test/text/", "/admin/test/other/"])
def test_no_banner_in_other_admin_responses(responses: Any, path: str) -> None:
    response = responses.get(path)

    assert b"maintenance-banner" not in response.content
    assert response["Content-Length"] == str(len(response.content))


def test_no_banner_in_a_streamed_page(responses: Any) -> None:
    response = responses.get("/admin/test/streamed/")

    assert b"".join(response.streaming_content) == PAGE.encode()
    assert not response.has_header("Content-Length")


def test_no_banner_in_a_compressed_page(responses: Any) -> None:
    response = responses.get("/admin/test/compressed/")

    assert gzip.decompress(response.content) == PAGE.encode()
