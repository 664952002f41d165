from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from model_bakery import baker
from waffle.models import Flag, Switch

from maintenance_waffle.conf import get_config
from maintenance_waffle.models import MaintenanceReason, MaintenanceWindow
from maintenance_waffle.state import (
    FlagRule,
    Snapshot,
    State,
    Window,
    aware,
    current_time,
    load,
    make_snapshot,
    state,
)
from tests.rows import (
    exempt_flag,
    set_flag,
    set_switch,
    switch_table_gone,
    target,
    targeted_flag,
    update_switch,
)

if TYPE_CHECKING:
    pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh() -> State:
    return State()


def test_load_reads_the_rows_the_migration_created() -> None:
    snapshot = load(get_config())

    assert snapshot == Snapshot(
        switch=False,
        reason="",
        flag=FlagRule(name="maintenance_mode", everyone=False),
        exempt=FlagRule(name="maintenance_mode_exempt", superusers=True),
        idle=True,
    )


def test_load_without_rows_means_off_and_nobody() -> None:
    Switch.objects.all().delete()
    Flag.objects.all().delete()

    assert load(get_config()) == Snapshot()


def test_load_reads_switch_and_reason() -> None:
    update_switch(active=True, note="where the switch is used")
    MaintenanceReason.objects.create(scope="maintenance_mode", text="Upgrading")

    snapshot = load(get_config())

    assert (snapshot.switch, snapshot.reason, snapshot.idle) == (True, "Upgrading", False)


def test_load_reads_flag_targeting() -> None:
    beta, other = baker.make(Group, _quantity=2)
    member, listed, _ = baker.make(User, _quantity=3)
    member.groups.add(beta)
    flag = target(
        percent=12.5,
        staff=True,
        authenticated=True,
        testing=True,
        rollout=True,
        languages="de, fr,,",
    )
    flag.groups.add(beta, other)
    flag.users.add(listed)

    rule = load(get_config()).flag

    assert rule == FlagRule(
        name="maintenance_mode",
        everyone=None,
        percent=12.5,
        testing=True,
        superusers=False,
        staff=True,
        authenticated=True,
        rollout=True,
        languages=frozenset({"de", "fr"}),
        user_ids=frozenset({listed.pk}),
        group_ids=frozenset({beta.pk, other.pk}),
    )
    # Members are asked for per user, not loaded with the rule.
    assert rule is not None
    assert rule.members(member.pk) == {beta.pk}
    assert rule.members(listed.pk) == frozenset()


def test_flag_decided_for_everyone_keeps_its_users_and_groups() -> None:
    flag = set_flag(targeted_flag(), everyone=True)
    user = baker.make(User)
    group = baker.make(Group)
    flag.users.add(user)
    flag.groups.add(group)

    rule = load(get_config()).flag

    assert rule is not None
    # Shown by `maintenance_mode status`; `everyone` still decides alone.
    assert rule.everyone is True
    assert (rule.user_ids, rule.group_ids) == (frozenset({user.pk}), frozenset({group.pk}))
    assert rule.can_be_active(trust_waffle_cookies=False)


@pytest.mark.parametrize(
    ("rule", "trusted", "expected"),
    [
        (FlagRule(name="f"), False, False),
        (FlagRule(name="f", everyone=True), False, True),
        (FlagRule(name="f", everyone=False, superusers=True), False, False),
        (FlagRule(name="f", percent=0.1), False, True),
        (FlagRule(name="f", superusers=True), False, True),
        (FlagRule(name="f", staff=True), False, True),
        (FlagRule(name="f", authenticated=True), False, True),
        (FlagRule(name="f", languages=frozenset({"de"})), False, True),
        (FlagRule(name="f", user_ids=frozenset({1})), False, True),
        # A group may have members: they are asked for per user.
        (FlagRule(name="f", group_ids=frozenset({1})), False, True),
        (FlagRule(name="f", testing=True), False, False),
        (FlagRule(name="f", testing=True), True, True),
    ],
)
def test_can_be_active(rule: FlagRule, trusted: bool, expected: bool) -> None:
    assert rule.can_be_active(trusted) is expected


def test_snapshot_is_idle_only_when_nothing_can_apply() -> None:
    config = get_config()
    assert make_snapshot(config).idle
    assert make_snapshot(config, exempt=FlagRule(name="x", everyone=True)).idle
    assert not make_snapshot(config, switch=True).idle
    assert not make_snapshot(config, flag=FlagRule(name="x", staff=True)).idle


@override_settings(MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES=True, WAFFLE_OVERRIDE=True)
def test_waffle_override_makes_any_existing_flag_possible_when_trusted() -> None:
    config = get_config()
    assert not make_snapshot(config, flag=FlagRule(name="x", everyone=False)).idle
    assert make_snapshot(config, flag=None).idle


def test_get_keeps_the_snapshot_within_the_interval(fresh: State) -> None:
    config = get_config()
    assert not fresh.get(config).switch
    # Another process's change: no signal reaches this one.
    update_switch(active=True)

    assert not fresh.get(config).switch
    assert fresh.peek() is not None


@override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0)
def test_get_rereads_once_the_interval_has_passed(fresh: State) -> None:
    config = get_config()
    assert not fresh.get(config).switch
    update_switch(active=True)

    assert fresh.peek() is None
    assert fresh.get(config).switch


def test_a_save_in_this_process_is_seen_at_once() -> None:
    config = get_config()
    assert not state.get(config).switch

    set_switch(True)

    assert state.peek() is None
    assert state.get(config).switch


def test_flag_membership_changes_are_seen_at_once() -> None:
    config = get_config()
    user = baker.make(User)
    group = baker.make(Group)
    flag = exempt_flag()
    flag.groups.add(group)
    assert state.get(config).exempt.members(user.pk) == frozenset()  # type: ignore[union-attr]

    user.groups.add(group)

    assert state.get(config).exempt.members(user.pk) == {group.pk}  # type: ignore[union-attr]


def test_an_invalidation_during_a_load_forces_another_load(
    fresh: State, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = get_config()

    def load_racing_a_change(config_: object) -> Snapshot:
        fresh.invalidate()
        return Snapshot(switch=True, idle=False)

    monkeypatch.setattr("maintenance_waffle.state.load", load_racing_a_change)

    assert fresh.get(config).switch
    assert fresh.peek() is None


def test_a_busy_refresh_serves_the_current_snapshot(fresh: State) -> None:
    config = get_config()
    before = fresh.get(config)
    update_switch(active=True)
    fresh.invalidate()

    with fresh._lock:  # another thread is refreshing
        assert fresh.get(config) is before

    assert fresh.get(config).switch


def test_a_waiting_first_request_uses_the_snapshot_loaded_meanwhile(fresh: State) -> None:
    config = get_config()
    results: list[Snapshot] = []
    loaded = Snapshot(switch=True, idle=False)
    waiter = threading.Thread(target=lambda: results.append(fresh.get(config)))

    with fresh._lock:
        waiter.start()
        # Wait until the waiter blocks on the lock inside _refresh.
        assert any(_blocked_in_refresh(waiter) for _ in range(10_000))
        fresh._snapshot = loaded
        fresh._next_check = float("inf")
    waiter.join()

    assert results == [loaded]


def _blocked_in_refresh(thread: threading.Thread) -> bool:
    time.sleep(0.001)
    frame = sys._current_frames().get(thread.ident or 0)
    return any(f.f_code.co_name == "_refresh" for f, _ in traceback.walk_stack(frame))


def test_failure_without_a_known_state_uses_the_fallback_value(
    fresh: State, caplog: pytest.LogCaptureFixture
) -> None:
    with switch_table_gone(), caplog.at_level(logging.WARNING, logger="maintenance_waffle"):
        snapshot = fresh.get(get_config())

    assert not snapshot.switch
    assert "MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE (False)" in caplog.text


@override_settings(MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE=True)
def test_failure_can_fail_closed(fresh: State) -> None:
    with switch_table_gone():
        snapshot = fresh.get(get_config())

    assert (snapshot.switch, snapshot.idle) == (True, False)


# Every refresh a full read: the switch table's loss must show.
@override_settings(
    MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0, MAINTENANCE_WAFFLE_FULL_REFRESH_INTERVAL=0
)
def test_failure_keeps_the_last_state_until_max_staleness(
    fresh: State, caplog: pytest.LogCaptureFixture
) -> None:
    update_switch(active=True)
    config = get_config()
    assert fresh.get(config).switch

    with switch_table_gone():
        with caplog.at_level(logging.WARNING, logger="maintenance_waffle"):
            assert fresh.get(config).switch
        assert "keeping the state read" in caplog.text
        with override_settings(MAINTENANCE_WAFFLE_MAX_STALENESS=0):
            # The state read before is now too old to trust.
            fresh._loaded_at = time.monotonic() - 1
            assert not fresh.get(get_config()).switch

    # The database is back: the state is read again.
    assert fresh.get(get_config()).switch


def test_failure_at_most_once_per_interval(fresh: State, caplog: pytest.LogCaptureFixture) -> None:
    config = get_config()
    with switch_table_gone(), caplog.at_level(logging.WARNING, logger="maintenance_waffle"):
        for _ in range(5):
            fresh.get(config)

    assert len(caplog.records) == 1


@override_settings(WAFFLE_READ_FROM_WRITE_DB=True)
def test_reads_from_the_write_database_when_waffle_is_told_to() -> None:
    update_switch(active=True)

    assert load(get_config()).switch


def test_settings_changes_invalidate() -> None:
    config = get_config()
    state.get(config)
    assert state.peek() is not None

    with override_settings(MAINTENANCE_WAFFLE_SWITCH="other"):
        assert state.peek() is None
        assert load(get_config()).switch is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_load_outside_a_transaction() -> None:
    update_switch(active=True)

    assert not connection.in_atomic_block
    assert load(get_config()).switch


# Windows -------------------------------------------------------------------------------

HOUR = timedelta(hours=1)
NOON = datetime(2099, 6, 1, 12, 0, tzinfo=dt_timezone.utc)
CHICAGO = ZoneInfo("America/Chicago")


def test_load_reads_the_windows_that_have_not_ended() -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(
        start=now - 2 * HOUR, end=now - HOUR, reason="over", end_recorded=True
    )
    MaintenanceWindow.objects.create(start=now + HOUR, end=now + 2 * HOUR, reason="planned")
    MaintenanceWindow.objects.create(start=now - HOUR, end=now + HOUR, reason="running")
    MaintenanceWindow.objects.create(start=now + 3 * HOUR, end=None, reason="open end")

    snapshot = load(get_config())

    assert snapshot.windows == (
        Window(start=now - HOUR, end=now + HOUR, reason="running"),
        Window(start=now + HOUR, end=now + 2 * HOUR, reason="planned"),
        Window(start=now + 3 * HOUR, end=None, reason="open end"),
    )
    assert all(
        moment.tzinfo is not None
        for window in snapshot.windows
        for moment in (window.start, window.end)
        if moment is not None
    )
    assert not snapshot.idle


def test_load_drops_a_window_that_has_just_ended() -> None:
    # End exclusive: a window whose end has come is over.
    MaintenanceWindow.objects.create(
        start=None, end=timezone.now() - timedelta(microseconds=1), end_recorded=True
    )

    assert load(get_config()).windows == ()


def test_load_with_only_ended_windows_is_idle() -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - 2 * HOUR, end=now - HOUR, end_recorded=True)

    snapshot = load(get_config())

    assert snapshot.windows == ()
    assert snapshot.idle


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_load_without_time_zone_support_gives_aware_datetimes() -> None:
    # Stored as naive local (Chicago) time, as Django does with USE_TZ = False.
    now = timezone.now()
    assert timezone.is_naive(now)
    MaintenanceWindow.objects.create(
        start=now - 2 * HOUR, end=now - HOUR, reason="over", end_recorded=True
    )
    MaintenanceWindow.objects.create(start=now - HOUR, end=now + HOUR, reason="running")
    MaintenanceWindow.objects.create(start=None, end=now + 2 * HOUR, reason="from now")

    snapshot = load(get_config())

    assert snapshot.windows == (
        Window(start=None, end=(now + 2 * HOUR).replace(tzinfo=CHICAGO), reason="from now"),
        Window(
            start=(now - HOUR).replace(tzinfo=CHICAGO),
            end=(now + HOUR).replace(tzinfo=CHICAGO),
            reason="running",
        ),
    )
    assert snapshot.windows[0].end is not None
    assert snapshot.windows[0].end.tzinfo is not None
    assert snapshot.window_at(current_time()) == snapshot.windows[0]


def test_a_window_saved_or_deleted_in_this_process_is_seen_at_once() -> None:
    config = get_config()
    assert state.get(config).windows == ()

    window = MaintenanceWindow.objects.create(start=None, end=timezone.now() + HOUR)

    assert state.peek() is None
    assert len(state.get(config).windows) == 1

    window.delete()

    assert state.peek() is None
    assert state.get(config).windows == ()


@pytest.mark.parametrize(
    ("window", "covered"),
    [
        (Window(start=NOON, end=NOON + HOUR), True),
        # Start inclusive, end exclusive.
        (Window(start=NOON + HOUR, end=NOON + 2 * HOUR), False),
        (Window(start=NOON - HOUR, end=NOON), False),
        (Window(start=None, end=NOON + timedelta(seconds=1)), True),
        (Window(start=NOON, end=None), True),
        (Window(start=NOON + timedelta(seconds=1), end=None), False),
        (Window(start=None, end=None), True),
    ],
)
def test_window_covers(window: Window, covered: bool) -> None:
    assert window.covers(NOON) is covered


def test_window_at_picks_the_covering_window_that_ends_last() -> None:
    short = Window(start=NOON - HOUR, end=NOON + HOUR, reason="short")
    long = Window(start=NOON - HOUR, end=NOON + 3 * HOUR, reason="long")
    later = Window(start=NOON + HOUR, end=NOON + 5 * HOUR, reason="later")

    assert Snapshot(windows=(short, long, later)).window_at(NOON) == long
    assert Snapshot(windows=(long, short, later)).window_at(NOON) == long


def test_window_at_prefers_an_open_end() -> None:
    fixed = Window(start=NOON - HOUR, end=NOON + 100 * HOUR, reason="fixed")
    open_end = Window(start=NOON, end=None, reason="open")

    assert Snapshot(windows=(open_end, fixed)).window_at(NOON) == open_end
    assert Snapshot(windows=(fixed, open_end)).window_at(NOON) == open_end


def test_window_at_is_none_when_no_window_covers_now() -> None:
    assert Snapshot().window_at(NOON) is None
    ended = Window(start=NOON - 2 * HOUR, end=NOON - HOUR)
    upcoming = Window(start=NOON + HOUR, end=None)
    assert Snapshot(windows=(ended, upcoming)).window_at(NOON) is None


def test_next_window_is_the_covering_one_first() -> None:
    upcoming = Window(start=NOON + HOUR, end=NOON + 2 * HOUR)
    covering = Window(start=None, end=NOON + 3 * HOUR)

    assert Snapshot(windows=(covering, upcoming)).next_window(NOON) == covering


def test_next_window_is_else_the_next_to_start() -> None:
    sooner = Window(start=NOON + HOUR, end=NOON + 2 * HOUR)
    later = Window(start=NOON + 2 * HOUR, end=None)
    ended = Window(start=NOON - 2 * HOUR, end=NOON - HOUR)

    assert Snapshot(windows=(ended, sooner, later)).next_window(NOON) == sooner


def test_next_window_is_none_without_a_current_or_future_window() -> None:
    assert Snapshot().next_window(NOON) is None
    ended = Window(start=NOON - 2 * HOUR, end=NOON - HOUR)
    assert Snapshot(windows=(ended,)).next_window(NOON) is None


def test_next_window_from_the_database_is_the_earliest_upcoming_one() -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now + 3 * HOUR, end=None, reason="third")
    MaintenanceWindow.objects.create(start=now + HOUR, end=now + 2 * HOUR, reason="first")
    MaintenanceWindow.objects.create(start=now + 2 * HOUR, end=None, reason="second")

    upcoming = load(get_config()).next_window(now)

    assert upcoming is not None
    assert upcoming.reason == "first"


def test_windows_make_the_snapshot_non_idle() -> None:
    config = get_config()
    upcoming = Window(start=NOON + HOUR, end=None)

    snapshot = make_snapshot(config, windows=(upcoming,))

    assert not snapshot.idle
    assert snapshot.windows == (upcoming,)


# Time helpers --------------------------------------------------------------------------


def test_current_time_is_aware() -> None:
    before = timezone.now()
    now = current_time()

    assert now.tzinfo is not None
    assert before <= now


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_current_time_is_aware_without_time_zone_support() -> None:
    before = timezone.now()
    now = current_time()
    after = timezone.now()

    # The local wall-clock time, in the current time zone.
    assert now.tzinfo == CHICAGO
    assert before <= now.replace(tzinfo=None) <= after


def test_aware() -> None:
    naive = datetime(2099, 1, 1, 12, 0)

    assert aware(None) is None
    assert aware(NOON) is NOON
    with timezone.override(CHICAGO):
        assert aware(naive) == datetime(2099, 1, 1, 18, 0, tzinfo=dt_timezone.utc)
