from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from model_bakery import baker

from maintenance_waffle.bypass import create_link, key_of
from maintenance_waffle.core import get_maintenance_mode
from maintenance_waffle.models import BypassKey, Channel, MaintenanceChange, MaintenanceWindow
from tests import process_settings
from tests import settings as test_settings
from tests.rows import (
    exempt_flag,
    reason,
    set_flag,
    set_switch,
    switch,
    switch_exists,
    switch_table_gone,
    switch_table_read_only,
    target,
    targeted_flag,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_FLAG: dict[str, Any] = {
    "name": "maintenance_mode",
    "everyone": False,
    "percent": 0.0,
    "superusers": False,
    "staff": False,
    "authenticated": False,
    "languages": [],
    "users": [],
    "groups": [],
}
DEFAULT_EXEMPT_FLAG: dict[str, Any] = {
    "name": "maintenance_mode_exempt",
    "everyone": None,
    "percent": 0.0,
    "superusers": True,
    "staff": False,
    "authenticated": False,
    "languages": [],
    "users": [],
    "groups": [],
}


def run(*args: str, **options: Any) -> str:
    stdout = StringIO()
    call_command("maintenance_mode", *args, stdout=stdout, **options)
    return stdout.getvalue()


# States --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["on", "yes", "true", "1", "ON", " On ", "TRUE"])
def test_on_states(state):
    run(state)
    assert switch().active is True
    assert get_maintenance_mode() is True


@pytest.mark.parametrize("state", ["off", "no", "false", "0", "OFF", "No"])
def test_off_states(state):
    set_switch(True)
    assert get_maintenance_mode() is True
    run(state)
    assert switch().active is False
    assert get_maintenance_mode() is False


def test_on_creates_a_missing_switch():
    switch().delete()
    assert run("on") == "maintenance mode: on\n"
    assert switch().active is True


@pytest.mark.parametrize("state", ["hello", "status!", "", "onn", "2"])
def test_unknown_state_is_a_command_error(state):
    with pytest.raises(CommandError) as excinfo:
        run(state)
    assert str(excinfo.value) == f"Invalid argument: '{state}' expected <on|off|status>"
    assert switch().active is False


def test_unknown_state_changes_nothing_when_on():
    set_switch(True, "reason")
    with pytest.raises(
        CommandError, match=r"^Invalid argument: 'hello' expected <on\|off\|status>$"
    ):
        run("hello")
    assert (switch().active, reason()) == (True, "reason")


def test_missing_state_is_a_command_error():
    with pytest.raises(CommandError, match="the following arguments are required: state"):
        call_command("maintenance_mode")


# Verbosity -----------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "word"), [("on", "on"), ("off", "off")])
@pytest.mark.parametrize("verbosity", [1, 2, 3])
def test_change_prints_one_line(state, word, verbosity):
    set_switch(state == "off")
    assert run(state, verbosity=verbosity) == f"maintenance mode: {word}\n"
    assert switch().active is (state == "on")


@pytest.mark.parametrize("state", ["on", "off", "status"])
def test_verbosity_0_prints_nothing(state):
    set_switch(state == "off")
    assert run(state, verbosity=0) == ""
    assert switch().active is (state == "on")


@pytest.mark.parametrize("state", ["on", "off"])
def test_already_in_state_verbosity_0_prints_nothing(state):
    set_switch(state == "on")
    assert run(state, verbosity=0) == ""


@pytest.mark.parametrize("state", ["on", "off"])
@pytest.mark.parametrize("verbosity", [1, 2])
def test_already_in_state_verbosity_1_and_2_print_the_state(state, verbosity):
    set_switch(state == "on", "kept")
    assert run(state, verbosity=verbosity) == f"maintenance mode: {state}\n"
    assert (switch().active, reason()) == (state == "on", "kept" if state == "on" else "")


@pytest.mark.parametrize("state", ["on", "off"])
def test_already_in_state_verbosity_3_prints_upstreams_line(state):
    set_switch(state == "on")
    assert run(state, verbosity=3) == f"maintenance mode is already {state}\n"


# --reason --------------------------------------------------------------------------------


def test_reason_is_stored_in_the_switch_note():
    assert run("on", "--reason", "Upgrading the database") == "maintenance mode: on\n"
    assert (switch().active, reason()) == (True, "Upgrading the database")


def test_on_without_reason_clears_the_previous_reason():
    set_switch(False, "last week's upgrade")
    run("on")
    assert (switch().active, reason()) == (True, "")


def test_new_reason_while_on_is_saved():
    set_switch(True, "first")
    assert run("on", "--reason", "second", verbosity=3) == "maintenance mode: on\n"
    assert (switch().active, reason()) == (True, "second")


def test_same_reason_while_on_is_already_on():
    set_switch(True, "same")
    assert run("on", "--reason", "same", verbosity=3) == "maintenance mode is already on\n"


def test_plain_on_while_on_keeps_the_reason():
    set_switch(True, "kept")
    assert run("on", verbosity=3) == "maintenance mode is already on\n"
    assert reason() == "kept"


@pytest.mark.parametrize("state", ["off", "no", "status"])
def test_reason_with_other_states_is_a_command_error(state):
    set_switch(True, "kept")
    with pytest.raises(CommandError) as excinfo:
        run(state, "--reason", "why")
    assert str(excinfo.value) == "--reason can only be used with 'on' state"
    assert (switch().active, reason()) == (True, "kept")


# status ----------------------------------------------------------------------------------


@pytest.mark.parametrize("active", [False, True])
def test_status_verbosity_1_prints_one_line(active):
    set_switch(active)
    assert run("status") == f"maintenance mode: {'on' if active else 'off'}\n"
    assert switch().active is active


def test_status_verbosity_2_with_the_migrations_rows():
    assert run("status", verbosity=2) == (
        "maintenance mode: off\n"
        "  switch 'maintenance_mode': off\n"
        "  targeted flag 'maintenance_mode': nobody\n"
        "  exempt flag 'maintenance_mode_exempt': superusers\n"
        "  bypass links in force: 0\n"
    )


def test_status_verbosity_2_shows_the_reason():
    set_switch(True, "Moving to a new server")
    assert run("status", verbosity=2) == (
        "maintenance mode: on\n"
        "  switch 'maintenance_mode': on\n"
        "  reason: Moving to a new server\n"
        "  targeted flag 'maintenance_mode': nobody\n"
        "  exempt flag 'maintenance_mode_exempt': superusers\n"
        "  bypass links in force: 0\n"
    )


def test_status_verbosity_2_with_the_setting(settings):
    settings.MAINTENANCE_MODE = True
    assert run("status", verbosity=2) == (
        "maintenance mode: on\n"
        "  set by settings.MAINTENANCE_MODE\n"
        "  switch 'maintenance_mode': off\n"
        "  targeted flag 'maintenance_mode': nobody\n"
        "  exempt flag 'maintenance_mode_exempt': superusers\n"
        "  bypass links in force: 0\n"
    )


def test_status_verbosity_2_with_missing_rows_and_other_names(settings):
    settings.MAINTENANCE_WAFFLE_SWITCH = "site_down"
    settings.MAINTENANCE_WAFFLE_FLAG = "beta_down"
    settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG = "beta_exempt"
    assert run("status", verbosity=2) == (
        "maintenance mode: off\n"
        "  switch 'site_down': off\n"
        "  targeted flag 'beta_down': missing (nobody)\n"
        "  exempt flag 'beta_exempt': missing (nobody)\n"
        "  bypass links in force: 0\n"
    )


def _targeted_summary() -> str:
    (line,) = [
        line
        for line in run("status", verbosity=2).splitlines()
        if line.startswith("  targeted flag ")
    ]
    return line.removeprefix("  targeted flag 'maintenance_mode': ")


@pytest.mark.parametrize(
    ("fields", "summary"),
    [
        ({"everyone": True}, "everyone"),
        ({"everyone": False, "superusers": True, "percent": Decimal(50)}, "nobody"),
        ({"everyone": None, "superusers": False}, "nobody"),
        ({"everyone": None, "superusers": True}, "superusers"),
        ({"everyone": None, "superusers": False, "staff": True}, "staff"),
        (
            {"everyone": None, "superusers": False, "authenticated": True},
            "logged-in users",
        ),
        (
            {"everyone": None, "superusers": True, "staff": True, "authenticated": True},
            "superusers; staff; logged-in users",
        ),
        ({"everyone": None, "superusers": False, "languages": "en,de, "}, "languages: de, en"),
        ({"everyone": None, "superusers": False, "percent": Decimal("12.5")}, "12.5%"),
        ({"everyone": None, "superusers": False, "percent": Decimal(0)}, "nobody"),
    ],
)
def test_status_summarises_the_targeted_flag(fields, summary):
    set_flag(targeted_flag(), **fields)
    assert _targeted_summary() == summary


def test_status_summarises_groups_and_users():
    flag = target(staff=True, percent=Decimal(5), languages="de")
    flag.groups.add(baker.make(Group, name="beta"))
    flag.users.add(baker.make(User, username="bob"), baker.make(User, username="alice"))
    # By name, as the dashboard and the audit trail word it (maintenance_waffle.describe).
    assert _targeted_summary() == "staff; languages: de; groups: beta; users: alice, bob; 5%"


def test_status_summarises_a_missing_flag():
    targeted_flag().delete()
    assert _targeted_summary() == "missing (nobody)"


# --json --------------------------------------------------------------------------------


def test_status_json_with_the_migrations_rows():
    output = run("status", "--json")
    assert output.endswith("}\n")
    assert output.count("\n") == 1
    assert json.loads(output) == {
        "maintenance_mode": False,
        "switch": False,
        "setting": None,
        "ends_at": None,
        "window": None,
        "reason": None,
        "flag": DEFAULT_FLAG,
        "exempt_flag": DEFAULT_EXEMPT_FLAG,
        "bypass_links": 0,
        "changes": [],
        "read_only": False,
        "areas": {},
    }


@pytest.mark.parametrize("verbosity", [0, 1, 2, 3])
def test_json_after_on(verbosity):
    output = run("on", "--json", "--reason", "Upgrade", verbosity=verbosity)
    assert json.loads(output) == {
        "maintenance_mode": True,
        "switch": True,
        "setting": None,
        "ends_at": None,
        "window": None,
        "reason": "Upgrade",
        "flag": DEFAULT_FLAG,
        "exempt_flag": DEFAULT_EXEMPT_FLAG,
        "bypass_links": 0,
        "changes": [],
        "read_only": False,
        "areas": {},
    }


@pytest.mark.parametrize("verbosity", [0, 1, 2, 3])
def test_json_after_off(verbosity):
    set_switch(True)
    output = run("off", "--json", verbosity=verbosity)
    assert json.loads(output)["maintenance_mode"] is False
    assert json.loads(output)["switch"] is False


@pytest.mark.parametrize("verbosity", [0, 1, 2, 3])
@pytest.mark.parametrize("state", ["on", "off"])
def test_json_when_already_in_state_is_one_object(state, verbosity):
    set_switch(state == "on")
    output = run(state, "--json", verbosity=verbosity)
    assert json.loads(output)["maintenance_mode"] is (state == "on")


def test_status_json_with_the_setting_and_targeting(settings):
    settings.MAINTENANCE_MODE = True
    flag = target(percent=Decimal("2.5"), languages="en,de")
    (group,) = baker.make(Group, _quantity=1)
    users = baker.make(User, _quantity=2)
    flag.groups.add(group)
    flag.users.add(*users)
    exempt_flag().delete()
    assert json.loads(run("status", "--json")) == {
        "maintenance_mode": True,
        "switch": False,
        "setting": True,
        "ends_at": None,
        "window": None,
        "reason": None,
        "flag": {
            **DEFAULT_FLAG,
            "everyone": None,
            "percent": 2.5,
            "languages": ["de", "en"],
            "users": sorted(user.pk for user in users),
            "groups": [group.pk],
        },
        "exempt_flag": None,
        "bypass_links": 0,
        "changes": [],
        "read_only": False,
        "areas": {},
    }


# --start / --end -------------------------------------------------------------------------

UTC = dt_timezone.utc
HOUR = timedelta(hours=1)


def windows() -> list[tuple[datetime | None, datetime | None, str]]:
    return list(MaintenanceWindow.objects.values_list("start", "end", "reason"))


@pytest.mark.parametrize("verbosity", [1, 2, 3])
def test_on_with_an_end_is_on_now_until_then(verbosity):
    output = run("on", "--end", "2099-01-01T03:00:00-06:00", verbosity=verbosity)

    assert output == "maintenance mode: on (until 2099-01-01 09:00 UTC)\n"
    assert windows() == [(None, datetime(2099, 1, 1, 9, tzinfo=UTC), "")]
    # The window decides, not the switch.
    assert switch().active is False
    assert get_maintenance_mode() is True


def test_on_with_an_end_prints_nothing_at_verbosity_0():
    assert run("on", "--end", "2099-01-01", verbosity=0) == ""
    assert get_maintenance_mode() is True


def test_on_with_a_future_start_is_off_until_then():
    output = run("on", "--start", "2098-12-31", "--end", "2099-01-01", verbosity=3)

    assert output == (
        "maintenance mode: off (scheduled from 2098-12-31 00:00 to 2099-01-01 00:00 UTC)\n"
    )
    assert windows() == [(datetime(2098, 12, 31, tzinfo=UTC), datetime(2099, 1, 1, tzinfo=UTC), "")]
    assert switch().active is False
    assert get_maintenance_mode() is False


def test_on_with_a_past_start_and_a_future_end():
    now = timezone.now().replace(microsecond=0)
    start, end = now - HOUR, now + HOUR

    output = run("on", "--start", start.isoformat(), "--end", end.isoformat())

    assert output == f"maintenance mode: on (until {end:%Y-%m-%d %H:%M} UTC)\n"
    assert windows() == [(start, end, "")]
    assert get_maintenance_mode() is True


def test_on_with_a_start_only_lasts_until_turned_off():
    output = run("on", "--start", "2099-01-01T00:00:00+00:00")

    assert output == (
        "maintenance mode: off (scheduled from 2099-01-01 00:00 UTC until turned off)\n"
    )
    assert windows() == [(datetime(2099, 1, 1, tzinfo=UTC), None, "")]


def test_a_window_has_its_own_reason_and_ends_the_switchs():
    set_switch(True, "last time")

    run("on", "--end", "2099-01-01", "--reason", "Moving servers")

    assert windows() == [(None, datetime(2099, 1, 1, tzinfo=UTC), "Moving servers")]
    assert (switch().active, reason()) == (False, "")


def test_on_with_an_end_while_already_on_writes_the_window():
    set_switch(True)

    output = run("on", "--end", "2099-01-01", verbosity=3)

    assert output == "maintenance mode: on (until 2099-01-01 00:00 UTC)\n"
    assert switch().active is False
    assert len(windows()) == 1


def test_a_new_window_replaces_the_pending_one():
    run("on", "--start", "2098-01-01", "--end", "2098-01-02")

    run("on", "--start", "2099-01-01", "--end", "2099-01-02")

    assert windows() == [(datetime(2099, 1, 1, tzinfo=UTC), datetime(2099, 1, 2, tzinfo=UTC), "")]


@pytest.mark.parametrize(
    ("state", "options"),
    [
        ("off", ["--end", "2099-01-01"]),
        ("off", ["--start", "2099-01-01"]),
        ("no", ["--start", "2099-01-01", "--end", "2099-01-02"]),
        ("status", ["--end", "2099-01-01"]),
    ],
)
def test_start_and_end_with_other_states_are_a_command_error(state, options):
    run("on", "--start", "2098-01-01", "--end", "2098-01-02")

    with pytest.raises(CommandError) as excinfo:
        run(state, *options)

    assert str(excinfo.value) == "--start / --end options can only be used with 'on' state"
    assert len(windows()) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--end", "garbage"], "Invalid datetime value: 'garbage'"),
        (["--start", "garbage"], "Invalid datetime value: 'garbage'"),
        (["--end", ""], "Invalid datetime value: ''"),
        (["--end", "2031-02-30"], "Invalid datetime value: '2031-02-30'"),
        (["--end", "2000-01-01"], "end argument value must be in the future"),
        (
            ["--start", "2099-01-02", "--end", "2099-01-01"],
            "start argument value must be < end argument value",
        ),
        (
            ["--start", "2099-01-01", "--end", "2099-01-01T00:00:00+00:00"],
            "start argument value must be < end argument value",
        ),
    ],
)
def test_invalid_windows_are_a_command_error_and_change_nothing(options, message):
    set_switch(True, "kept")
    run("on", "--start", "2098-01-01", "--end", "2098-01-02")
    before = windows()

    with pytest.raises(CommandError) as excinfo:
        run("on", *options)

    assert str(excinfo.value) == message
    assert windows() == before
    assert (switch().active, reason()) == (False, "")


def test_off_clears_a_pending_window():
    run("on", "--start", "2099-01-01", "--end", "2099-01-02")
    assert get_maintenance_mode() is False

    # Not "already off": the window is stored.
    assert run("off", verbosity=3) == "maintenance mode: off\n"

    assert windows() == []
    assert switch().active is False


def test_off_ends_an_active_window():
    run("on", "--end", "2099-01-01")

    assert run("off", verbosity=3) == "maintenance mode: off\n"

    assert windows() == []
    assert get_maintenance_mode() is False


def test_plain_on_replaces_an_active_window():
    run("on", "--end", "2099-01-01")
    assert get_maintenance_mode() is True

    # Not "already on": the window is stored.
    assert run("on", verbosity=3) == "maintenance mode: on\n"

    assert windows() == []
    assert switch().active is True
    assert get_maintenance_mode() is True


def test_interactive_decline_with_a_window_prints_the_schedule(answer):
    run("on", "--start", "2099-01-01", "--end", "2099-01-02")
    answers = answer("n")

    output = run("off", "--interactive", verbosity=3)

    assert answers.prompts == ["maintenance mode off? (y/N) "]
    assert output == (
        "maintenance mode: off (scheduled from 2099-01-01 00:00 to 2099-01-02 00:00 UTC)\n"
    )
    assert len(windows()) == 1


def test_status_json_window_while_a_window_is_active():
    run("on", "--end", "2099-01-01", "--reason", "Reindexing")

    status = json.loads(run("status", "--json"))

    assert status["window"] == {"start": None, "end": "2099-01-01T00:00:00+00:00"}
    assert status["ends_at"] == "2099-01-01T00:00:00+00:00"
    assert (status["maintenance_mode"], status["switch"]) == (True, False)
    assert status["reason"] == "Reindexing"


def test_status_json_ends_at_is_null_while_the_switch_holds_maintenance_on():
    run("on", "--end", "2099-01-01", "--reason", "Reindexing")
    set_switch(True)

    status = json.loads(run("status", "--json"))

    # The window ends, the switch keeps maintenance on: nothing ends it but turning it off,
    # and the window's reason is not the one visitors see.
    assert status["window"] == {"start": None, "end": "2099-01-01T00:00:00+00:00"}
    assert (status["maintenance_mode"], status["ends_at"], status["reason"]) == (True, None, None)


def test_status_json_window_before_a_window():
    run("on", "--start", "2099-01-01", "--end", "2099-01-02")

    status = json.loads(run("status", "--json"))

    assert status["window"] == {
        "start": "2099-01-01T00:00:00+00:00",
        "end": "2099-01-02T00:00:00+00:00",
    }
    assert (status["maintenance_mode"], status["ends_at"]) == (False, None)


def test_status_json_window_is_null_after_the_window():
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - 2 * HOUR, end=now - HOUR)

    status = json.loads(run("status", "--json"))

    assert status["window"] is None
    assert status["maintenance_mode"] is False


def test_json_after_on_with_an_end():
    output = run("on", "--end", "2099-01-01", "--json")

    status = json.loads(output)
    assert status["window"] == {"start": None, "end": "2099-01-01T00:00:00+00:00"}
    assert (status["maintenance_mode"], status["switch"]) == (True, False)


def test_status_shows_the_window_in_the_current_time_zone(settings):
    settings.TIME_ZONE = "America/Chicago"
    run("on", "--end", "2099-01-01T09:00:00+00:00")

    assert json.loads(run("status", "--json"))["window"] == {
        "start": None,
        "end": "2099-01-01T03:00:00-06:00",
    }


def test_status_verbosity_1_in_a_window():
    run("on", "--end", "2099-01-01")

    # As README says, and as after `on`: the window follows the state.
    assert run("status") == "maintenance mode: on (until 2099-01-01 00:00 UTC)\n"


def test_status_verbosity_2_lists_the_windows_with_their_reasons():
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - 2 * HOUR, end=now - HOUR, reason="over")
    MaintenanceWindow.objects.create(
        start=datetime(2099, 1, 1, tzinfo=UTC),
        end=datetime(2099, 1, 2, tzinfo=UTC),
        reason="Upgrade",
    )
    MaintenanceWindow.objects.create(start=datetime(2099, 2, 1, tzinfo=UTC), end=None)

    assert run("status", verbosity=2) == (
        "maintenance mode: off (scheduled from 2099-01-01 00:00 to 2099-01-02 00:00 UTC)\n"
        "  switch 'maintenance_mode': off\n"
        "  window: from 2099-01-01 00:00 to 2099-01-02 00:00 UTC (Upgrade)\n"
        "  window: from 2099-02-01 00:00 UTC until turned off\n"
        "  targeted flag 'maintenance_mode': nobody\n"
        "  exempt flag 'maintenance_mode_exempt': superusers\n"
        "  bypass links in force: 0\n"
    )


def test_status_verbosity_2_in_an_active_window():
    run("on", "--end", "2099-01-01", "--reason", "Reindexing")

    assert run("status", verbosity=2) == (
        "maintenance mode: on (until 2099-01-01 00:00 UTC)\n"
        "  switch 'maintenance_mode': off\n"
        "  window: from now until 2099-01-01 00:00 UTC (Reindexing)\n"
        "  targeted flag 'maintenance_mode': nobody\n"
        "  exempt flag 'maintenance_mode_exempt': superusers\n"
        "  bypass links in force: 0\n"
    )


def test_status_with_the_switch_on_and_a_later_window():
    set_switch(True)
    MaintenanceWindow.objects.create(
        start=datetime(2099, 1, 1, 10, tzinfo=UTC), end=datetime(2099, 1, 1, 12, tzinfo=UTC)
    )

    # The switch holds it on: the window's end is not the end of this maintenance.
    assert run("status") == (
        "maintenance mode: on (until turned off; scheduled from 2099-01-01 10:00 to 12:00 UTC)\n"
    )
    assert run("status", verbosity=2).startswith(
        "maintenance mode: on (until turned off; scheduled from 2099-01-01 10:00 to 12:00 UTC)\n"
        "  switch 'maintenance_mode': on\n"
        "  window: from 2099-01-01 10:00 to 12:00 UTC\n"
    )
    status = json.loads(run("status", "--json"))
    assert (status["maintenance_mode"], status["switch"]) == (True, True)
    assert status["window"] == {
        "start": "2099-01-01T10:00:00+00:00",
        "end": "2099-01-01T12:00:00+00:00",
    }


def test_status_with_the_switch_on_during_a_window():
    now = timezone.now()
    set_switch(True)
    MaintenanceWindow.objects.create(start=now - HOUR, end=now + HOUR)

    assert run("status") == "maintenance mode: on (until turned off)\n"


def test_status_in_a_window_with_another_scheduled_after_it():
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - HOUR, end=datetime(2099, 1, 1, tzinfo=UTC))
    MaintenanceWindow.objects.create(
        start=datetime(2099, 2, 1, 22, tzinfo=UTC), end=datetime(2099, 2, 2, 1, tzinfo=UTC)
    )

    assert run("status") == (
        "maintenance mode: on (until 2099-01-01 00:00 UTC; "
        "scheduled from 2099-02-01 22:00 to 2099-02-02 01:00 UTC)\n"
    )


def test_status_in_a_window_open_at_the_end():
    MaintenanceWindow.objects.create(start=timezone.now() - HOUR, end=None)

    assert run("status") == "maintenance mode: on (until turned off)\n"


@pytest.mark.parametrize("value", [True, False])
def test_status_leaves_windows_out_while_the_setting_decides(value):
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - HOUR, end=now + HOUR)
    MaintenanceWindow.objects.create(start=now + 2 * HOUR, end=now + 3 * HOUR)

    with override_settings(MAINTENANCE_MODE=value):
        assert run("status") == f"maintenance mode: {'on' if value else 'off'}\n"


@override_settings(TIME_ZONE="Europe/Paris")
def test_status_names_the_projects_time_zone():
    run("on", "--start", "2099-06-01T08:00:00+00:00", "--end", "2099-06-01T10:00:00+00:00")

    assert run("status") == (
        "maintenance mode: off (scheduled from 2099-06-01 10:00 to 12:00 Europe/Paris)\n"
    )


# --interactive ---------------------------------------------------------------------------


class Answers:
    """Stands in for ``input()``: records the prompts, gives one answer."""

    def __init__(self, answer: str | BaseException) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.fixture
def answer(monkeypatch):
    def install(value: str | BaseException) -> Answers:
        answers = Answers(value)
        monkeypatch.setattr("builtins.input", answers)
        return answers

    return install


@pytest.mark.parametrize(
    ("reply", "yes"),
    [(reply, True) for reply in ["y", "Y", "yes", " y "]]
    + [(reply, False) for reply in ["n", "", "no", "maybe", EOFError()]],
)
def test_interactive_turns_on_only_on_yes(answer, reply, yes):
    answers = answer(reply)
    assert run("on", "--interactive") == ("maintenance mode: on\n" if yes else "")
    assert answers.prompts == ["maintenance mode on? (y/N) "]
    assert switch().active is yes


def test_interactive_yes_turns_off(answer):
    set_switch(True)
    answers = answer("y")
    assert run("off", "--interactive") == "maintenance mode: off\n"
    assert answers.prompts == ["maintenance mode off? (y/N) "]
    assert switch().active is False


def test_interactive_decline_at_verbosity_3_prints_the_state(answer):
    answer("n")

    assert run("on", "--interactive", verbosity=3) == "maintenance mode: off\n"
    assert switch().active is False


@pytest.mark.parametrize("state", ["on", "off"])
def test_interactive_does_not_ask_when_already_in_state(answer, state):
    set_switch(state == "on")
    answers = answer("y")
    assert run(state, "--interactive", verbosity=3) == f"maintenance mode is already {state}\n"
    assert answers.prompts == []


# MAINTENANCE_MODE in settings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("verbosity", "output"),
    [(1, "maintenance mode: on\n"), (3, "maintenance mode is already on\n")],
)
def test_on_with_the_setting_true_is_already_on(settings, verbosity, output):
    settings.MAINTENANCE_MODE = True
    assert run("on", verbosity=verbosity) == output
    assert switch().active is False


@pytest.mark.parametrize(("value", "state"), [(True, "off"), (False, "on")])
def test_changing_against_the_setting_is_a_command_error(settings, value, state):
    settings.MAINTENANCE_MODE = value
    with pytest.raises(CommandError) as excinfo:
        run(state)
    assert (
        str(excinfo.value) == "Maintenance mode cannot be set dynamically if defined in settings."
    )
    assert switch().active is False


# Bypass links ------------------------------------------------------------------------------

LINK_LINE = re.compile(r"^bypass link \(valid until (\S+)\): (\S+)$")


def parse_link(line: str) -> tuple[str, str, str]:
    """(expiry, URL, token) of a printed bypass link."""
    match = LINK_LINE.match(line)
    assert match is not None, line
    expires, url = match.groups()
    token = url.rstrip("/").rsplit("/", 1)[1]
    return expires, url, token


def test_bypass_ttl_prints_a_full_link_with_the_base_url():
    before = timezone.now()

    output = run("status", "--bypass-ttl", "2h", "--base-url", "https://example.com/")

    line, state = output.splitlines()
    assert state == "maintenance mode: off"
    expires, url, token = parse_link(line)
    key = BypassKey.objects.get()
    assert url == f"https://example.com/maintenance-mode/bypass/{token}/"
    assert key_of(token) == key.pk
    assert expires == key.expires.isoformat()
    assert before + 2 * HOUR <= key.expires <= timezone.now() + 2 * HOUR
    assert key.created_by == ""


def test_bypass_ttl_prints_the_path_without_a_base_url(client):
    switch_on = run("on", "--bypass-ttl", "30m")

    state, line = switch_on.splitlines()
    assert state == "maintenance mode: on"
    _, url, token = parse_link(line)
    assert url == f"/maintenance-mode/bypass/{token}/"
    # The link lets a browser through.
    assert client.get("/").status_code == 503
    assert client.get(url).status_code == 302
    assert client.get("/").status_code == 200


def test_bypass_ttl_is_printed_even_at_verbosity_0():
    output = run("status", "--bypass-ttl", "1d", verbosity=0)

    (line,) = output.splitlines()
    parse_link(line)


@pytest.mark.parametrize("value", ["1w", "0", "31d", "soon"])
def test_bypass_ttl_with_an_invalid_duration_changes_nothing(value):
    with pytest.raises(CommandError, match=r"^Invalid duration: ") as excinfo:
        run("on", "--bypass-ttl", value)

    assert repr(value) in str(excinfo.value)
    assert switch().active is False
    assert not BypassKey.objects.exists()


def test_bypass_ttl_needs_the_urls(settings):
    settings.ROOT_URLCONF = "tests.urls_no_admin"

    with pytest.raises(CommandError) as excinfo:
        run("on", "--bypass-ttl", "1h")

    assert str(excinfo.value) == (
        "Bypass links need the on/off URLs: include('maintenance_waffle.urls')."
    )
    # Refused before anything changed.
    assert switch().active is False
    assert not BypassKey.objects.exists()


def test_bypass_ttl_with_json_puts_the_link_in_the_object():
    output = run("status", "--json", "--bypass-ttl", "1h", "--base-url", "http://localhost:8000")

    status = json.loads(output)
    key = BypassKey.objects.get()
    token = status["bypass_link"]["url"].rstrip("/").rsplit("/", 1)[1]
    assert status["bypass_link"] == {
        "url": f"http://localhost:8000/maintenance-mode/bypass/{token}/",
        "expires": key.expires.isoformat(),
    }
    assert key_of(token) == key.pk
    assert status["bypass_links"] == 1


def test_revoke_bypass_prints_the_count():
    for _ in range(2):
        create_link(HOUR, Channel.API)

    assert run("status", "--revoke-bypass") == ("bypass links revoked: 2\nmaintenance mode: off\n")
    assert not BypassKey.objects.filter(revoked=False).exists()
    assert run("status", "--revoke-bypass") == ("bypass links revoked: 0\nmaintenance mode: off\n")


def test_revoke_bypass_at_verbosity_0_prints_nothing():
    create_link(HOUR, Channel.API)

    assert run("status", "--revoke-bypass", verbosity=0) == ""
    assert not BypassKey.objects.filter(revoked=False).exists()


def test_revoke_bypass_then_status_counts_what_is_left():
    create_link(HOUR, Channel.API)

    output = run("status", "--revoke-bypass", verbosity=2)

    assert "  bypass links in force: 0\n" in output
    assert json.loads(run("status", "--json", "--revoke-bypass"))["bypass_links"] == 0


def test_revoke_and_a_new_link_together():
    create_link(HOUR, Channel.API)

    output = run("off", "--revoke-bypass", "--bypass-ttl", "1h")

    state, revoked, line = output.splitlines()
    assert (state, revoked) == ("maintenance mode: off", "bypass links revoked: 1")
    _, _, token = parse_link(line)
    assert list(BypassKey.objects.filter(revoked=False).values_list("pk", flat=True)) == [
        key_of(token)
    ]


# The audit trail in status -------------------------------------------------------------------


def change(at: datetime, **fields: Any) -> MaintenanceChange:
    row: MaintenanceChange = baker.make(MaintenanceChange, **fields)
    MaintenanceChange.objects.filter(pk=row.pk).update(at=at)
    return row


def alice_turns_it_on() -> MaintenanceChange:
    """A change from the dashboard at 10:00 UTC on 1 May 2024, with a reason."""
    return change(
        datetime(2024, 5, 1, 10, tzinfo=UTC),
        actor="alice",
        channel="dashboard",
        subject="switch maintenance_mode",
        old="off",
        new="on",
        reason="Upgrade",
    )


def test_status_verbosity_2_lists_the_last_changes():
    create_link(HOUR, Channel.API)
    alice_turns_it_on()
    change(
        datetime(2024, 5, 1, 9, 30, 15, 999, tzinfo=UTC),
        actor="",
        channel="other",
        subject="window #3",
        old="",
        new="removed",
        reason="",
    )

    assert run("status", verbosity=2) == (
        "maintenance mode: off\n"
        "  switch 'maintenance_mode': off\n"
        "  targeted flag 'maintenance_mode': nobody\n"
        "  exempt flag 'maintenance_mode_exempt': superusers\n"
        "  bypass links in force: 1\n"
        "  last changes:\n"
        "    2024-05-01 10:00 UTC alice (dashboard) switch maintenance_mode: off → on (Upgrade)\n"
        "    2024-05-01 09:30 UTC - (other) window #3: - → removed\n"
    )


def test_status_verbosity_2_lists_five_changes_at_most():
    for day in range(1, 8):
        change(datetime(2024, 5, day, tzinfo=UTC), subject=f"change of day {day}")

    lines = run("status", verbosity=2).splitlines()

    listed = lines[lines.index("  last changes:") + 1 :]
    assert [re.findall(r"change of day (\d):", line) for line in listed] == [
        ["7"],
        ["6"],
        ["5"],
        ["4"],
        ["3"],
    ]


def test_status_verbosity_2_shows_changes_in_the_projects_time_zone(settings):
    settings.TIME_ZONE = "America/Chicago"
    change(datetime(2024, 1, 1, 12, tzinfo=UTC), actor="bob", channel="url", subject="s", new="on")

    assert run("status", verbosity=2).endswith(
        "  last changes:\n    2024-01-01 06:00 America/Chicago bob (url) s: - → on\n"
    )


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_status_lists_changes_without_time_zone_support():
    change(datetime(2024, 1, 1, 6), actor="bob", channel="api", subject="s", new="on")

    assert run("status", verbosity=2).endswith(
        "  last changes:\n    2024-01-01 06:00 America/Chicago bob (api) s: - → on\n"
    )
    (listed,) = json.loads(run("status", "--json"))["changes"]
    assert listed["at"] == "2024-01-01T06:00:00-06:00"


def test_status_json_lists_the_changes_and_the_links():
    create_link(HOUR, Channel.API)
    create_link(HOUR, Channel.API)
    alice_turns_it_on()
    for day in range(2, 13):
        change(datetime(2024, 5, day, tzinfo=UTC), subject=f"day {day}")

    status = json.loads(run("status", "--json"))

    assert status["bypass_links"] == 2
    assert len(status["changes"]) == 10
    assert status["changes"][0]["what"] == "day 12"
    assert status["changes"][-1]["what"] == "day 3"
    assert "bypass_link" not in status


def test_status_json_describes_each_change():
    alice_turns_it_on()

    assert json.loads(run("status", "--json"))["changes"] == [
        {
            "at": "2024-05-01T10:00:00+00:00",
            "who": "alice",
            "channel": "dashboard",
            "what": "switch maintenance_mode",
            "old": "off",
            "new": "on",
            "reason": "Upgrade",
        }
    ]


# Database failures -----------------------------------------------------------------------


@pytest.mark.parametrize("state", ["on", "off", "status"])
def test_unreadable_state_is_a_command_error(state):
    with switch_table_gone(), pytest.raises(CommandError) as excinfo:
        run(state)
    assert str(excinfo.value).startswith("Unable to read the maintenance state: ")
    assert "waffle_switch" in str(excinfo.value)
    assert switch().active is False


@pytest.mark.parametrize(("active", "state"), [(False, "on"), (True, "off")])
def test_unwritable_state_is_a_command_error(active, state):
    set_switch(active)
    with (
        switch_table_read_only(),
        pytest.raises(CommandError) as excinfo,
        # The failed write rolls back to here, not the test's transaction.
        transaction.atomic(),
    ):
        run(state)
    assert str(excinfo.value) == "Unable to write the maintenance state: read-only"
    assert switch().active is active
    assert get_maintenance_mode() is active


def test_unwritable_missing_switch_is_a_command_error():
    switch().delete()
    with (
        switch_table_read_only(),
        pytest.raises(CommandError, match=r"^Unable to write the maintenance state: read-only$"),
        transaction.atomic(),
    ):
        run("on")
    assert not switch_exists()


# A real process: exit codes and output ---------------------------------------------------


def test_process_settings_differ_only_in_the_database_interval_and_areas():
    names = {name for name in dir(test_settings) if name.isupper()}
    changed = {"DATABASES", "MAINTENANCE_WAFFLE_REFRESH_INTERVAL", "MAINTENANCE_WAFFLE_AREAS"}
    assert names | changed == {name for name in dir(process_settings) if name.isupper()}
    for name in names - changed:
        assert getattr(process_settings, name) == getattr(test_settings, name)
    assert process_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


def django(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.process_settings",
        "MAINTENANCE_WAFFLE_TEST_DB": str(database),
    }
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "db.sqlite3"
    migrated = django(path, "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    return path


def switch_row(database: Path) -> tuple[int, str | None] | None:
    """(active, reason) of the site-wide switch, as stored."""
    with contextlib.closing(sqlite3.connect(database)) as db:
        row: tuple[int, str | None] | None = db.execute(
            "SELECT active, (SELECT text FROM maintenance_waffle_maintenancereason"
            " WHERE scope = name) FROM waffle_switch WHERE name = 'maintenance_mode'"
        ).fetchone()
    return row


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["hello"], 1, "CommandError: Invalid argument: 'hello' expected <on|off|status>\n"),
        (["off", "--reason", "x"], 1, "CommandError: --reason can only be used with 'on' state\n"),
        ([], 2, "error: the following arguments are required: state\n"),
        (["--bogus", "on"], 2, "error: unrecognized arguments: --bogus\n"),
        (["on", "extra"], 2, "error: unrecognized arguments: extra\n"),
        (
            ["off", "--end", "2099-01-01"],
            1,
            "CommandError: --start / --end options can only be used with 'on' state\n",
        ),
        (["on", "--end", "garbage"], 1, "CommandError: Invalid datetime value: 'garbage'\n"),
        (
            ["on", "--bypass-ttl", "1w"],
            1,
            "CommandError: Invalid duration: '1w'; use e.g. 30m, 2h or 1d.\n",
        ),
    ],
)
def test_cli_errors_exit_code_and_change_nothing(database, args, code, message):
    before = switch_row(database)
    assert before is not None
    result = django(database, "maintenance_mode", *args)
    assert result.returncode == code
    assert result.stderr.endswith(message)
    assert result.stdout == ""
    assert switch_row(database) == before


def test_cli_on_then_status_in_another_process(database):
    result = django(database, "maintenance_mode", "on", "--reason", "CLI test")
    assert (result.returncode, result.stdout, result.stderr) == (0, "maintenance mode: on\n", "")
    assert switch_row(database) == (1, "CLI test")
    status = django(database, "maintenance_mode", "status", "--json")
    assert status.returncode == 0
    assert json.loads(status.stdout)["maintenance_mode"] is True
    assert json.loads(status.stdout)["reason"] == "CLI test"
