"""Settings assigned directly on ``django.conf.settings``, as django-maintenance-mode's
suites do.

django-maintenance-mode reads its settings on every use, so its users' tests assign them
in the middle of a test (``settings.MAINTENANCE_MODE_IGNORE_STAFF = True``), with no
``override_settings`` and so no ``setting_changed`` signal. Each test here re-creates that
pattern for one ``MAINTENANCE_MODE_*`` setting that affects a request: a request first (so
the configuration is built and the snapshot is fresh), then the assignment, then the
request that must see it, through WSGI and ASGI. The ``live_settings`` fixture puts every
setting back afterwards without a signal too, so each test also starts with settings that
changed behind the app's back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from model_bakery import baker

from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode
from tests.rows import exempt_flag, logged_in, set_flag, switch_table_gone

pytestmark = pytest.mark.django_db


@pytest.fixture
def on(http: Any) -> None:
    """Site-wide maintenance on, and one request served with the current settings."""
    set_flag(exempt_flag(), superusers=False)  # nobody exempt but by settings (upstream)
    set_maintenance_mode(True)
    http.get("/")


def user(**fields: Any) -> User:
    made: User = baker.make(User, **fields)
    return made


def test_maintenance_mode(http: Any, live_settings: Any) -> None:
    assert http.get("/").status_code == 200  # the fast path, with a fresh snapshot
    live_settings.MAINTENANCE_MODE = True
    assert http.get("/").status_code == 503
    live_settings.MAINTENANCE_MODE = False
    assert http.get("/").status_code == 200
    live_settings.MAINTENANCE_MODE = True
    assert http.get("/").status_code == 503
    live_settings.MAINTENANCE_MODE = None
    assert http.get("/").status_code == 200
    del live_settings.MAINTENANCE_MODE
    assert http.get("/").status_code == 200


def test_maintenance_mode_false_wins_over_the_switch(http: Any, live_settings: Any) -> None:
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503
    live_settings.MAINTENANCE_MODE = False
    assert http.get("/").status_code == 200


def test_maintenance_mode_in_the_api(live_settings: Any) -> None:
    assert get_maintenance_mode() is False
    live_settings.MAINTENANCE_MODE = True
    assert get_maintenance_mode() is True
    with pytest.raises(ImproperlyConfigured):
        set_maintenance_mode(False)
    live_settings.MAINTENANCE_MODE = None
    set_maintenance_mode(True)
    assert get_maintenance_mode() is True


@pytest.mark.usefixtures("on")
def test_ignore_admin_site(http: Any, live_settings: Any) -> None:
    assert http.get("/admin/login/").status_code == 200
    live_settings.MAINTENANCE_MODE_IGNORE_ADMIN_SITE = False
    assert http.get("/admin/login/").status_code == 503


@pytest.mark.usefixtures("on")
@pytest.mark.parametrize(
    ("setting", "fields"),
    [
        ("MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER", None),
        ("MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER", {}),
        ("MAINTENANCE_MODE_IGNORE_STAFF", {"is_staff": True}),
        ("MAINTENANCE_MODE_IGNORE_SUPERUSER", {"is_superuser": True}),
    ],
)
def test_ignore_users(
    http: Any, live_settings: Any, setting: str, fields: dict[str, Any] | None
) -> None:
    if fields is not None:
        http.force_login(user(**fields))
    assert http.get("/").status_code == 503
    setattr(live_settings, setting, True)
    assert http.get("/").status_code == 200
    setattr(live_settings, setting, False)
    assert http.get("/").status_code == 503


@pytest.mark.usefixtures("on")
def test_ignore_tests(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_IGNORE_TESTS = True
    assert http.get("/").status_code == 200


@pytest.mark.usefixtures("on")
def test_ignore_ip_addresses(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ["10.0.0.1"]
    assert http.get("/").status_code == 503
    # Changed in place, as a list allows.
    live_settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES.append("127.0.0.1")
    assert http.get("/").status_code == 200


@pytest.mark.usefixtures("on")
def test_get_client_ip_address(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ("10.0.0.1",)
    assert http.get("/", headers={"X-Real-IP": "10.0.0.1"}).status_code == 503
    live_settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = "tests.hooks.client_ip"
    assert http.get("/", headers={"X-Real-IP": "10.0.0.1"}).status_code == 200


@pytest.mark.usefixtures("on")
def test_get_authenticated_user(http: Any, live_settings: Any) -> None:
    user(username="operator", is_staff=True)
    live_settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    assert http.get("/", headers={"X-User": "operator"}).status_code == 503
    live_settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.hooks.authenticated_user"
    assert http.get("/", headers={"X-User": "operator"}).status_code == 200


@pytest.mark.usefixtures("on")
@pytest.mark.parametrize(
    ("setting", "fields"),
    [
        ("MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER", {}),
        ("MAINTENANCE_MODE_LOGOUT_STAFF_USER", {"is_staff": True}),
        ("MAINTENANCE_MODE_LOGOUT_SUPERUSER", {"is_superuser": True}),
    ],
)
def test_logout(http: Any, live_settings: Any, setting: str, fields: dict[str, Any]) -> None:
    http.force_login(user(**fields))
    assert http.get("/").status_code == 503
    assert logged_in(http)
    setattr(live_settings, setting, True)
    assert http.get("/").status_code == 503
    assert not logged_in(http)


@pytest.mark.usefixtures("on")
def test_ignore_urls(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_IGNORE_URLS = [r"^/page/"]
    assert http.get("/").status_code == 503
    live_settings.MAINTENANCE_MODE_IGNORE_URLS.append(r"^/$")
    assert http.get("/").status_code == 200


@pytest.mark.usefixtures("on")
def test_redirect_url(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_REDIRECT_URL = "/maintenance/"
    response = http.get("/")
    assert (response.status_code, response["Location"]) == (302, "/maintenance/")


@pytest.mark.usefixtures("on")
def test_response_type(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    response = http.get("/")
    assert response["Content-Type"] == "application/json"
    live_settings.MAINTENANCE_MODE_RESPONSE_TYPE = "tests.hooks.response_type"
    assert http.get("/").headers["Content-Type"].startswith("text/html")


@pytest.mark.usefixtures("on")
def test_get_context(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    assert json.loads(http.get("/").content) == {}
    live_settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context"
    assert json.loads(http.get("/").content) == {"greeting": "hello from get_context"}


@pytest.mark.usefixtures("on")
def test_template(http: Any, live_settings: Any) -> None:
    assert b"custom 503" not in http.get("/").content
    live_settings.MAINTENANCE_MODE_TEMPLATE = "tests/503_custom.html"
    assert b"custom 503" in http.get("/").content


@pytest.mark.usefixtures("on")
def test_status_code(http: Any, live_settings: Any) -> None:
    live_settings.MAINTENANCE_MODE_STATUS_CODE = 418
    assert http.get("/").status_code == 418


@pytest.mark.usefixtures("on")
def test_retry_after(http: Any, live_settings: Any) -> None:
    assert http.get("/")["Retry-After"] == "3600"
    live_settings.MAINTENANCE_MODE_RETRY_AFTER = 60
    assert http.get("/")["Retry-After"] == "60"
    live_settings.MAINTENANCE_MODE_RETRY_AFTER = None
    assert "Retry-After" not in http.get("/")


def test_state_backend_fallback_value(http: Any, live_settings: Any) -> None:
    with switch_table_gone():
        assert http.get("/").status_code == 200
        live_settings.MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE = True
        assert http.get("/").status_code == 503
