from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import resolve, reverse
from model_bakery import baker
from waffle.models import Flag

from maintenance_waffle import views
from maintenance_waffle.core import get_maintenance_mode
from tests.rows import reason, set_switch, switch

pytestmark = pytest.mark.django_db

ON = "maintenance_mode_on"
OFF = "maintenance_mode_off"


def state() -> tuple[bool, bool, str]:
    return get_maintenance_mode(), switch().active, reason()


# URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "view"),
    [
        (ON, "/maintenance-mode/on/", views.maintenance_mode_on),
        (OFF, "/maintenance-mode/off/", views.maintenance_mode_off),
    ],
)
def test_url_names(name, path, view):
    assert reverse(name) == path
    assert resolve(path).func is view


# Who may use them ------------------------------------------------------------------------


@pytest.mark.parametrize("name", [ON, OFF])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_the_login_page(client, name, method):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f"{django_settings.LOGIN_URL}?next={reverse(name)}"
    assert state() == (False, False, "")


def test_login_url_setting_is_honoured(client, settings):
    settings.LOGIN_URL = "/sign-in/"
    response = client.post(reverse(ON) + "?next=/page/")
    assert response["Location"] == "/sign-in/?next=/maintenance-mode/on/%3Fnext%3D/page/"
    assert state() == (False, False, "")


@pytest.mark.parametrize("name", [ON, OFF])
def test_request_without_user_is_sent_to_the_login_page(rf, name):
    # No AuthenticationMiddleware: no request.user at all.
    request = rf.get(reverse(name))
    response = getattr(views, name)(request)
    assert response.status_code == 302
    assert response["Location"] == f"{django_settings.LOGIN_URL}?next={reverse(name)}"
    assert state() == (False, False, "")


@pytest.mark.parametrize("name", [ON, OFF])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("fields", [{}, {"is_staff": True}])
def test_other_users_are_forbidden(client, name, method, fields):
    client.force_login(baker.make(User, is_superuser=False, **fields))
    response = getattr(client, method)(reverse(name), {"reason": "no"})
    assert response.status_code == 403
    assert state() == (False, False, "")


# Superusers: GET confirms, POST changes ----------------------------------------------


@pytest.mark.parametrize(("name", "button"), [(ON, "Turn on"), (OFF, "Turn off")])
def test_superuser_get_shows_the_confirmation_form(admin_client, name, button):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert response.templates[0].name == "maintenance_waffle/confirm.html"
    content = response.content.decode()
    assert '<form method="post">' in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert f'<button type="submit">{button}</button>' in content
    assert '<input type="hidden" name="next" value="/">' in content
    assert ('name="reason"' in content) is (name == ON)
    assert "Maintenance mode is off." in content
    assert "no-store" in response["Cache-Control"]
    assert state() == (False, False, "")


def test_superuser_get_shows_the_current_state(admin_client):
    set_switch(True, "why")
    response = admin_client.get(reverse(OFF))
    assert response.status_code == 200
    assert response.context["current"] is True
    assert "Maintenance mode is on." in response.content.decode()
    assert state() == (True, True, "why")


def test_superuser_get_keeps_a_safe_next(admin_client):
    response = admin_client.get(reverse(ON), {"next": "/page/"})
    assert '<input type="hidden" name="next" value="/page/">' in response.content.decode()


def test_superuser_head(admin_client):
    response = admin_client.head(reverse(ON))
    assert response.status_code == 200
    assert response.content == b""
    assert state() == (False, False, "")


def test_superuser_post_turns_on_with_the_reason(admin_client):
    response = admin_client.post(reverse(ON), {"reason": "  Upgrading the database  "})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert state() == (True, True, "Upgrading the database")


def test_superuser_post_turns_on_without_a_reason(admin_client):
    set_switch(False, "an old reason")
    response = admin_client.post(reverse(ON))
    assert response.status_code == 302
    assert state() == (True, True, "")


def test_superuser_post_turns_off(admin_client):
    set_switch(True, "why")
    response = admin_client.post(reverse(OFF), {"reason": "ignored"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert get_maintenance_mode() is False
    assert switch().active is False
    assert reason() != "ignored"


@pytest.mark.parametrize(
    ("data", "query", "location"),
    [
        ({"next": "/page/"}, "", "/page/"),
        ({}, "?next=/page/", "/page/"),
        ({"next": "/page/?a=1"}, "?next=/other/", "/page/?a=1"),
        ({"next": "http://testserver/page/"}, "", "http://testserver/page/"),
        ({"next": "https://evil.example/"}, "", "/"),
        ({"next": "//evil.example/"}, "", "/"),
        ({}, "?next=https://evil.example/", "/"),
        ({"next": ""}, "", "/"),
    ],
)
def test_superuser_post_redirects_to_a_safe_next_only(admin_client, data, query, location):
    response = admin_client.post(reverse(ON) + query, data)
    assert response.status_code == 302
    assert response["Location"] == location
    assert get_maintenance_mode() is True


def test_http_next_is_refused_on_https(admin_client):
    response = admin_client.post(reverse(ON), {"next": "http://testserver/page/"}, secure=True)
    assert response["Location"] == "/"
    assert get_maintenance_mode() is True


@pytest.mark.parametrize("name", [ON, OFF])
def test_post_without_csrf_token_is_forbidden(name):
    set_switch(name == OFF, "kept")
    client = Client(enforce_csrf_checks=True)
    client.force_login(baker.make(User, is_superuser=True))
    response = client.post(reverse(name), {"reason": "new"})
    assert response.status_code == 403
    assert state() == (name == OFF, name == OFF, "kept" if name == OFF else "")


def test_post_with_the_forms_csrf_token_works():
    client = Client(enforce_csrf_checks=True)
    client.force_login(baker.make(User, is_superuser=True))
    form = client.get(reverse(ON))
    token = form.context["csrf_token"]
    response = client.post(reverse(ON), {"csrfmiddlewaretoken": str(token), "reason": "ok"})
    assert response.status_code == 302
    assert state() == (True, True, "ok")


@pytest.mark.parametrize("name", [ON, OFF])
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_not_allowed(admin_client, name, method):
    response = getattr(admin_client, method)(reverse(name))
    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD", "POST"]
    assert state() == (False, False, "")


# MAINTENANCE_MODE in settings: 409 -------------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("name", [ON, OFF])
@pytest.mark.parametrize("method", ["get", "post"])
def test_setting_locks_the_state(admin_client, settings, value, name, method):
    settings.MAINTENANCE_MODE = value
    response = getattr(admin_client, method)(reverse(name), {"reason": "no"})
    assert response.status_code == 409
    content = response.content.decode()
    assert "set by settings.MAINTENANCE_MODE" in content
    assert "<form" not in content
    assert get_maintenance_mode() is value
    assert (switch().active, reason()) == (False, "")


def test_setting_does_not_lock_out_anonymous_checks(client, settings):
    settings.MAINTENANCE_MODE = True
    response = client.post(reverse(OFF))
    assert response.status_code == 302
    assert response["Location"].startswith(django_settings.LOGIN_URL)


# Reachable while maintenance is on -------------------------------------------------------


def _not_exempt_superuser(client: Client) -> None:
    exempt = Flag.objects.get(name="maintenance_mode_exempt")
    exempt.superusers = False
    exempt.save()
    set_switch(True, "down")
    # The superuser is in maintenance like everyone else...
    assert client.get("/").status_code == 503


def test_off_url_stays_reachable_while_on(admin_client):
    _not_exempt_superuser(admin_client)
    assert admin_client.get(reverse(OFF)).status_code == 200
    response = admin_client.post(reverse(OFF))
    assert response.status_code == 302
    assert get_maintenance_mode() is False
    assert admin_client.get("/").status_code == 200


def test_on_url_stays_reachable_while_on(admin_client):
    _not_exempt_superuser(admin_client)
    response = admin_client.post(reverse(ON), {"reason": "longer"})
    assert response.status_code == 302
    assert state() == (True, True, "longer")


def test_anonymous_gets_the_login_redirect_not_503_while_on(client):
    set_switch(True)
    assert client.get("/").status_code == 503
    response = client.post(reverse(OFF))
    assert response.status_code == 302
    assert state() == (True, True, "")


@pytest.mark.parametrize(("name", "value"), [(ON, True), (OFF, False)])
def test_an_invalid_setting_locks_nothing(admin_client, settings, name, value):
    # "yes" is check E003 and ignored, here as everywhere: the switch decides.
    settings.MAINTENANCE_MODE = "yes"
    set_switch(not value)

    response = admin_client.post(reverse(name), {"reason": "Moving"})

    assert response.status_code == 302
    assert get_maintenance_mode() is value
    assert switch().active is value
