from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory, override_settings
from django.utils import timezone
from waffle.models import Switch

from maintenance_waffle.core import (
    get_maintenance_mode,
    get_maintenance_response,
    maintenance_mode_off,
    maintenance_mode_on,
    need_maintenance_response,
    override_maintenance_mode,
    set_maintenance_mode,
)
from maintenance_waffle.models import MaintenanceChange, MaintenanceWindow
from tests.rows import reason, switch

pytestmark = pytest.mark.django_db


def test_set_and_get() -> None:
    assert get_maintenance_mode() is False

    set_maintenance_mode(True)
    assert get_maintenance_mode() is True
    assert switch().active

    set_maintenance_mode(False)
    assert get_maintenance_mode() is False
    assert not switch().active


def test_set_creates_a_missing_switch() -> None:
    Switch.objects.all().delete()

    set_maintenance_mode(True)

    assert switch().active


@override_settings(MAINTENANCE_MODE=True)
def test_setting_true_wins_over_the_switch() -> None:
    assert get_maintenance_mode() is True


@override_settings(MAINTENANCE_MODE=False)
def test_setting_false_wins_over_the_switch() -> None:
    Switch.objects.filter(name="maintenance_mode").update(active=True)

    assert get_maintenance_mode() is False


@pytest.mark.parametrize("value", [True, False])
def test_set_refuses_when_the_setting_decides(value: bool) -> None:
    with override_settings(MAINTENANCE_MODE=value), pytest.raises(ImproperlyConfigured) as info:
        set_maintenance_mode(not value)

    assert str(info.value) == "Maintenance mode cannot be set dynamically if defined in settings."
    assert not switch().active


@pytest.mark.parametrize("value", [1, 0, None, "true", "on"])
def test_set_refuses_non_booleans(value: object) -> None:
    with pytest.raises(TypeError, match=r"^value argument type is not boolean$"):
        set_maintenance_mode(value)  # type: ignore[arg-type]

    assert not switch().active


def test_reason_belongs_to_one_period_of_maintenance() -> None:
    set_maintenance_mode(True, reason="Database upgrade")
    assert reason() == "Database upgrade"
    assert switch().note == ""  # waffle's, not ours

    # Turning off ends it; turning on again without one shows the default sentence.
    set_maintenance_mode(False)
    assert reason() == ""
    set_maintenance_mode(True)
    assert reason() == ""


def test_reason_must_be_text() -> None:
    with pytest.raises(TypeError, match=r"^reason argument type is not str$"):
        set_maintenance_mode(True, reason=42)  # type: ignore[arg-type]


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize("value", [True, False])
def test_override_as_context_manager(initial: bool, value: bool) -> None:
    set_maintenance_mode(initial, reason="before")

    with override_maintenance_mode(value):
        assert get_maintenance_mode() is value

    assert get_maintenance_mode() is initial
    assert reason() == ("before" if initial else "")


@pytest.mark.parametrize("initial", [True, False])
@pytest.mark.parametrize("value", [True, False])
def test_override_as_decorator(initial: bool, value: bool) -> None:
    set_maintenance_mode(initial)

    @override_maintenance_mode(value)
    def inside() -> bool:
        return get_maintenance_mode()

    assert inside() is value
    assert inside() is value
    assert get_maintenance_mode() is initial


def test_override_restores_after_an_exception() -> None:
    seen = []

    @maintenance_mode_on()
    def failing() -> None:
        seen.append(get_maintenance_mode())
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing()

    assert seen == [True]

    assert get_maintenance_mode() is False


def test_override_of_a_missing_switch_restores_off() -> None:
    Switch.objects.all().delete()

    with maintenance_mode_on():
        assert get_maintenance_mode()

    assert get_maintenance_mode() is False


def test_on_and_off_helpers_nest() -> None:
    with maintenance_mode_on():
        assert get_maintenance_mode()
        with maintenance_mode_off():
            assert not get_maintenance_mode()
        assert get_maintenance_mode()
    assert not get_maintenance_mode()


@pytest.mark.parametrize("value", [1, None, "on"])
def test_override_refuses_non_booleans_and_changes_nothing(value: object) -> None:
    end = timezone.now() + timedelta(hours=1)
    set_maintenance_mode(True, end=end, reason="kept")

    override = override_maintenance_mode(value)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match=r"^value argument type is not boolean$"):
        override.__enter__()

    assert windows() == [(None, end, "kept")]
    assert get_maintenance_mode() is True


@override_settings(MAINTENANCE_MODE=True)
def test_override_refuses_when_the_setting_decides() -> None:
    with pytest.raises(ImproperlyConfigured):
        override_maintenance_mode(False).__enter__()


def test_need_and_get_maintenance_response(rf: RequestFactory) -> None:
    request = rf.get("/")
    assert need_maintenance_response(request) is False

    set_maintenance_mode(True)

    assert need_maintenance_response(request) is True
    response = get_maintenance_response(request)
    assert response.status_code == 503


# Scheduled windows ---------------------------------------------------------------------

HOUR = timedelta(hours=1)
UTC = dt_timezone.utc
CHICAGO = ZoneInfo("America/Chicago")


def windows() -> list[tuple[datetime | None, datetime | None, str]]:
    return list(MaintenanceWindow.objects.values_list("start", "end", "reason"))


def test_a_window_with_an_end_is_on_now_and_stores_one_window() -> None:
    switch_on_before = switch()
    switch_on_before.active = True
    switch_on_before.save()
    end = timezone.now() + HOUR

    set_maintenance_mode(True, end=end, reason="Reindexing")

    assert windows() == [(None, end, "Reindexing")]
    # The window decides by itself: the switch is off.
    assert not switch().active
    assert get_maintenance_mode() is True


def test_a_future_window_is_off_until_it_starts() -> None:
    now = timezone.now()

    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)

    assert windows() == [(now + HOUR, now + 2 * HOUR, "")]
    assert get_maintenance_mode() is False


def test_a_window_without_an_end_lasts() -> None:
    start = timezone.now() - HOUR

    set_maintenance_mode(True, start=start)

    assert windows() == [(start, None, "")]
    assert get_maintenance_mode() is True


def test_a_start_in_the_past_is_allowed() -> None:
    now = timezone.now()

    set_maintenance_mode(True, start=now - 2 * HOUR, end=now + HOUR)

    assert windows() == [(now - 2 * HOUR, now + HOUR, "")]
    assert get_maintenance_mode() is True


def test_an_ended_window_is_off() -> None:
    now = timezone.now()
    # set_maintenance_mode refuses an end in the past; a window can still end.
    MaintenanceWindow.objects.create(start=now - 2 * HOUR, end=now - HOUR)

    assert get_maintenance_mode() is False


@pytest.mark.parametrize(
    ("value", "reason"), [(True, None), (False, None), (True, "Switched on by hand")]
)
def test_any_later_set_replaces_the_window(value: bool, reason: str | None) -> None:
    set_maintenance_mode(True, end=timezone.now() + HOUR)

    set_maintenance_mode(value, reason=reason)

    assert windows() == []
    assert switch().active is value
    assert get_maintenance_mode() is value


def test_a_new_window_replaces_the_previous_one() -> None:
    now = timezone.now()
    set_maintenance_mode(True, end=now + HOUR, reason="first")

    set_maintenance_mode(True, start=now + 2 * HOUR, end=now + 3 * HOUR, reason="second")

    assert windows() == [(now + 2 * HOUR, now + 3 * HOUR, "second")]
    assert get_maintenance_mode() is False


def test_a_window_has_its_own_reason_and_ends_the_switchs() -> None:
    set_maintenance_mode(True, reason="last time")

    set_maintenance_mode(True, end=timezone.now() + HOUR, reason="this time")

    assert reason() == ""
    assert windows()[0][2] == "this time"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2099-01-01T03:00:00-06:00", datetime(2099, 1, 1, 9, 0, tzinfo=UTC)),
        ("2099-01-01T03:00:00Z", datetime(2099, 1, 1, 3, 0, tzinfo=UTC)),
        ("2099-01-01 03:00", datetime(2099, 1, 1, 3, 0, tzinfo=UTC)),
        # A date alone means midnight.
        ("2099-01-01", datetime(2099, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_iso_strings(value: str, expected: datetime) -> None:
    set_maintenance_mode(True, end=value)

    assert windows() == [(None, expected, "")]


def test_strings_for_start_and_end() -> None:
    set_maintenance_mode(True, start="2099-01-01", end="2099-01-02T12:00:00+00:00")

    assert windows() == [
        (datetime(2099, 1, 1, tzinfo=UTC), datetime(2099, 1, 2, 12, tzinfo=UTC), "")
    ]
    assert get_maintenance_mode() is False


def test_naive_datetimes_and_strings_are_in_the_current_time_zone() -> None:
    future = timezone.localtime(timezone.now() + 24 * HOUR, CHICAGO)
    naive = future.replace(tzinfo=None, microsecond=0)

    with timezone.override("America/Chicago"):
        set_maintenance_mode(True, start=naive, end="2099-01-01")

    (start, end, _reason) = windows()[0]
    assert start == naive.replace(tzinfo=CHICAGO)
    assert start is not None
    assert start.utcoffset() == timedelta(0)
    # Midnight in Chicago is 06:00 UTC in January.
    assert end == datetime(2099, 1, 1, 6, 0, tzinfo=UTC)


@override_settings(USE_TZ=False)
def test_windows_without_time_zone_support() -> None:
    now = timezone.now()
    assert timezone.is_naive(now)

    set_maintenance_mode(True, end=now + HOUR)

    assert windows() == [(None, now + HOUR, "")]
    assert get_maintenance_mode() is True
    set_maintenance_mode(True, start=now + HOUR, end=datetime(2099, 1, 1, tzinfo=UTC))
    assert windows() == [(now + HOUR, datetime(2099, 1, 1), "")]
    assert get_maintenance_mode() is False


# Window validation ---------------------------------------------------------------------


def assert_nothing_stored() -> None:
    assert windows() == []
    assert not switch().active
    assert get_maintenance_mode() is False


@pytest.mark.parametrize(
    "window",
    [{"end": "2099-01-01"}, {"start": "2099-01-01"}, {"start": "garbage", "end": "garbage"}],
)
def test_start_and_end_need_value_true(window: dict[str, str]) -> None:
    with pytest.raises(
        ValueError, match=r"^start / end arguments can only be used with value True$"
    ):
        set_maintenance_mode(False, **window)

    assert_nothing_stored()


@pytest.mark.parametrize("delta", [timedelta(0), -HOUR])
def test_start_must_come_before_end(delta: timedelta) -> None:
    start = timezone.now() + HOUR

    with pytest.raises(ValueError, match=r"^start argument value must be < end argument value$"):
        set_maintenance_mode(True, start=start, end=start + delta)

    assert_nothing_stored()


@pytest.mark.parametrize(
    "window",
    [
        {"end": "2000-01-01"},
        {"start": "1999-01-01", "end": "2000-01-01T00:00:00+00:00"},
        {"end": datetime(2000, 1, 1, tzinfo=UTC)},
    ],
)
def test_end_must_be_in_the_future(window: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"^end argument value must be in the future$"):
        set_maintenance_mode(True, **window)

    assert_nothing_stored()


@pytest.mark.parametrize("value", ["", "garbage", "2031-02-30", "2099-13-01", "tomorrow"])
@pytest.mark.parametrize("argument", ["start", "end"])
def test_unparsable_strings(argument: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"^Invalid datetime value: '{re.escape(value)}'$"):
        set_maintenance_mode(True, **{argument: value})

    assert_nothing_stored()


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(date(2099, 1, 1), "<class 'datetime.date'>"), (4102444800, "<class 'int'>")],
)
@pytest.mark.parametrize("argument", ["start", "end"])
def test_other_types_are_a_type_error(argument: str, value: object, type_name: str) -> None:
    with pytest.raises(TypeError) as info:
        set_maintenance_mode(True, **{argument: value})  # type: ignore[arg-type]

    assert str(info.value) == f"Datetime value type is not datetime | str | None: {type_name}"
    assert_nothing_stored()


def test_non_boolean_value_is_checked_before_the_window() -> None:
    with pytest.raises(TypeError, match=r"^value argument type is not boolean$"):
        set_maintenance_mode(1, end="garbage")  # type: ignore[arg-type]


@override_settings(MAINTENANCE_MODE=False)
def test_the_setting_is_checked_before_the_window() -> None:
    with pytest.raises(ImproperlyConfigured):
        set_maintenance_mode(True, end="garbage")
    assert windows() == []


# Windows and the MAINTENANCE_MODE setting ----------------------------------------------


def test_the_setting_false_wins_over_an_active_window() -> None:
    set_maintenance_mode(True, end=timezone.now() + HOUR)

    with override_settings(MAINTENANCE_MODE=False):
        assert get_maintenance_mode() is False
    assert get_maintenance_mode() is True


def test_the_setting_true_wins_over_a_future_window() -> None:
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)

    with override_settings(MAINTENANCE_MODE=True):
        assert get_maintenance_mode() is True
    assert get_maintenance_mode() is False


# override_maintenance_mode and windows -------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
def test_override_restores_the_windows_and_the_switch(value: bool) -> None:
    now = timezone.now()
    set_maintenance_mode(True, start=now - HOUR, end=now + HOUR, reason="running")
    MaintenanceWindow.objects.create(start=now + 2 * HOUR, end=None, reason="next")
    before = windows()

    with override_maintenance_mode(value):
        assert windows() == []
        assert get_maintenance_mode() is value

    assert windows() == before
    assert (switch().active, reason()) == (False, "")
    assert get_maintenance_mode() is True


def test_override_restores_a_future_window() -> None:
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)

    with maintenance_mode_on():
        assert get_maintenance_mode() is True

    assert windows() == [(now + HOUR, now + 2 * HOUR, "")]
    assert get_maintenance_mode() is False


def test_need_maintenance_response_in_a_window(rf: RequestFactory) -> None:
    request = rf.get("/")
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)
    assert need_maintenance_response(request) is False

    set_maintenance_mode(True, end=now + HOUR, reason="Reindexing")

    assert need_maintenance_response(request) is True
    response = get_maintenance_response(request)
    assert response.status_code == 503
    assert b"Reindexing" in response.content


# One parsed MAINTENANCE_MODE decides everywhere ------------------------------------------


@override_settings(MAINTENANCE_MODE="yes")
def test_an_invalid_setting_is_ignored_by_the_api_too() -> None:
    """``"yes"`` is check E003 and ignored: the switch decides, and can be set."""
    set_maintenance_mode(True)
    assert get_maintenance_mode() is True

    with maintenance_mode_off():
        assert get_maintenance_mode() is False

    assert get_maintenance_mode() is True
    set_maintenance_mode(False)
    assert switch().active is False


# override_maintenance_mode in the audit trail --------------------------------------------


@pytest.mark.parametrize("value", [True, False])
def test_override_records_its_restore_as_the_api(
    value: bool, django_capture_on_commit_callbacks: Any
) -> None:
    set_maintenance_mode(not value)

    with django_capture_on_commit_callbacks(execute=True), override_maintenance_mode(value):
        pass

    changes = MaintenanceChange.objects.order_by("id").values_list("channel", "old", "new")
    before, after = ("off", "on") if value else ("on", "off")
    assert list(changes) == [("api", before, after), ("api", after, before)]
