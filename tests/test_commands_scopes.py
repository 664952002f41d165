"""``maintenance_mode`` for read-only mode and maintenance areas (DESIGN §10)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from waffle.models import Switch

from maintenance_waffle.core import (
    get_maintenance_mode,
    get_read_only,
    set_maintenance_mode,
    set_read_only,
)
from maintenance_waffle.models import Channel, MaintenanceChange, MaintenanceWindow
from tests.rows import reason, set_switch, switch, switch_table_read_only
from tests.test_commands import Answers, django, run

pytestmark = pytest.mark.django_db

UTC = dt_timezone.utc
HOUR = timedelta(hours=1)
AREAS = {"checkout": [r"^/checkout/"], "reports": [r"^/reports/"]}
READ_ONLY_SWITCH = "maintenance_mode_read_only"
CHECKOUT_SWITCH = "maintenance_mode:checkout"


@pytest.fixture(autouse=True)
def areas(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = AREAS


@pytest.fixture
def answer(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(value: str | BaseException) -> Answers:
        answers = Answers(value)
        monkeypatch.setattr("builtins.input", answers)
        return answers

    return install


def active(name: str) -> bool | None:
    """Whether the switch ``name`` is on; None while it does not exist."""
    row = Switch.objects.filter(name=name).values_list("active", flat=True).first()
    return None if row is None else bool(row)


def windows() -> list[tuple[str, datetime | None, datetime | None, str]]:
    return list(
        MaintenanceWindow.objects.order_by("pk").values_list("scope", "start", "end", "reason")
    )


def changes() -> list[tuple[str, str, str, str, str]]:
    return list(
        MaintenanceChange.objects.order_by("pk").values_list(
            "channel", "subject", "old", "new", "reason"
        )
    )


def nothing_changed() -> None:
    assert active(READ_ONLY_SWITCH) in (None, False)
    assert active(CHECKOUT_SWITCH) in (None, False)
    assert switch().active is False
    assert windows() == []
    assert changes() == []


# on / off ----------------------------------------------------------------------------------


@pytest.mark.parametrize("verbosity", [1, 2, 3])
def test_read_only_on_and_off(verbosity):
    assert run("on", "--read-only", verbosity=verbosity) == "read-only mode: on\n"
    assert (active(READ_ONLY_SWITCH), get_read_only()) == (True, True)
    # Site-wide maintenance and the areas are untouched.
    assert (switch().active, get_maintenance_mode()) == (False, False)
    assert get_maintenance_mode(area="checkout") is False

    assert run("off", "--read-only", verbosity=verbosity) == "read-only mode: off\n"
    assert (active(READ_ONLY_SWITCH), get_read_only()) == (False, False)


@pytest.mark.parametrize("verbosity", [1, 2, 3])
def test_area_on_and_off(verbosity):
    assert run("on", "--area", "checkout", verbosity=verbosity) == "area checkout: on\n"
    assert active(CHECKOUT_SWITCH) is True
    assert get_maintenance_mode(area="checkout") is True
    assert get_maintenance_mode(area="reports") is False
    assert (switch().active, get_maintenance_mode(), get_read_only()) == (False, False, False)

    assert run("off", "--area", "checkout", verbosity=verbosity) == "area checkout: off\n"
    assert active(CHECKOUT_SWITCH) is False
    assert get_maintenance_mode(area="checkout") is False


@pytest.mark.parametrize("scope", [["--read-only"], ["--area", "checkout"]])
def test_scoped_commands_print_nothing_at_verbosity_0(scope):
    assert run("on", *scope, "--end", "2099-01-01", verbosity=0) == ""
    assert run("on", *scope, verbosity=0) == ""
    assert run("on", *scope, verbosity=0) == ""  # already on
    assert run("off", *scope, verbosity=0) == ""
    assert get_read_only() is False
    assert get_maintenance_mode(area="checkout") is False


def test_scoped_commands_leave_site_wide_maintenance_as_it_was():
    set_maintenance_mode(True, reason="Upgrade")
    run("on", "--read-only", "--reason", "Backup")
    run("on", "--area", "checkout", "--reason", "Payments")
    run("off", "--read-only")
    run("off", "--area", "checkout")
    assert (switch().active, reason(), get_maintenance_mode()) == (True, "Upgrade", True)


def test_site_wide_commands_leave_read_only_mode_and_areas_as_they_were():
    set_read_only(True, reason="Backup")
    set_maintenance_mode(True, area="checkout")
    set_maintenance_mode(True, end="2099-01-01", area="reports")
    run("on", "--reason", "Upgrade")
    run("off")
    run("on", "--end", "2099-02-01")
    run("off")
    assert (get_read_only(), get_maintenance_mode(area="checkout")) == (True, True)
    assert get_maintenance_mode(area="reports") is True
    assert windows() == [("area:reports", None, datetime(2099, 1, 1, tzinfo=UTC), "")]
    status = json.loads(run("status", "--json"))
    assert (status["read_only"], status["areas"]) == (True, {"checkout": True, "reports": True})


def test_site_wide_off_with_only_a_scoped_window_is_already_off():
    set_maintenance_mode(True, start="2099-01-01", area="checkout")
    assert run("off", verbosity=3) == "maintenance mode is already off\n"
    assert len(windows()) == 1


# Attribution -------------------------------------------------------------------------------


def test_read_only_changes_are_attributed_to_the_command(commit):
    with commit():
        run("on", "--read-only", "--reason", "Backup")
    with commit():
        run("off", "--read-only")
    assert changes() == [
        (Channel.COMMAND, f"switch {READ_ONLY_SWITCH}", "off", "on", "Backup"),
        (Channel.COMMAND, f"switch {READ_ONLY_SWITCH}", "on", "off", ""),
    ]


def test_area_changes_are_attributed_to_the_command(commit):
    with commit():
        run("on", "--area", "checkout", "--reason", "Payments")
    with commit():
        run("off", "--area", "checkout")
    assert [change[:2] + change[4:] for change in changes()] == [
        (Channel.COMMAND, f"switch {CHECKOUT_SWITCH}", "Payments"),
        (Channel.COMMAND, f"switch {CHECKOUT_SWITCH}", ""),
    ]
    assert active(CHECKOUT_SWITCH) is False


def test_reasons_are_stored_per_scope():
    run("on", "--read-only", "--reason", "Backup")
    run("on", "--area", "checkout", "--reason", "Payments")
    status = run("status", verbosity=2)
    assert "read-only mode: on\n  switch 'maintenance_mode_read_only': on\n  reason: Backup\n" in (
        status
    )
    assert "area checkout: on\n  switch 'maintenance_mode:checkout': on\n  reason: Payments\n" in (
        status
    )
    assert reason() == ""


def test_a_new_reason_while_on_is_saved_and_the_same_one_is_already_on(commit):
    with commit():
        run("on", "--read-only", "--reason", "Backup")
    before = changes()
    with commit():
        assert run("on", "--read-only", "--reason", "Backup", verbosity=3) == (
            "read-only mode is already on\n"
        )
    assert changes() == before
    with commit():
        assert run("on", "--read-only", "--reason", "Restore") == "read-only mode: on\n"
    assert "  reason: Restore\n" in run("status", verbosity=2)


# Already in state ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "label"),
    [(["--read-only"], "read-only mode"), (["--area", "checkout"], "area checkout")],
)
@pytest.mark.parametrize("state", ["on", "off"])
def test_already_in_state(scope, label, state):
    run(state, *scope)
    before = changes()
    assert run(state, *scope) == f"{label}: {state}\n"
    assert run(state, *scope, verbosity=3) == f"{label} is already {state}\n"
    assert changes() == before


@pytest.mark.parametrize("scope", [["--read-only"], ["--area", "checkout"]])
def test_the_setting_does_not_fix_read_only_mode_and_areas(settings, scope):
    settings.MAINTENANCE_MODE = False
    run("on", *scope)
    assert (get_read_only() or get_maintenance_mode(area="checkout")) is True
    with pytest.raises(CommandError, match="cannot be set dynamically"):
        run("on")
    run("off", *scope)
    assert (get_read_only(), get_maintenance_mode(area="checkout")) == (False, False)


# Windows -----------------------------------------------------------------------------------


def test_read_only_window(commit):
    with commit():
        output = run("on", "--read-only", "--end", "2099-01-01T03:00:00-06:00", "--reason", "Dump")
    assert output == "read-only mode: on (until 2099-01-01 09:00 UTC)\n"
    assert windows() == [("read-only", None, datetime(2099, 1, 1, 9, tzinfo=UTC), "Dump")]
    assert active(READ_ONLY_SWITCH) in (None, False)
    assert get_read_only() is True
    assert get_maintenance_mode() is False
    assert MaintenanceChange.objects.filter(
        channel=Channel.COMMAND, subject__startswith="read-only window #"
    ).exists()


def test_area_window_in_the_future(commit):
    with commit():
        output = run("on", "--area", "checkout", "--start", "2098-12-31", "--end", "2099-01-01")
    assert (
        output == "area checkout: off (scheduled from 2098-12-31 00:00 to 2099-01-01 00:00 UTC)\n"
    )
    assert windows() == [
        (
            "area:checkout",
            datetime(2098, 12, 31, tzinfo=UTC),
            datetime(2099, 1, 1, tzinfo=UTC),
            "",
        )
    ]
    assert get_maintenance_mode(area="checkout") is False
    assert MaintenanceChange.objects.filter(
        channel=Channel.COMMAND, subject__startswith="area:checkout window #"
    ).exists()


def test_an_area_window_open_at_the_end():
    assert run("on", "--area", "reports", "--start", "2000-01-01") == (
        "area reports: on (until turned off)\n"
    )
    assert get_maintenance_mode(area="reports") is True


def test_off_clears_the_scopes_windows_only():
    run("on", "--end", "2099-01-01")
    run("on", "--read-only", "--end", "2099-01-01")
    run("on", "--area", "checkout", "--start", "2099-01-01")
    assert run("off", "--read-only") == "read-only mode: off\n"
    assert [window[0] for window in windows()] == ["", "area:checkout"]
    assert run("off", "--area", "checkout") == "area checkout: off\n"
    assert [window[0] for window in windows()] == [""]
    assert get_maintenance_mode() is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--end", "garbage"], "Invalid datetime value: 'garbage'"),
        (["--end", "2000-01-01"], "end argument value must be in the future"),
    ],
)
@pytest.mark.parametrize("scope", [["--read-only"], ["--area", "checkout"]])
def test_invalid_windows_are_a_command_error_and_change_nothing(scope, options, message):
    with pytest.raises(CommandError) as excinfo:
        run("on", *scope, *options)
    assert str(excinfo.value) == message
    nothing_changed()


@pytest.mark.parametrize("scope", [["--read-only"], ["--area", "checkout"]])
def test_unwritable_state_is_a_command_error(scope):
    with (
        switch_table_read_only(),
        pytest.raises(CommandError, match=r"^Unable to write the maintenance state: read-only$"),
        transaction.atomic(),
    ):
        run("on", *scope)
    assert (get_read_only(), get_maintenance_mode(area="checkout")) == (False, False)


# Errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["on", "--reason", "x"], ["off"], ["on", "--end", "2099-01-01"]])
def test_unknown_area_is_a_command_error_and_changes_nothing(args):
    with pytest.raises(CommandError) as excinfo:
        run(*args, "--area", "shop")
    assert str(excinfo.value) == (
        "Unknown maintenance area 'shop': MAINTENANCE_WAFFLE_AREAS has 'checkout', 'reports'."
    )
    nothing_changed()


def test_unknown_area_without_areas(settings):
    del settings.MAINTENANCE_WAFFLE_AREAS
    with pytest.raises(CommandError) as excinfo:
        run("on", "--area", "checkout", "--bypass-ttl", "1h")
    assert str(excinfo.value) == (
        "Unknown maintenance area 'checkout': MAINTENANCE_WAFFLE_AREAS has none."
    )
    nothing_changed()


def test_area_and_read_only_together_are_a_usage_error():
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("on", "--area", "checkout", "--read-only")
    nothing_changed()


@pytest.mark.parametrize("scope", [["--read-only"], ["--area", "checkout"]])
def test_scope_with_status_is_a_command_error(scope):
    with pytest.raises(CommandError) as excinfo:
        run("status", *scope)
    assert str(excinfo.value) == "--area / --read-only can only be used with 'on' or 'off' state"


# --interactive -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "prompt", "line"),
    [
        (["--read-only"], "read-only mode on? (y/N) ", "read-only mode: on\n"),
        (
            ["--area", "checkout"],
            "maintenance of area 'checkout' on? (y/N) ",
            "area checkout: on\n",
        ),
    ],
)
def test_interactive_names_the_scope(answer, scope, prompt, line):
    answers = answer("y")
    assert run("on", *scope, "--interactive") == line
    assert answers.prompts == [prompt]
    assert (get_read_only() or get_maintenance_mode(area="checkout")) is True


@pytest.mark.parametrize(
    ("scope", "line"),
    [(["--read-only"], "read-only mode: on\n"), (["--area", "checkout"], "area checkout: on\n")],
)
def test_interactive_decline_changes_nothing(answer, scope, line):
    run("on", *scope)
    before = changes()
    answer(EOFError())
    assert run("off", *scope, "--interactive") == ""
    assert run("off", *scope, "--interactive", verbosity=3) == line
    assert changes() == before


# status --------------------------------------------------------------------------------------


def test_status_lists_read_only_mode_and_every_area():
    assert run("status") == (
        "maintenance mode: off\nread-only mode: off\narea checkout: off\narea reports: off\n"
    )
    assert run("status", verbosity=0) == ""


def test_status_without_areas_lists_read_only_mode_once_used(settings):
    del settings.MAINTENANCE_WAFFLE_AREAS
    assert run("status") == "maintenance mode: off\n"
    set_read_only(True)
    assert run("status") == "maintenance mode: off\nread-only mode: on\n"
    set_read_only(True, start="2099-01-01T10:00:00Z", end="2099-01-01T12:00:00Z")
    assert run("status") == (
        "maintenance mode: off\n"
        "read-only mode: off (scheduled from 2099-01-01 10:00 to 12:00 UTC)\n"
    )


def test_status_keeps_the_site_wide_line_apart_from_the_scopes():
    now = timezone.now()
    set_switch(True)
    MaintenanceWindow.objects.create(start=now + HOUR, end=now + 2 * HOUR, scope="read-only")
    MaintenanceWindow.objects.create(start=now - HOUR, end=None, scope="area:checkout")
    # The scoped windows neither end nor schedule site-wide maintenance.
    assert run("status").splitlines()[0] == "maintenance mode: on"


def test_status_with_the_switches_on_and_windows():
    set_read_only(True)
    set_maintenance_mode(True, area="checkout")
    MaintenanceWindow.objects.create(
        start=datetime(2099, 1, 1, 10, tzinfo=UTC),
        end=datetime(2099, 1, 1, 12, tzinfo=UTC),
        scope="read-only",
        reason="Reindex",
    )
    past = datetime(2000, 1, 1, tzinfo=UTC)
    MaintenanceWindow.objects.create(
        start=past, end=datetime(2099, 6, 1, tzinfo=UTC), scope="area:checkout"
    )
    MaintenanceWindow.objects.create(
        start=past, end=timezone.now() - HOUR, scope="area:checkout", reason="over"
    )
    MaintenanceWindow.objects.create(
        start=past, end=datetime(2099, 1, 1, tzinfo=UTC), scope="area:reports", reason="ETL"
    )
    assert run("status") == (
        "maintenance mode: off\n"
        "read-only mode: on (until turned off; scheduled from 2099-01-01 10:00 to 12:00 UTC)\n"
        "area checkout: on (until turned off)\n"
        "area reports: on (until 2099-01-01 00:00 UTC)\n"
    )
    status = run("status", verbosity=2)
    assert status.startswith("maintenance mode: off\n  switch 'maintenance_mode': off\n")
    assert status.endswith(
        "read-only mode: on (until turned off; scheduled from 2099-01-01 10:00 to 12:00 UTC)\n"
        "  switch 'maintenance_mode_read_only': on\n"
        "  window: from 2099-01-01 10:00 to 12:00 UTC (Reindex)\n"
        "area checkout: on (until turned off)\n"
        "  switch 'maintenance_mode:checkout': on\n"
        "  window: from 2000-01-01 00:00 to 2099-06-01 00:00 UTC\n"
        "area reports: on (until 2099-01-01 00:00 UTC)\n"
        "  switch 'maintenance_mode:reports': off\n"
        "  window: from 2000-01-01 00:00 to 2099-01-01 00:00 UTC (ETL)\n"
    )
    assert "over" not in status


def test_status_verbosity_2_without_reasons_or_windows():
    assert run("status", verbosity=2).endswith(
        "read-only mode: off\n"
        "  switch 'maintenance_mode_read_only': off\n"
        "area checkout: off\n"
        "  switch 'maintenance_mode:checkout': off\n"
        "area reports: off\n"
        "  switch 'maintenance_mode:reports': off\n"
    )


# --json ----------------------------------------------------------------------------------


def test_status_json_has_read_only_mode_and_the_areas_in_settings_order(settings):
    settings.MAINTENANCE_WAFFLE_AREAS = {"reports": [r"^/reports/"], "checkout": [r"^/c/"]}
    set_maintenance_mode(True, area="checkout")
    status = json.loads(run("status", "--json"))
    assert status["read_only"] is False
    assert list(status["areas"].items()) == [("reports", False), ("checkout", True)]
    assert status["maintenance_mode"] is False


def test_status_json_counts_windows():
    set_read_only(True, end="2099-01-01")
    set_maintenance_mode(True, start="2000-01-01", area="reports")
    status = json.loads(run("status", "--json"))
    assert (status["read_only"], status["areas"]) == (True, {"checkout": False, "reports": True})
    assert (status["window"], status["ends_at"]) == (None, None)


@pytest.mark.parametrize("verbosity", [0, 1, 3])
def test_json_after_scoped_on_and_off(verbosity):
    status = json.loads(run("on", "--read-only", "--json", verbosity=verbosity))
    assert (status["read_only"], status["maintenance_mode"]) == (True, False)
    status = json.loads(run("on", "--area", "reports", "--json", verbosity=verbosity))
    assert (status["read_only"], status["areas"]) == (True, {"checkout": False, "reports": True})
    status = json.loads(run("off", "--read-only", "--json", verbosity=verbosity))
    assert (status["read_only"], status["areas"]) == (False, {"checkout": False, "reports": True})


# A real process ------------------------------------------------------------------------------


def test_cli_area_and_read_only_together_exit_2(tmp_path: Path):
    # argparse refuses before Django is asked anything: no database is needed.
    result = django(tmp_path / "db.sqlite3", "maintenance_mode", "on", "--read-only", "--area", "x")
    assert result.returncode == 2
    assert result.stderr.endswith("error: argument --area: not allowed with argument --read-only\n")
    assert result.stdout == ""
