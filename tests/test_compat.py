"""Compatibility with django-maintenance-mode 0.23.

A project configured for django-maintenance-mode moves over by replacing
``maintenance_mode`` with ``maintenance_waffle`` in INSTALLED_APPS and MIDDLEWARE and
adding ``waffle``: same settings, same imports under the new name, same command, same
behaviour. Upstream's scenarios are re-created here in our own words; ``test_extra_*``
are scenarios upstream does not test, ``test_difference_*`` the deliberate differences.

==========================  ==================================================================
Upstream module (tests)     Here
==========================  ==================================================================
test_backends (10)          Does not apply: state storage is replaced by waffle's switch and
                            the MaintenanceWindow model; the storage settings are ignored
                            with a warning: test_difference_state_storage_settings_warn_...
test_core (14)              test_core_* (set/get, MAINTENANCE_MODE, schedules and their
                            validation, USE_TZ=False), test_override_maintenance_mode_*,
                            test_maintenance_mode_on_off_context_manager. Not applicable:
                            test_core_invalid_file_path and the state-file half of
                            test_core_invalid_argument (no state file).
test_decorators (3)         test_decorators_*.
test_http (4)               test_get_maintenance_response_* (an invalid context function is
                            check error E015 and ignored at run time).
test_io (2)                 test_io_* (the file helpers stay; no state is kept in a file).
test_logging (1)            test_logging_filter_*.
test_management_commands    test_management_commands_*. Not applicable: the invalid file
(7)                         path test (no state file). Exit codes: test_extra_command_exit_
                            codes, and in a real process tests/test_commands.py
                            (test_cli_errors_exit_code_and_change_nothing).
test_metadata (2)           test_metadata_* (attributes of the package itself).
test_middleware (20)        test_middleware_* (also made without get_response).
test_package (1)            test_package_* (defaults published on django.conf.settings when
                            the app is ready, not on import; the backends' base class).
test_views (5)              test_views_*, test_context_processor_*.
==========================  ==================================================================

The data migration creates an exemption flag that lets superusers through; upstream has
no such flag, so scenarios about superusers use ``upstream_exemptions``, which clears it
(test_difference_superusers_are_exempt_by_the_exempt_flag shows the default).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as _django_settings
from django.contrib.auth.models import AnonymousUser, User
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import clear_script_prefix, reverse, reverse_lazy, set_script_prefix
from django.utils import timezone
from model_bakery import baker
from pytest_django import Settings

import maintenance_waffle
from maintenance_waffle import backends, io, metadata, views
from maintenance_waffle.conf import get_config, publish_defaults
from maintenance_waffle.context_processors import maintenance_mode as context_processor
from maintenance_waffle.core import (
    get_maintenance_mode,
    maintenance_mode_off,
    maintenance_mode_on,
    need_maintenance_response,
    override_maintenance_mode,
    set_maintenance_mode,
)
from maintenance_waffle.decorators import force_maintenance_mode_off, force_maintenance_mode_on
from maintenance_waffle.http import get_maintenance_response
from maintenance_waffle.logging import RequireNotMaintenanceMode503
from maintenance_waffle.management.commands.maintenance_mode import Command
from maintenance_waffle.middleware import MaintenanceModeMiddleware
from maintenance_waffle.models import MaintenanceWindow
from tests import views as test_views
from tests.rows import exempt_flag, logged_in, set_flag, switch

pytestmark = pytest.mark.django_db

MIDDLEWARE = "maintenance_waffle.middleware.MaintenanceModeMiddleware"
#: django.conf.settings, read as upstream's users read it (the stubs know no such settings).
django_settings: Any = _django_settings
CUSTOM_TEMPLATE = "tests/503_custom.html"


def later(hours: float) -> datetime:
    """Now plus (or minus) some hours, aware."""
    return timezone.now() + timedelta(hours=hours)


def stored_window() -> tuple[datetime | None, datetime | None]:
    window = MaintenanceWindow.objects.get()
    return window.start, window.end


def ended_window() -> None:
    """A window that is over, stored as it is (validation would refuse it)."""
    MaintenanceWindow.objects.create(start=later(-2), end=later(-1))


def our_checks() -> list[tuple[str, str]]:
    """(id, message) of this app's system-check messages for the current settings."""
    return [
        (message.id or "", message.msg)
        for message in checks.run_checks()
        if (message.id or "").startswith("maintenance_waffle.")
    ]


def check_ids() -> list[str]:
    return [check_id for check_id, _ in our_checks()]


def make_user(kind: str) -> User:
    """A saved user as upstream's suite makes them: its superuser is not staff."""
    fields: dict[str, Any] = {
        "authenticated": {},
        "staff": {"is_staff": True},
        "superuser": {"is_superuser": True},
    }[kind]
    user: User = baker.make(User, **fields)
    return user


@pytest.fixture
def upstream_exemptions() -> None:
    """Nobody exempt but by settings, as in django-maintenance-mode."""
    set_flag(exempt_flag(), superusers=False)


SCRIPT_NAME = "/site"


@pytest.fixture
def under_script_name(settings: Settings) -> Iterator[None]:
    """The site mounted under SCRIPT_NAME, as a server with a prefix runs it.

    Django's handlers set the script prefix per request, the test clients do not.
    """
    settings.FORCE_SCRIPT_NAME = SCRIPT_NAME
    set_script_prefix(SCRIPT_NAME + "/")
    yield
    clear_script_prefix()


def mounted(http: Any, path: str) -> str:
    """What the server hands over for ``path``: WSGI splits off SCRIPT_NAME, ASGI keeps
    it in the scope's path."""
    return path if isinstance(http, Client) else SCRIPT_NAME + path


# core: set / get ---------------------------------------------------------------------


def test_core_set_and_get() -> None:
    assert get_maintenance_mode() is False
    set_maintenance_mode(True)
    assert get_maintenance_mode() is True
    set_maintenance_mode(False)
    assert get_maintenance_mode() is False


def test_core_maintenance_enabled_by_setting(settings: Settings) -> None:
    settings.MAINTENANCE_MODE = True
    assert switch().active is False
    assert get_maintenance_mode() is True


def test_core_maintenance_disabled_by_setting(settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE = False
    assert get_maintenance_mode() is False


@pytest.mark.parametrize("value", [True, False])
def test_core_set_disabled_by_setting(settings: Settings, value: bool) -> None:
    settings.MAINTENANCE_MODE = value
    with pytest.raises(ImproperlyConfigured) as info:
        set_maintenance_mode(not value)
    assert str(info.value) == "Maintenance mode cannot be set dynamically if defined in settings."
    assert switch().active is False


@pytest.mark.parametrize("value", ["not bool", 1, None])
def test_core_invalid_argument_is_a_type_error(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^value argument type is not boolean$"):
        set_maintenance_mode(value)
    assert switch().active is False


# core: schedules ---------------------------------------------------------------------


def test_core_schedule_active_window_is_on() -> None:
    set_maintenance_mode(True, start=later(-1), end=later(1))
    assert get_maintenance_mode() is True
    assert switch().active is False  # the window decides, not the switch


def test_core_schedule_future_start_is_off() -> None:
    set_maintenance_mode(True, start=later(1), end=later(2))
    assert get_maintenance_mode() is False
    assert MaintenanceWindow.objects.count() == 1


def test_core_schedule_expired_end_is_off() -> None:
    ended_window()
    assert get_maintenance_mode() is False


def test_core_schedule_past_start_without_end_is_on() -> None:
    set_maintenance_mode(True, start=later(-1))
    assert get_maintenance_mode() is True
    assert stored_window()[1] is None


def test_core_schedule_future_end_without_start_is_on() -> None:
    set_maintenance_mode(True, end=later(1))
    assert get_maintenance_mode() is True
    assert stored_window()[0] is None


def test_core_schedule_iso_strings() -> None:
    start, end = later(-1), later(1)
    set_maintenance_mode(True, start=start.isoformat(), end=end.isoformat())
    assert get_maintenance_mode() is True
    assert stored_window() == (start, end)


def test_core_schedule_date_only_string_means_midnight() -> None:
    set_maintenance_mode(True, end="2999-01-01")
    assert get_maintenance_mode() is True
    assert stored_window()[1] == datetime(2999, 1, 1, tzinfo=timezone.get_current_timezone())


def test_core_schedule_naive_datetimes_in_the_current_time_zone() -> None:
    with timezone.override("Asia/Tokyo"):
        local_now = timezone.localtime().replace(tzinfo=None)
        # Read as UTC, this window would start nine hours from now.
        set_maintenance_mode(
            True, start=local_now - timedelta(hours=1), end=local_now + timedelta(hours=1)
        )
        assert get_maintenance_mode() is True
        start, _ = stored_window()
        assert start is not None
        assert timezone.localtime(start).replace(tzinfo=None) == local_now - timedelta(hours=1)


def test_core_schedule_plain_false_overrides_schedule() -> None:
    set_maintenance_mode(True, start=later(-1), end=later(1))
    set_maintenance_mode(False)
    assert get_maintenance_mode() is False
    assert MaintenanceWindow.objects.count() == 0


def test_core_schedule_plain_true_overrides_schedule() -> None:
    set_maintenance_mode(True, start=later(1), end=later(2))
    set_maintenance_mode(True)
    assert get_maintenance_mode() is True
    assert MaintenanceWindow.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "start", "end", "error", "message"),
    [
        (False, None, 1, ValueError, "start / end arguments can only be used with value True"),
        (False, -1, None, ValueError, "start / end arguments can only be used with value True"),
        (True, 2, 1, ValueError, "start argument value must be < end argument value"),
        (True, 1, 1, ValueError, "start argument value must be < end argument value"),
        (True, None, -1, ValueError, "end argument value must be in the future"),
        (True, None, "garbage", ValueError, "Invalid datetime value: 'garbage'"),
        (True, "", None, ValueError, "Invalid datetime value: ''"),
        (
            True,
            None,
            True,
            TypeError,
            "Datetime value type is not datetime | str | None: <class 'bool'>",
        ),
        (
            True,
            date(2999, 1, 1),
            None,
            TypeError,
            "Datetime value type is not datetime | str | None: <class 'datetime.date'>",
        ),
    ],
)
def test_core_schedule_invalid_arguments(
    value: bool, start: Any, end: Any, error: type[Exception], message: str
) -> None:
    now = timezone.now()

    # Whole numbers (not bools) are hours from now, so that the window is fresh.
    def when(argument: Any) -> Any:
        if isinstance(argument, int) and not isinstance(argument, bool):
            return now + timedelta(hours=argument)
        return argument

    with pytest.raises(error) as info:
        set_maintenance_mode(value, start=when(start), end=when(end))
    assert str(info.value) == message
    assert MaintenanceWindow.objects.count() == 0
    assert get_maintenance_mode() is False


def test_core_schedule_override_restores_the_schedule() -> None:
    set_maintenance_mode(True, start=later(-1), end=later(1))
    stored = stored_window()
    with override_maintenance_mode(False):
        assert get_maintenance_mode() is False
    assert get_maintenance_mode() is True
    assert stored_window() == stored
    assert switch().active is False


def test_core_schedule_without_use_tz(settings: Settings) -> None:
    settings.USE_TZ = False
    now = timezone.now()
    assert timezone.is_naive(now)
    set_maintenance_mode(True, start=now - timedelta(hours=1), end=now + timedelta(hours=1))
    assert get_maintenance_mode() is True

    MaintenanceWindow.objects.all().delete()
    MaintenanceWindow.objects.create(start=now - timedelta(hours=2), end=now - timedelta(hours=1))
    assert get_maintenance_mode() is False


# core: override_maintenance_mode -----------------------------------------------------


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize("value", [True, False])
def test_override_maintenance_mode_as_context_manager(initial: bool, value: bool) -> None:
    set_maintenance_mode(initial)
    with override_maintenance_mode(value):
        assert get_maintenance_mode() is value
    assert get_maintenance_mode() is initial


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize("value", [True, False])
def test_override_maintenance_mode_as_decorator(initial: bool, value: bool) -> None:
    set_maintenance_mode(initial)

    @override_maintenance_mode(value)
    def inside() -> bool:
        return get_maintenance_mode()

    assert inside() is value
    assert get_maintenance_mode() is initial


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize(
    ("context_manager", "value"), [(maintenance_mode_on, True), (maintenance_mode_off, False)]
)
def test_maintenance_mode_on_off_context_manager(
    initial: bool, context_manager: Callable[[], AbstractContextManager[Any]], value: bool
) -> None:
    set_maintenance_mode(initial)
    with context_manager():
        assert get_maintenance_mode() is value
    assert get_maintenance_mode() is initial


# decorators --------------------------------------------------------------------------

FORCE_OFF = ["/force-off/", "/class-force-off/"]
FORCE_ON = ["/force-on/", "/class-force-on/"]


@pytest.mark.parametrize("middleware", [True, False])
@pytest.mark.parametrize("mode", [True, False])
@pytest.mark.parametrize(
    ("path", "status"), [(path, 200) for path in FORCE_OFF] + [(path, 503) for path in FORCE_ON]
)
def test_decorators_with_and_without_middleware(
    http: Any, settings: Settings, middleware: bool, mode: bool, path: str, status: int
) -> None:
    if not middleware:
        settings.MIDDLEWARE = [entry for entry in settings.MIDDLEWARE if entry != MIDDLEWARE]
    settings.MAINTENANCE_MODE = mode
    assert http.get(path).status_code == status


def test_decorators_keep_names() -> None:
    assert test_views.forced_off.__name__ == "forced_off"
    assert test_views.forced_on.__name__ == "forced_on"
    off = force_maintenance_mode_off(test_views.home)
    on = force_maintenance_mode_on(test_views.home)
    assert (off.__name__, on.__name__) == ("home", "home")
    # The markers live in the view's __dict__, where Django's as_view() copies them from.
    assert off.__dict__["force_maintenance_mode_off"] is True
    assert on.__dict__["force_maintenance_mode_on"] is True


@pytest.mark.parametrize("path", FORCE_ON)
def test_decorators_need_maintenance_response_for_force_on_views(
    rf: RequestFactory, path: str
) -> None:
    # need_maintenance_response looks at the view's decorators first, before the state.
    assert get_maintenance_mode() is False
    assert need_maintenance_response(rf.get(path)) is True


@pytest.mark.parametrize("path", FORCE_OFF)
def test_decorators_need_maintenance_response_for_force_off_views(
    rf: RequestFactory, path: str
) -> None:
    set_maintenance_mode(True)
    assert need_maintenance_response(rf.get(path)) is False
    assert need_maintenance_response(rf.get("/")) is True


# get_maintenance_response (maintenance_mode.http) --------------------------------------


def test_get_maintenance_response_redirect(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_REDIRECT_URL = "https://status.example.com/maintenance"
    response = get_maintenance_response(rf.get("/"))
    assert response.status_code == 302
    assert response["Location"] == "https://status.example.com/maintenance"


def test_get_maintenance_response_no_context(rf: RequestFactory) -> None:
    response = get_maintenance_response(rf.get("/"))
    assert response.status_code == 503
    assert "max-age=0" in response["Cache-Control"]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Down for maintenance" in response.content.decode()


def test_get_maintenance_response_custom_context(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_TEMPLATE = CUSTOM_TEMPLATE
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context"
    response = get_maintenance_response(rf.get("/"))
    assert response.status_code == 503
    assert "max-age=0" in response["Cache-Control"]
    assert b"greeting=hello from get_context\n" in response.content


def test_get_maintenance_response_invalid_context_function(
    settings: Settings, rf: RequestFactory
) -> None:
    # Upstream raises ImproperlyConfigured on every maintenance response; here it is a
    # check error, and at run time the setting is ignored.
    settings.MAINTENANCE_MODE_TEMPLATE = CUSTOM_TEMPLATE
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context_invalid"
    assert check_ids() == ["maintenance_waffle.E015"]
    response = get_maintenance_response(rf.get("/"))
    assert response.status_code == 503
    assert b"greeting=\n" in response.content


# logging -----------------------------------------------------------------------------


def record(status_code: int) -> logging.LogRecord:
    return logging.makeLogRecord({"msg": "Service Unavailable: /", "status_code": status_code})


def test_logging_filter_drops_503_while_on() -> None:
    set_maintenance_mode(True)
    log_filter = RequireNotMaintenanceMode503()
    assert log_filter.filter(record(503)) is False
    assert log_filter.filter(record(200)) is True


def test_logging_filter_keeps_everything_while_off() -> None:
    log_filter = RequireNotMaintenanceMode503()
    assert log_filter.filter(record(503)) is True
    assert log_filter.filter(record(200)) is True


# management command ------------------------------------------------------------------


def command(*args: str, **options: Any) -> str:
    stdout = StringIO()
    call_command("maintenance_mode", *args, stdout=stdout, **options)
    return stdout.getvalue()


def test_management_commands_on_off() -> None:
    command("on")
    assert get_maintenance_mode() is True
    command("off")
    assert get_maintenance_mode() is False


def test_management_commands_no_arguments() -> None:
    with pytest.raises(CommandError, match="the following arguments are required: state"):
        command()


def test_management_commands_invalid_argument() -> None:
    with pytest.raises(CommandError) as info:
        command("hello world")
    assert str(info.value).startswith("Invalid argument: 'hello world' expected <on|off")
    assert get_maintenance_mode() is False


def test_management_commands_schedule_end_in_the_future_is_on() -> None:
    end = later(1)
    command("on", "--end", end.isoformat())
    assert get_maintenance_mode() is True
    assert stored_window() == (None, end)


def test_management_commands_schedule_future_start_overwrites() -> None:
    command("on", "--end", later(1).isoformat())
    command("on", "--start", later(1).isoformat())
    assert get_maintenance_mode() is False
    assert stored_window()[1] is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--end", "garbage"], "Invalid datetime value: 'garbage'"),
        (["--end", "2000-01-01T00:00:00+00:00"], "end argument value must be in the future"),
        (
            ["--start", "2999-01-02", "--end", "2999-01-01"],
            "start argument value must be < end argument value",
        ),
    ],
)
def test_management_commands_schedule_invalid(arguments: list[str], message: str) -> None:
    with pytest.raises(CommandError) as info:
        command("on", *arguments)
    assert str(info.value) == message
    assert get_maintenance_mode() is False
    assert MaintenanceWindow.objects.count() == 0


def test_management_commands_schedule_off_with_end_is_an_error() -> None:
    with pytest.raises(CommandError) as info:
        command("off", "--end", later(1).isoformat())
    assert str(info.value) == "--start / --end options can only be used with 'on' state"


def test_management_commands_schedule_off_clears_a_pending_schedule() -> None:
    command("on", "--start", later(1).isoformat())
    command("off")
    assert MaintenanceWindow.objects.count() == 0
    assert switch().active is False


def test_management_commands_schedule_plain_on_replaces_an_active_schedule() -> None:
    command("on", "--end", later(1).isoformat())
    command("on")
    assert MaintenanceWindow.objects.count() == 0
    assert switch().active is True


@pytest.mark.parametrize(("value", "state"), [(True, "off"), (False, "on")])
def test_management_commands_with_the_setting(settings: Settings, value: bool, state: str) -> None:
    settings.MAINTENANCE_MODE = value
    with pytest.raises(CommandError) as info:
        command(state)
    assert str(info.value) == "Maintenance mode cannot be set dynamically if defined in settings."


def test_management_commands_on_with_the_setting_true_is_already_on(settings: Settings) -> None:
    settings.MAINTENANCE_MODE = True
    assert command("on", verbosity=3) == "maintenance mode is already on\n"


class Answers:
    """Stands in for input(): gives the answers in turn, records the prompts."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0)


def test_management_commands_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = Answers("y", "y", "n")
    monkeypatch.setattr("builtins.input", answers)

    command("on", "--interactive")
    assert get_maintenance_mode() is True
    command("on", "--interactive")  # already on: no question
    command("off", "--interactive")
    assert get_maintenance_mode() is False
    command("off", "--interactive")  # already off: no question
    command("on", "--interactive")  # answered "n"
    assert get_maintenance_mode() is False

    assert answers.prompts == [
        "maintenance mode on? (y/N) ",
        "maintenance mode off? (y/N) ",
        "maintenance mode on? (y/N) ",
    ]
    assert answers.answers == []


def test_management_commands_verbose() -> None:
    assert command("on", verbosity=3) == "maintenance mode: on\n"
    assert command("on", verbosity=3) == "maintenance mode is already on\n"
    assert get_maintenance_mode() is True
    assert command("off", verbosity=3) == "maintenance mode: off\n"
    assert command("off", verbosity=3) == "maintenance mode is already off\n"
    assert get_maintenance_mode() is False


def test_management_commands_verbose_scheduled() -> None:
    output = command("on", "--end", "2999-01-01T03:00:00+00:00", verbosity=3)
    assert output == "maintenance mode: on (until 2999-01-01 03:00 UTC)\n"


# metadata ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "__author__",
        "__copyright__",
        "__description__",
        "__email__",
        "__license__",
        "__title__",
        "__version__",
    ],
)
def test_metadata_is_text(name: str) -> None:
    # Under django-maintenance-mode's module name for it too.
    assert isinstance(getattr(metadata, name), str)
    if name != "__email__":
        assert getattr(metadata, name) is getattr(maintenance_waffle, name)


# io ----------------------------------------------------------------------------------


def test_io_read_file_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "state.txt"
    assert io.read_file(path, "0") == "0"
    assert path.read_text() == "0"
    path.write_text("")
    assert io.read_file(path, "0") == "0"  # an empty file reads as the default


def test_io_write_file_replaces_it_with_the_directorys_permissions(tmp_path: Path) -> None:
    tmp_path.chmod(0o750)
    path = tmp_path / "state.txt"
    io.write_file(str(path), "1")
    io.write_file(path, "0")
    assert path.read_text() == "0"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [entry.name for entry in tmp_path.iterdir()] == ["state.txt"]


def test_io_write_file_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(IsADirectoryError):
        io.write_file(tmp_path / "taken", "1")
    assert [entry.name for entry in tmp_path.iterdir()] == ["taken"]


# package -----------------------------------------------------------------------------


def test_package_settings_are_readable_from_django_settings() -> None:
    # As django-maintenance-mode puts its defaults on django.conf.settings, code (and
    # suites) written for it read them there.
    assert django_settings.MAINTENANCE_MODE is None
    assert django_settings.MAINTENANCE_MODE_TEMPLATE == "503.html"
    assert django_settings.MAINTENANCE_MODE_STATUS_CODE == 503
    assert django_settings.MAINTENANCE_MODE_STATE_FILE_PATH == "maintenance_mode_state.txt"
    assert "maintenance_waffle.W002" not in check_ids()


def test_package_defaults_never_replace_a_projects_value(settings: Settings) -> None:
    settings.MAINTENANCE_MODE_STATUS_CODE = 502
    settings.MAINTENANCE_MODE_STATE_FILE_PATH = "/var/run/state.txt"
    publish_defaults()
    assert django_settings.MAINTENANCE_MODE_STATUS_CODE == 502
    assert "maintenance_waffle.W002" in check_ids()


def test_package_backend_base_class_stays_importable() -> None:
    backend = backends.AbstractStateBackend()
    with pytest.raises(NotImplementedError):
        backend.get_value()
    with pytest.raises(NotImplementedError):
        backend.set_value(True)


def test_metadata_version() -> None:
    assert re.match(r"^\d+(\.\d+){1,2}$", maintenance_waffle.__version__)


# middleware --------------------------------------------------------------------------


def test_middleware_without_get_response(rf: RequestFactory) -> None:
    # Upstream's middleware is a MiddlewareMixin: made without get_response, it answers
    # process_request and, when that passes, None.
    middleware = MaintenanceModeMiddleware()
    request = rf.get("/")
    request.user = AnonymousUser()
    assert middleware(request) is None
    set_maintenance_mode(True)
    response = middleware.process_request(request)
    assert response is not None
    assert response.status_code == 503


def test_middleware_off_url_is_reachable_while_on(http: Any) -> None:
    set_maintenance_mode(True)
    response = http.get(reverse("maintenance_mode_off"))
    assert response.status_code == 302  # to the login page: the view answered
    assert http.get("/maintenance-mode/off").status_code == 503  # exact path only


def test_middleware_urls_not_configured(http: Any, settings: Settings) -> None:
    settings.ROOT_URLCONF = "tests.urls_no_admin"
    set_maintenance_mode(True)
    assert http.get("/maintenance-mode/off/").status_code == 503


def test_middleware_anonymous_user(http: Any) -> None:
    assert http.get("/").status_code == 200
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503


@pytest.mark.parametrize("path", ["/admin/", "/admin"])
def test_middleware_ignore_admin_site(http: Any, settings: Settings, path: str) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_IGNORE_ADMIN_SITE = True
    assert http.get(path).status_code in (301, 302)
    assert http.get("/").status_code == 503
    assert http.get("/administrator").status_code == 503
    settings.MAINTENANCE_MODE_IGNORE_ADMIN_SITE = False
    assert http.get(path).status_code == 503


@pytest.mark.parametrize("ignore", [True, False])
def test_middleware_ignore_admin_site_not_configured(
    http: Any, settings: Settings, ignore: bool
) -> None:
    settings.ROOT_URLCONF = "tests.urls_no_admin"
    settings.MAINTENANCE_MODE_IGNORE_ADMIN_SITE = ignore
    set_maintenance_mode(True)
    assert http.get("/admin/").status_code == 503
    assert http.get("/").status_code == 503


def test_middleware_ignore_ip_addresses(http: Any, settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ("127.0.0.1",)
    assert http.get("/").status_code == 200
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = None
    assert http.get("/").status_code == 503


def test_middleware_get_client_ip_address(http: Any, settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ("10.9.8.7",)
    settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = "tests.hooks.client_ip"
    assert http.get("/", headers={"X-Real-IP": "10.9.8.7"}).status_code == 200
    assert http.get("/", headers={"X-Real-IP": "10.9.8.6"}).status_code == 503
    assert http.get("/").status_code == 503


def test_middleware_get_client_ip_address_default_getter(http: Any, settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ("127.0.0.1",)
    settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = (
        "maintenance_waffle.utils.get_client_ip_address"
    )
    assert http.get("/").status_code == 200
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = None
    settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = None
    assert http.get("/").status_code == 503


@pytest.mark.parametrize("path", ["tests.hooks.client_ip_invalid", "tests.missing.client_ip"])
def test_middleware_get_client_ip_address_invalid(http: Any, settings: Settings, path: str) -> None:
    # Upstream raises ImproperlyConfigured per request; here a check error, and at run
    # time the getter is ignored: REMOTE_ADDR decides.
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ("10.9.8.7",)
    settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = path
    assert check_ids() == ["maintenance_waffle.E015"]
    assert http.get("/", headers={"X-Real-IP": "10.9.8.7"}).status_code == 503
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ("127.0.0.1",)
    assert http.get("/").status_code == 200


@pytest.mark.parametrize(
    ("logout", "ignore_anonymous", "status", "still_logged_in"),
    [(True, True, 200, False), (True, False, 503, False), (False, False, 503, True)],
)
def test_middleware_logout_authenticated_user(
    http: Any,
    settings: Settings,
    logout: bool,
    ignore_anonymous: bool,
    status: int,
    still_logged_in: bool,
) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = logout
    settings.MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER = ignore_anonymous
    http.force_login(make_user("authenticated"))
    set_maintenance_mode(True)
    assert http.get("/").status_code == status
    assert logged_in(http) is still_logged_in


LOGOUT_CASES = [
    # (LOGOUT_AUTHENTICATED_USER, specific setting, still logged in)
    (True, None, False),  # None follows LOGOUT_AUTHENTICATED_USER
    (True, False, True),
    (False, True, False),
    (False, None, True),
]


@pytest.mark.usefixtures("upstream_exemptions")
@pytest.mark.parametrize(("logout_all", "logout_specific", "still_logged_in"), LOGOUT_CASES)
@pytest.mark.parametrize(
    ("kind", "specific_setting"),
    [
        ("staff", "MAINTENANCE_MODE_LOGOUT_STAFF_USER"),
        ("superuser", "MAINTENANCE_MODE_LOGOUT_SUPERUSER"),
    ],
)
def test_middleware_logout_staff_user_or_superuser(
    http: Any,
    settings: Settings,
    kind: str,
    specific_setting: str,
    logout_all: bool,
    logout_specific: bool | None,
    still_logged_in: bool,
) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = logout_all
    setattr(settings, specific_setting, logout_specific)
    http.force_login(make_user(kind))
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503
    assert logged_in(http) is still_logged_in


@pytest.mark.usefixtures("upstream_exemptions")
@pytest.mark.parametrize(
    ("setting", "kind"),
    [
        ("MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER", None),
        ("MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER", "authenticated"),
        ("MAINTENANCE_MODE_IGNORE_STAFF", "staff"),
        ("MAINTENANCE_MODE_IGNORE_SUPERUSER", "superuser"),
    ],
)
def test_middleware_ignore_users(
    http: Any, settings: Settings, setting: str, kind: str | None
) -> None:
    if kind is not None:
        http.force_login(make_user(kind))
    set_maintenance_mode(True)
    setattr(settings, setting, True)
    assert http.get("/").status_code == 200
    setattr(settings, setting, False)
    assert http.get("/").status_code == 503


@pytest.mark.usefixtures("upstream_exemptions")
def test_middleware_ignore_staff_does_not_cover_a_superuser_who_is_not_staff(
    http: Any, settings: Settings
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    http.force_login(make_user("superuser"))
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503


def test_middleware_get_authenticated_user(http: Any, settings: Settings) -> None:
    baker.make(User, username="token-staff", is_staff=True)
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.hooks.authenticated_user"
    set_maintenance_mode(True)
    # The request itself is anonymous: only the getter knows the staff user.
    assert http.get("/", headers={"X-User": "token-staff"}).status_code == 200
    # The getter answers None: request.user (anonymous) decides.
    assert http.get("/").status_code == 503


def test_middleware_get_authenticated_user_none_falls_back_to_request_user(
    http: Any, settings: Settings
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.hooks.authenticated_user"
    http.force_login(make_user("staff"))
    set_maintenance_mode(True)
    assert http.get("/").status_code == 200


@pytest.mark.parametrize("getter", [None, "tests.hooks.authenticated_user"])
def test_middleware_get_authenticated_user_request_without_user(
    settings: Settings, rf: RequestFactory, getter: str | None
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = getter
    set_maintenance_mode(True)
    assert need_maintenance_response(rf.get("/")) is True


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("tests.hooks.authenticated_user_invalid", "cannot be imported"),
        ("tests.hooks.not_a_function", "is not callable"),
    ],
)
def test_middleware_get_authenticated_user_invalid(
    http: Any, settings: Settings, path: str, problem: str
) -> None:
    baker.make(User, username="token-staff", is_staff=True)
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = path
    [(check_id, message)] = our_checks()
    assert check_id == "maintenance_waffle.E015"
    assert "MAINTENANCE_MODE_GET_AUTHENTICATED_USER" in message
    assert problem in message
    set_maintenance_mode(True)
    assert http.get("/", headers={"X-User": "token-staff"}).status_code == 503


def test_middleware_ignore_tests(http: Any, settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_IGNORE_TESTS = True
    assert http.get("/").status_code == 200
    settings.MAINTENANCE_MODE_IGNORE_TESTS = False
    assert http.get("/").status_code == 503


@pytest.mark.parametrize("pattern", ["/", re.compile("/"), reverse_lazy("home")])
def test_middleware_ignore_urls(http: Any, settings: Settings, pattern: Any) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_IGNORE_URLS = (pattern,)
    assert http.get("/").status_code == 200
    settings.MAINTENANCE_MODE_IGNORE_URLS = None
    assert http.get("/").status_code == 503


def test_middleware_redirect_url(http: Any, settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_REDIRECT_URL = reverse("maintenance_page")
    response = http.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/maintenance/"
    assert http.get("/maintenance/").content == b"we are busy"
    settings.MAINTENANCE_MODE_REDIRECT_URL = None
    assert http.get("/").status_code == 503


def test_middleware_get_context(http: Any, settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_TEMPLATE = CUSTOM_TEMPLATE
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context"
    response = http.get("/")
    assert response.status_code == 503
    assert b"greeting=hello from get_context\n" in response.content
    settings.MAINTENANCE_MODE_GET_CONTEXT = None
    assert b"greeting=\n" in http.get("/").content


@pytest.mark.parametrize(
    ("response_type", "content_type"),
    [("json", "application/json"), ("html", "text/html; charset=utf-8")],
)
def test_middleware_response_type(
    http: Any, settings: Settings, response_type: str, content_type: str
) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = response_type
    # Whatever the client asks for.
    response = http.get("/", headers={"Accept": "application/json, text/html"})
    assert response.status_code == 503
    assert response["Content-Type"] == content_type


def test_middleware_response_type_function(http: Any, settings: Settings) -> None:
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "tests.hooks.response_type"
    api = http.get("/api/test/")
    assert (api.status_code, api["Content-Type"]) == (503, "application/json")
    assert api.json() == {}
    page = http.get("/")
    assert (page.status_code, page["Content-Type"]) == (503, "text/html; charset=utf-8")


def test_middleware_response_type_function_with_another_answer(
    http: Any, settings: Settings
) -> None:
    # Upstream raises ImproperlyConfigured (a 500); here the answer is logged and the
    # default type used.
    set_maintenance_mode(True)
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "tests.hooks.response_type_xml"
    response = http.get("/")
    assert (response.status_code, response["Content-Type"]) == (503, "text/html; charset=utf-8")


@pytest.mark.parametrize("value", ["none", "HTML", "tests.hooks.response_type_invalid"])
def test_middleware_response_type_invalid(http: Any, settings: Settings, value: str) -> None:
    # Upstream raises ImproperlyConfigured per request; here a check error, and at run
    # time the default ("auto").
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = value
    assert check_ids() == ["maintenance_waffle.E007"]
    set_maintenance_mode(True)
    response = http.get("/")
    assert (response.status_code, response["Content-Type"]) == (503, "text/html; charset=utf-8")


# views -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["maintenance_mode_on", "maintenance_mode_off"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_views_anonymous_urls(client: Client, name: str, method: str) -> None:
    # Upstream redirects to "/" and changes nothing; here: to the login page.
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert get_maintenance_mode() is False


def test_views_superuser_urls(client: Client) -> None:
    client.force_login(make_user("superuser"))
    assert client.post(reverse("maintenance_mode_on")).status_code == 302
    assert get_maintenance_mode() is True
    assert client.post(reverse("maintenance_mode_off")).status_code == 302
    assert get_maintenance_mode() is False
    # A GET only asks for confirmation.
    assert client.get(reverse("maintenance_mode_on")).status_code == 200
    assert get_maintenance_mode() is False


@pytest.mark.parametrize("value", [True, False])
def test_views_superuser_with_the_setting(client: Client, settings: Settings, value: bool) -> None:
    # Upstream answers 500 (ImproperlyConfigured); here 409 and nothing changes.
    settings.MAINTENANCE_MODE = value
    client.force_login(make_user("superuser"))
    assert client.post(reverse("maintenance_mode_on")).status_code == 409
    assert client.post(reverse("maintenance_mode_off")).status_code == 409
    assert switch().active is False


def test_context_processor_on_the_503_page(http: Any, settings: Settings) -> None:
    settings.MAINTENANCE_MODE_TEMPLATE = CUSTOM_TEMPLATE
    set_maintenance_mode(True)
    response = http.get("/")
    assert response.status_code == 503
    assert b"maintenance_mode=True\n" in response.content


def test_context_processor_without_a_request_state(rf: RequestFactory) -> None:
    off = {"maintenance_mode": False, "maintenance_read_only": False}
    assert context_processor(rf.get("/")) == off
    set_maintenance_mode(True)
    assert context_processor(rf.get("/")) == {**off, "maintenance_mode": True}


def direct_request(rf: RequestFactory, method: str, user: Any) -> HttpRequest:
    request: HttpRequest = getattr(rf, method)("/")
    request.user = user
    # As the test client does: CSRF is tested in test_difference_on_off_urls_need_post_and_csrf.
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    return request


@pytest.mark.parametrize("view", [views.maintenance_mode_on, views.maintenance_mode_off])
@pytest.mark.parametrize("method", ["get", "post"])
def test_views_called_directly_by_anonymous(rf: RequestFactory, view: Any, method: str) -> None:
    response = view(direct_request(rf, method, AnonymousUser()))
    assert response.status_code == 302
    assert get_maintenance_mode() is False


def test_views_called_directly_by_a_superuser(rf: RequestFactory) -> None:
    superuser = make_user("superuser")
    views.maintenance_mode_on(direct_request(rf, "post", superuser))
    assert get_maintenance_mode() is True
    views.maintenance_mode_off(direct_request(rf, "post", superuser))
    assert get_maintenance_mode() is False


# Not covered upstream ----------------------------------------------------------------


def test_extra_json_body_is_empty_by_default(http: Any, settings: Settings) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    set_maintenance_mode(True)
    response = http.get("/")
    assert response.status_code == 503
    assert response.content == b"{}"


def test_extra_json_body_is_the_get_context_dict(http: Any, settings: Settings) -> None:
    settings.MAINTENANCE_MODE_RESPONSE_TYPE = "json"
    settings.MAINTENANCE_MODE_GET_CONTEXT = "tests.hooks.get_context"
    set_maintenance_mode(True)
    assert http.get("/").json() == {"greeting": "hello from get_context"}


def test_extra_retry_after_by_default(http: Any) -> None:
    set_maintenance_mode(True)
    assert http.get("/")["Retry-After"] == "3600"


@pytest.mark.parametrize("value", [120, "120", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_extra_retry_after_is_sent_as_given(http: Any, settings: Settings, value: Any) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = value
    set_maintenance_mode(True)
    assert http.get("/")["Retry-After"] == str(value)


@pytest.mark.parametrize("value", [0, None])
def test_extra_no_retry_after_when_falsy(http: Any, settings: Settings, value: Any) -> None:
    settings.MAINTENANCE_MODE_RETRY_AFTER = value
    set_maintenance_mode(True)
    response = http.get("/")
    assert response.status_code == 503
    assert "Retry-After" not in response


@pytest.mark.parametrize(("value", "status"), [(200, 200), (429, 429), ("429", 429)])
def test_extra_status_code(http: Any, settings: Settings, value: Any, status: int) -> None:
    settings.MAINTENANCE_MODE_STATUS_CODE = value
    set_maintenance_mode(True)
    response = http.get("/")
    assert response.status_code == status
    assert response["Retry-After"] == "3600"
    assert b"Down for maintenance" in response.content


def test_extra_redirect_has_no_retry_after(http: Any, settings: Settings) -> None:
    settings.MAINTENANCE_MODE_REDIRECT_URL = "/maintenance/"
    set_maintenance_mode(True)
    response = http.get("/")
    assert response.status_code == 302
    assert "Retry-After" not in response


@pytest.mark.parametrize(
    ("patterns", "path", "exempt"),
    [
        (("/api/",), "/api/x", True),
        (("/api/",), "/v1/api/x", False),
        (("api/",), "/api/x", False),
        ((r"/healthz$",), "/healthz", True),
        ((r"/healthz$",), "/healthz/more", False),
    ],
)
def test_extra_ignore_urls_match_from_the_start_of_the_path(
    http: Any, settings: Settings, patterns: tuple[str, ...], path: str, exempt: bool
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_URLS = patterns
    set_maintenance_mode(True)
    assert (http.get(path).status_code != 503) is exempt


def test_extra_ignore_urls_string_instead_of_tuple(http: Any, settings: Settings) -> None:
    # Upstream iterates the string: its "/" exempts every path.
    settings.MAINTENANCE_MODE_IGNORE_URLS = "/healthz"
    assert check_ids() == ["maintenance_waffle.E012"]
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503
    assert http.get("/healthz").status_code == 503


@pytest.mark.usefixtures("under_script_name")
def test_extra_script_name(http: Any) -> None:
    # Upstream answers 404 to every request while on, and ignores the decorators.
    assert http.get(mounted(http, "/")).status_code == 200
    assert http.get(mounted(http, "/force-on/")).status_code == 503
    set_maintenance_mode(True)
    assert http.get(mounted(http, "/")).status_code == 503
    assert http.get(mounted(http, "/force-off/")).status_code == 200
    assert http.get(mounted(http, "/admin/")).status_code == 302
    response = http.get(mounted(http, "/maintenance-mode/off/"))
    assert response.status_code == 302
    assert response["Location"].endswith("?next=/site/maintenance-mode/off/")


@pytest.mark.parametrize(
    ("settings_values", "status"),
    [
        ({}, 503),
        ({"MAINTENANCE_MODE_IGNORE_STAFF": True, "MAINTENANCE_MODE_IGNORE_SUPERUSER": True}, 503),
        ({"MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER": True}, 503),
        ({"MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER": True}, 200),
    ],
)
def test_extra_custom_user_model_without_staff_and_superuser_fields(
    http: Any, settings: Settings, settings_values: dict[str, Any], status: int
) -> None:
    # Upstream 0.23 reads is_superuser of every authenticated user: AttributeError.
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.hooks.token_user"
    for name, value in settings_values.items():
        setattr(settings, name, value)
    set_maintenance_mode(True)
    assert http.get("/").status_code == status


def test_extra_command_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    def exit_code(*args: str) -> Any:
        with pytest.raises(SystemExit) as info:
            Command().run_from_argv(["manage.py", "maintenance_mode", *args])
        return info.value.code

    assert exit_code("hello") == 1
    assert "CommandError: Invalid argument: 'hello'" in capsys.readouterr().err
    assert exit_code("off", "--end", "2999-01-01") == 1
    assert exit_code() == 2
    assert "the following arguments are required: state" in capsys.readouterr().err
    assert get_maintenance_mode() is False

    Command().run_from_argv(["manage.py", "maintenance_mode", "on"])
    assert get_maintenance_mode() is True


def test_extra_command_interactive_prompt_text(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = Answers("yes")
    monkeypatch.setattr("builtins.input", answers)
    command("on", "--interactive", verbosity=3)
    assert answers.prompts == ["maintenance mode on? (y/N) "]


# Deliberate differences --------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "address", "exempt"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("127.0.0.1", "127.0.0.10", False),  # upstream: a regex prefix, so exempt
        ("10.0.0.0/8", "10.1.2.3", True),  # upstream: CIDR never matches
        ("10.0.0.0/8", "11.1.2.3", False),
        ("2001:db8::/32", "2001:db8::1", True),
        (r"192\.168\.", "192.168.4.5", True),  # not an address: still a regex
        (r"192\.168\.", "10.192.168.1", False),
    ],
)
def test_difference_ip_addresses_and_networks_match_exactly(
    http: Any, settings: Settings, entry: str, address: str, exempt: bool
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = (entry,)
    settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = "tests.hooks.client_ip"
    set_maintenance_mode(True)
    response = http.get("/", headers={"X-Real-IP": address})
    assert response.status_code == (200 if exempt else 503)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAINTENANCE_MODE_IGNORE_IP_ADDRESSES", "127.0.0.1"),
        ("MAINTENANCE_MODE_IGNORE_URLS", "/"),
    ],
)
def test_difference_string_instead_of_list_is_a_check_error(
    http: Any, settings: Settings, name: str, value: str
) -> None:
    setattr(settings, name, value)
    [(check_id, message)] = our_checks()
    assert check_id == "maintenance_waffle.E012"
    assert name in message
    # At run time the setting is ignored: upstream would exempt every request.
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503


@pytest.mark.parametrize(
    "name", ["MAINTENANCE_MODE_IGNORE_URLS", "MAINTENANCE_MODE_IGNORE_IP_ADDRESSES"]
)
def test_difference_invalid_regex_is_a_check_error(
    http: Any, settings: Settings, name: str
) -> None:
    setattr(settings, name, ("[",))
    [(check_id, message)] = our_checks()
    assert check_id == "maintenance_waffle.E013"
    assert "'[' is not a valid regular expression" in message
    # Upstream raises re.error on every request; here the entry is ignored.
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503


@pytest.mark.parametrize(
    ("name", "check_id"),
    [
        ("MAINTENANCE_MODE_GET_CONTEXT", "maintenance_waffle.E015"),
        ("MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS", "maintenance_waffle.E015"),
        ("MAINTENANCE_MODE_GET_AUTHENTICATED_USER", "maintenance_waffle.E015"),
        ("MAINTENANCE_MODE_RESPONSE_TYPE", "maintenance_waffle.E007"),
    ],
)
def test_difference_unimportable_path_is_a_check_error(
    http: Any, settings: Settings, name: str, check_id: str
) -> None:
    setattr(settings, name, "tests.hooks.does_not_exist")
    [(found, message)] = our_checks()
    assert found == check_id
    assert name in message
    assert "tests.hooks.does_not_exist" in message
    set_maintenance_mode(True)
    assert http.get("/").status_code == 503


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("MAINTENANCE_MODE_GET_TEMPLATE_CONTEXT", "MAINTENANCE_MODE_GET_CONTEXT"),
        ("MAINTENANCE_MODE_TEMPLATE_CONTEXT", "MAINTENANCE_MODE_GET_CONTEXT"),
        ("MAINTENANCE_MODE_IGNORE_TEST", "MAINTENANCE_MODE_IGNORE_TESTS"),
    ],
)
def test_difference_renamed_settings_are_check_errors(
    settings: Settings, old: str, new: str
) -> None:
    setattr(settings, old, True)
    [(check_id, message)] = our_checks()
    assert check_id == "maintenance_waffle.E014"
    assert old in message
    assert new in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAINTENANCE_MODE_STATE_BACKEND", "maintenance_mode.backends.CacheBackend"),
        ("MAINTENANCE_MODE_STATE_FILE_NAME", "maintenance_mode_state.txt"),
        # A directory: every upstream read and write would raise OSError.
        ("MAINTENANCE_MODE_STATE_FILE_PATH", "/"),
        ("MAINTENANCE_MODE_CACHE_BACKEND", "no-such-cache"),
    ],
)
def test_difference_state_storage_settings_warn_and_are_ignored(
    settings: Settings, name: str, value: str
) -> None:
    setattr(settings, name, value)
    [message] = [
        message
        for message in checks.run_checks()
        if (message.id or "").startswith("maintenance_waffle.")
    ]
    assert message.id == "maintenance_waffle.W002"
    assert message.level == checks.WARNING
    assert name in message.msg
    set_maintenance_mode(True)
    assert get_maintenance_mode() is True
    assert switch().active is True


def test_difference_ignore_tests_recognises_pytest(http: Any, settings: Settings) -> None:
    # Upstream looks at sys.argv only ("runtests" or "test"); pytest's argv has neither.
    settings.MAINTENANCE_MODE_IGNORE_TESTS = True
    set_maintenance_mode(True)
    assert http.get("/").status_code == 200


@pytest.mark.usefixtures("under_script_name")
def test_difference_urls_work_under_script_name(http: Any, settings: Settings) -> None:
    settings.MAINTENANCE_MODE_REDIRECT_URL = "maintenance_page"
    set_maintenance_mode(True)
    response = http.get(mounted(http, "/"))
    assert response.status_code == 302
    assert response["Location"] == "/site/maintenance/"
    assert http.get(mounted(http, "/maintenance/")).content == b"we are busy"


def test_difference_on_off_urls_need_post_and_csrf() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("superuser"))
    url = reverse("maintenance_mode_on")

    form = client.get(url)
    assert form.status_code == 200
    assert get_maintenance_mode() is False  # upstream: turned on by the GET

    assert client.post(url).status_code == 403
    assert get_maintenance_mode() is False

    response = client.post(url, {"csrfmiddlewaretoken": str(form.context["csrf_token"])})
    assert response.status_code == 302
    assert get_maintenance_mode() is True


def test_difference_ignore_admin_site_defaults_to_true(http: Any) -> None:
    assert get_config().ignore_admin_site is True
    set_maintenance_mode(True)
    assert http.get("/admin/login/").status_code == 200
    assert http.get("/").status_code == 503


def test_difference_response_type_defaults_to_auto(http: Any) -> None:
    set_maintenance_mode(True)
    html = http.get("/")
    assert html["Content-Type"] == "text/html; charset=utf-8"
    problem = http.get("/", headers={"Accept": "application/json"})
    assert problem["Content-Type"] == "application/problem+json"
    assert problem.json()["status"] == 503
    assert "Accept" in problem["Vary"]


@pytest.mark.usefixtures("upstream_exemptions")
def test_difference_admin_is_exempt_before_logout(http: Any, settings: Settings) -> None:
    # Upstream logs the user out before looking at the admin exemption.
    settings.MAINTENANCE_MODE_LOGOUT_SUPERUSER = True
    http.force_login(make_user("superuser"))
    set_maintenance_mode(True)
    assert http.get("/admin/").status_code == 302
    assert logged_in(http) is True
    assert http.get("/").status_code == 503
    assert logged_in(http) is False


def test_difference_retry_after_counts_down_to_the_end_of_a_window(http: Any) -> None:
    # Upstream always sends MAINTENANCE_MODE_RETRY_AFTER, window or not.
    set_maintenance_mode(True, end=later(0.5))
    retry_after = int(http.get("/")["Retry-After"])
    assert 0 < retry_after <= 1800


def test_difference_superusers_are_exempt_by_the_exempt_flag(http: Any) -> None:
    # The data migration's exemption flag; upstream needs IGNORE_SUPERUSER.
    http.force_login(make_user("superuser"))
    set_maintenance_mode(True)
    assert http.get("/").status_code == 200
