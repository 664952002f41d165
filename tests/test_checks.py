from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import modify_settings, override_settings

from maintenance_waffle.checks import check_areas, check_installation, check_settings
from maintenance_waffle.conf import InstallationId, SettingsId
from tests import no_waffle_settings
from tests.checks_helpers import check_ids

OURS = "maintenance_waffle.middleware.MaintenanceModeMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
SUBCLASS = "tests.checks_helpers.ProjectMaintenanceMiddleware"
AUTH_SUBCLASS = "tests.checks_helpers.ProjectAuthenticationMiddleware"


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages]


def our_messages(**overrides: Any) -> list[checks.CheckMessage]:
    with override_settings(**overrides):
        return [
            message
            for message in checks.run_checks()
            if (message.id or "").startswith("maintenance_waffle.")
        ]


# Defaults --------------------------------------------------------------------------------


def test_default_settings_give_no_messages_at_all():
    assert our_messages() == []


def test_default_settings_give_no_deployment_messages_either():
    assert [
        message
        for message in checks.run_checks(include_deployment_checks=True)
        if (message.id or "").startswith("maintenance_waffle.")
    ] == []


def test_installation_check_is_registered():
    assert ids(our_messages(MIDDLEWARE=[])) == ["maintenance_waffle.W001"]


def test_manage_py_check_passes_with_defaults(capsys):
    call_command("check")
    assert "System check identified no issues" in capsys.readouterr().out


# Settings --------------------------------------------------------------------------------

BAD_SETTINGS = [
    ({"MAINTENANCE_MODE": "yes"}, ["E003"]),
    ({"MAINTENANCE_MODE_IGNORE_ADMIN_SITE": "False"}, ["E004"]),
    ({"MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER": 1}, ["E004"]),
    ({"MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER": "False"}, ["E004"]),
    ({"MAINTENANCE_MODE_IGNORE_STAFF": 1}, ["E004"]),
    ({"MAINTENANCE_MODE_IGNORE_SUPERUSER": "False"}, ["E004"]),
    ({"MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE": "False"}, ["E004"]),
    ({"MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES": 1}, ["E004"]),
    ({"MAINTENANCE_MODE_STATUS_CODE": "abc"}, ["E005"]),
    ({"MAINTENANCE_MODE_STATUS_CODE": 99}, ["E005"]),
    ({"MAINTENANCE_MODE_STATUS_CODE": 600}, ["E005"]),
    ({"MAINTENANCE_MODE_STATUS_CODE": True}, ["E005"]),
    ({"MAINTENANCE_MODE_RETRY_AFTER": -1}, ["E006"]),
    ({"MAINTENANCE_MODE_RETRY_AFTER": 1.5}, ["E006"]),
    ({"MAINTENANCE_MODE_RETRY_AFTER": True}, ["E006"]),
    ({"MAINTENANCE_MODE_RESPONSE_TYPE": "xml"}, ["E007"]),
    ({"MAINTENANCE_MODE_RESPONSE_TYPE": "HTML"}, ["E007"]),
    ({"MAINTENANCE_MODE_RESPONSE_TYPE": None}, ["E007"]),
    ({"MAINTENANCE_MODE_RESPONSE_TYPE": "nonexistent.module.fn"}, ["E007"]),
    ({"MAINTENANCE_MODE_RESPONSE_TYPE": "maintenance_waffle.conf.DEFAULTS"}, ["E007"]),
    ({"MAINTENANCE_MODE_TEMPLATE": ""}, ["E008"]),
    ({"MAINTENANCE_MODE_TEMPLATE": None}, ["E008"]),
    ({"MAINTENANCE_WAFFLE_SWITCH": ""}, ["E009"]),
    ({"MAINTENANCE_WAFFLE_FLAG": "x" * 101}, ["E009"]),
    ({"MAINTENANCE_WAFFLE_EXEMPT_FLAG": 5}, ["E009"]),
    ({"MAINTENANCE_WAFFLE_FLAG": "same", "MAINTENANCE_WAFFLE_EXEMPT_FLAG": "same"}, ["E010"]),
    ({"MAINTENANCE_WAFFLE_REFRESH_INTERVAL": -1}, ["E011"]),
    ({"MAINTENANCE_WAFFLE_MAX_STALENESS": "1"}, ["E011"]),
    ({"MAINTENANCE_WAFFLE_MAX_STALENESS": True}, ["E011"]),
    ({"MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN": 0}, ["E011"]),
    ({"MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN": "60"}, ["E011"]),
    ({"MAINTENANCE_MODE_IGNORE_URLS": "/x"}, ["E012"]),
    ({"MAINTENANCE_MODE_IGNORE_IP_ADDRESSES": "127.0.0.1"}, ["E012"]),
    ({"MAINTENANCE_MODE_IGNORE_URLS": ["("]}, ["E013"]),
    ({"MAINTENANCE_MODE_IGNORE_URLS": [5]}, ["E013"]),
    ({"MAINTENANCE_MODE_IGNORE_IP_ADDRESSES": ["10.0.0.0/8", "("]}, ["E013"]),
    ({"MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS": 5}, ["E015"]),
    ({"MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS": "no.such.path"}, ["E015"]),
    ({"MAINTENANCE_MODE_GET_CONTEXT": "maintenance_waffle.conf.DEFAULTS"}, ["E015"]),
    ({"MAINTENANCE_MODE_REDIRECT_URL": 5}, ["E016"]),
    ({"MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE": -1}, ["E017"]),
    ({"MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE": 2.5}, ["E017"]),
    ({"MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE": True}, ["E017"]),
    ({"MAINTENANCE_WAFFLE_READ_ONLY_SWITCH": ""}, ["E009"]),
    ({"MAINTENANCE_WAFFLE_READ_ONLY_SWITCH": "maintenance_mode"}, ["E010"]),
    ({"MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS": "^/login/"}, ["E012"]),
    ({"MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS": ["^/login/("]}, ["E013"]),
    ({"MAINTENANCE_WAFFLE_AREAS": ["^/checkout/"]}, ["E018"]),
    ({"MAINTENANCE_WAFFLE_AREAS": {"Checkout": ["^/checkout/"]}}, ["E018"]),
    ({"MAINTENANCE_WAFFLE_AREAS": {"with space": ["^/x/"]}}, ["E018"]),
    ({"MAINTENANCE_WAFFLE_AREAS": {1: ["^/x/"]}}, ["E018"]),
    ({"MAINTENANCE_WAFFLE_AREAS": {"checkout": "^/checkout/"}}, ["E018"]),
    ({"MAINTENANCE_WAFFLE_AREAS": {"checkout": []}}, ["E018"]),
    ({"MAINTENANCE_WAFFLE_AREAS": {"checkout": ["^/checkout/("]}}, ["E013"]),
    ({"MAINTENANCE_WAFFLE_AREAS": {"checkout": [42]}}, ["E013"]),
    (
        {"MAINTENANCE_WAFFLE_AREAS": {"a" * 50: ["^/x/"]}, "MAINTENANCE_WAFFLE_SWITCH": "s" * 60},
        ["E018"],
    ),
    ({"MAINTENANCE_MODE_IGNORE_TESTS": "yes"}, ["E004"]),
    ({"MAINTENANCE_MODE_GET_TEMPLATE_CONTEXT": "x.y"}, ["E014"]),
    ({"MAINTENANCE_MODE_STATE_BACKEND": "maintenance_mode.backends.CacheBackend"}, ["W002"]),
    (
        {"MAINTENANCE_MODE": "yes", "MAINTENANCE_MODE_IGNORE_URLS": ["(", 5]},
        ["E003", "E013", "E013"],
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), BAD_SETTINGS)
def test_bad_setting_gives_exactly_these_ids(overrides, expected):
    with override_settings(**overrides):
        assert ids(check_settings()) == [f"maintenance_waffle.{id_}" for id_ in expected]


@pytest.mark.parametrize(("overrides", "expected"), BAD_SETTINGS)
def test_run_checks_reports_the_same_ids(overrides, expected):
    assert ids(our_messages(**overrides)) == [f"maintenance_waffle.{id_}" for id_ in expected]


@pytest.mark.parametrize(("overrides", "expected"), BAD_SETTINGS)
def test_messages_name_the_setting_and_give_a_hint(overrides, expected):
    with override_settings(**overrides):
        messages = check_settings()
    assert messages
    for message in messages:
        error = str(message.id).startswith("maintenance_waffle.E")
        assert isinstance(message, checks.Error if error else checks.Warning)
        assert message.level == (checks.ERROR if error else checks.WARNING)
        assert re.match(r"settings\.MAINTENANCE_(MODE|WAFFLE)\w*\b .+[.:]", message.msg)
        setting = message.msg.split()[0].removeprefix("settings.")
        assert setting in overrides or setting == "MAINTENANCE_WAFFLE_EXEMPT_FLAG"
        assert isinstance(message.hint, str)
        assert message.hint.strip()


def test_status_code_message_in_full():
    with override_settings(MAINTENANCE_MODE_STATUS_CODE=600):
        (message,) = check_settings()
    assert message == checks.Error(
        "settings.MAINTENANCE_MODE_STATUS_CODE must be an HTTP status code from 100 to 599, "
        "not 600.",
        hint="503 (Service Unavailable) is the code for maintenance (RFC 9110, 15.6.4).",
        id="maintenance_waffle.E005",
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("MAINTENANCE_MODE_GET_TEMPLATE_CONTEXT", "MAINTENANCE_MODE_GET_CONTEXT"),
        ("MAINTENANCE_MODE_TEMPLATE_CONTEXT", "MAINTENANCE_MODE_GET_CONTEXT"),
        ("MAINTENANCE_MODE_IGNORE_TEST", "MAINTENANCE_MODE_IGNORE_TESTS"),
    ],
)
def test_renamed_setting_is_an_error_naming_old_and_new(old, new):
    # DESIGN §3 and §8: a renamed setting is a check error naming both names.
    messages = our_messages(**{old: "myproject.context.get"})
    assert len(messages) == 1
    assert isinstance(messages[0], checks.Error)
    assert old in messages[0].msg
    assert new in messages[0].msg
    assert messages[0].hint


@pytest.mark.parametrize(
    "name",
    [
        "MAINTENANCE_MODE_STATE_BACKEND",
        "MAINTENANCE_MODE_STATE_FILE_NAME",
        "MAINTENANCE_MODE_STATE_FILE_PATH",
        "MAINTENANCE_MODE_CACHE_BACKEND",
    ],
)
def test_ignored_upstream_setting_is_a_warning(name):
    # DESIGN §3: the state is waffle's, so these are ignored with a warning that says so.
    messages = our_messages(**{name: "something"})
    assert len(messages) == 1
    assert messages[0].level == checks.WARNING
    assert name in messages[0].msg
    assert messages[0].hint


def test_manage_py_check_fails_with_a_bad_setting():
    with (
        override_settings(MAINTENANCE_MODE_STATUS_CODE="abc"),
        pytest.raises(SystemCheckError, match=r"maintenance_waffle\.E005"),
    ):
        call_command("check")


def test_manage_py_check_reports_every_bad_setting():
    with (
        override_settings(MAINTENANCE_MODE="yes", MAINTENANCE_MODE_TEMPLATE=""),
        pytest.raises(SystemCheckError) as excinfo,
    ):
        call_command("check")
    assert "maintenance_waffle.E003" in str(excinfo.value)
    assert "maintenance_waffle.E008" in str(excinfo.value)


def test_check_settings_does_not_touch_the_database():
    # No django_db mark: any query would raise.
    with override_settings(MAINTENANCE_MODE_STATUS_CODE="abc"):
        assert ids(check_settings()) == ["maintenance_waffle.E005"]
    assert ids(check_installation()) == []


# Installation ---------------------------------------------------------------------------


def test_installation_fine_with_test_settings():
    assert check_installation() == []


def test_waffle_not_installed_is_e001():
    installed = [app for app in django_settings.INSTALLED_APPS if app != "waffle"]
    with override_settings(INSTALLED_APPS=installed):
        assert ids(check_installation()) == ["maintenance_waffle.E001"]


def test_waffle_not_installed_is_e001_from_manage_py_check():
    # The app is loaded without waffle: nothing of ours may import waffle's models first.
    assert "waffle" not in no_waffle_settings.INSTALLED_APPS
    assert not [entry for entry in no_waffle_settings.MIDDLEWARE if entry.startswith("waffle")]
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.no_waffle_settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "(maintenance_waffle.E001) maintenance_waffle needs django-waffle" in result.stderr
    assert "Traceback" not in result.stderr


@modify_settings(MIDDLEWARE={"remove": [OURS]})
def test_middleware_missing_is_w001():
    messages = check_installation()
    assert ids(messages) == ["maintenance_waffle.W001"]
    assert isinstance(messages[0], checks.Warning)
    assert OURS in messages[0].msg
    assert messages[0].hint


@pytest.mark.parametrize("middleware", [[], None, [SESSIONS, AUTH]])
def test_no_middleware_at_all_is_w001(middleware):
    with override_settings(MIDDLEWARE=middleware):
        assert ids(check_installation()) == ["maintenance_waffle.W001"]


@pytest.mark.parametrize(
    "middleware",
    [
        [SESSIONS, OURS, AUTH],
        [OURS, SESSIONS, AUTH],
        [SESSIONS, SUBCLASS, AUTH],
        [SESSIONS, OURS, AUTH_SUBCLASS],
        [SESSIONS, SUBCLASS, AUTH_SUBCLASS],
    ],
)
def test_middleware_before_authentication_is_e002(middleware):
    with override_settings(MIDDLEWARE=middleware):
        messages = check_installation()
    assert ids(messages) == ["maintenance_waffle.E002"]
    assert isinstance(messages[0], checks.Error)
    assert messages[0].hint


@pytest.mark.parametrize(
    "middleware",
    [
        [SESSIONS, AUTH, OURS],
        [SESSIONS, AUTH, SUBCLASS],
        [SESSIONS, AUTH_SUBCLASS, OURS],
        [SESSIONS, AUTH, "no.such.Middleware", OURS],
        [SESSIONS, AUTH, "tests.checks_helpers.not_a_class", OURS],
        ["nodots", SESSIONS, AUTH, SUBCLASS],
        # Without AuthenticationMiddleware there is no order to get wrong.
        [SESSIONS, OURS],
    ],
)
def test_middleware_accepted(middleware):
    with override_settings(MIDDLEWARE=middleware):
        assert check_installation() == []


def test_subclass_counts_as_our_middleware():
    with override_settings(MIDDLEWARE=[SESSIONS, AUTH, SUBCLASS]):
        assert check_installation() == []
    with override_settings(MIDDLEWARE=[SESSIONS, AUTH, "no.such.Middleware"]):
        assert ids(check_installation()) == ["maintenance_waffle.W001"]


# IDs --------------------------------------------------------------------------------------


def test_installation_and_settings_ids_do_not_overlap():
    installation = check_ids(InstallationId)
    assert sorted(installation) == ["E001", "E002", "W001", "W004"]
    assert not set(installation) & set(check_ids(SettingsId))


def test_every_settings_id_is_reachable():
    reached = {id_ for _, expected in BAD_SETTINGS for id_ in expected}
    assert reached == set(check_ids(SettingsId))


# Areas over exempt paths -------------------------------------------------------------------


def test_an_area_over_the_admin_is_a_warning(settings):
    settings.MAINTENANCE_WAFFLE_AREAS = {"back-office": [r"^/admin/"], "checkout": [r"^/shop/"]}

    (message,) = check_areas()

    assert message.id == "maintenance_waffle.W004"
    assert "MAINTENANCE_WAFFLE_AREAS['back-office'] covers /admin/" in message.msg
    assert message.hint


def test_areas_clear_of_exempt_paths_pass(settings):
    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/checkout/"]}
    assert check_areas() == []


def test_no_areas_no_work(settings):
    settings.MAINTENANCE_WAFFLE_AREAS = {}
    assert check_areas() == []


def test_areas_without_the_admin_or_our_urls(settings):
    settings.MAINTENANCE_WAFFLE_AREAS = {"everything": [r"^/"]}
    settings.ROOT_URLCONF = "tests.urls_no_admin"

    # Nothing is exempt by URL there: nothing to warn about.
    assert check_areas() == []
