"""The change stamp: every write path moves it in the transaction of the change, and a
refresh with nothing changed is one single-row read."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from model_bakery import baker
from waffle.models import Flag, Switch

from maintenance_waffle import store
from maintenance_waffle.bypass import create_link, revoke_all
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import set_maintenance_mode
from maintenance_waffle.models import ChangeStamp, Channel, MaintenanceWindow
from maintenance_waffle.state import State, state
from tests.rows import set_flag, set_switch, table_gone, targeted_flag

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def stamp() -> int | None:
    return store.read_stamp("default")


@pytest.fixture
def fresh() -> State:
    return State()


def moves(change: Callable[[], Any]) -> bool:
    before = stamp()
    change()
    return stamp() != before


def beta() -> Group:
    """A group the targeted flag names."""
    group: Group = baker.make(Group, name="beta")
    targeted_flag().groups.add(group)
    return group


# What moves it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda: set_maintenance_mode(True),
        lambda: set_maintenance_mode(True, end=timezone.now() + HOUR),
        lambda: set_switch(True),
        lambda: call_command("waffle_switch", "maintenance_mode", "on"),
        lambda: call_command("waffle_flag", "maintenance_mode", "--everyone"),
        lambda: set_flag(targeted_flag(), staff=True),
        lambda: Flag.objects.get(name="maintenance_mode_exempt").delete(),
        lambda: targeted_flag().users.add(baker.make(User)),
        lambda: targeted_flag().groups.add(baker.make(Group)),
        lambda: baker.make(Group).flag_set.add(targeted_flag()),
        lambda: MaintenanceWindow.objects.create(end=timezone.now() + HOUR),
        lambda: create_link(HOUR, Channel.API),
    ],
    ids=[
        "api",
        "api-window",
        "switch-save",
        "waffle_switch",
        "waffle_flag",
        "flag-save",
        "flag-delete",
        "flag-users",
        "flag-groups",
        "group-flags",
        "window",
        "bypass-link",
    ],
)
def test_every_write_path_moves_it(change: Callable[[], Any]) -> None:
    assert moves(change)


def test_deleting_a_window_and_revoking_bypass_links_move_it() -> None:
    window = MaintenanceWindow.objects.create(end=timezone.now() + HOUR)
    create_link(HOUR, Channel.API)

    assert moves(window.delete)
    assert moves(lambda: revoke_all(Channel.API))  # a bulk update: moved by hand


def test_recording_a_window_transition_moves_it() -> None:
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)

    assert moves(lambda: store.claim_transitions(now + 3 * HOUR))
    assert not moves(lambda: store.claim_transitions(now + 3 * HOUR))


@pytest.mark.parametrize(
    ("member", "change"),
    [
        (False, lambda user, group: user.groups.add(group)),
        (False, lambda user, group: group.user_set.add(user)),
        (True, lambda user, group: user.groups.remove(group)),
        (True, lambda user, group: user.groups.set([])),
        (True, lambda user, group: user.groups.clear()),
        (True, lambda user, group: group.user_set.clear()),
    ],
    ids=["add", "group-add", "remove", "set", "clear", "group-clear"],
)
def test_membership_of_a_targeted_group_moves_it(
    member: bool, change: Callable[[User, Group], Any]
) -> None:
    group = beta()
    user = baker.make(User)
    if member:
        user.groups.add(group)
    state.get(get_config())  # what the targeted groups are

    assert moves(lambda: change(user, group))


def test_unrelated_changes_leave_it() -> None:
    beta()
    other = baker.make(Group)
    state.get(get_config())

    assert not moves(lambda: baker.make(User).groups.add(other))
    assert not moves(lambda: other.user_set.add(baker.make(User)))
    assert not moves(lambda: Switch.objects.create(name="new_checkout", active=True))
    assert not moves(lambda: Flag.objects.create(name="new_search", everyone=True))


def test_a_process_without_a_state_asks_whether_the_group_is_ours() -> None:
    group = beta()
    other = baker.make(Group)
    assert state.current() is None  # a command or a task worker, say

    assert not moves(lambda: baker.make(User).groups.add(other))
    assert moves(lambda: baker.make(User).groups.add(group))
    assert moves(lambda: group.user_set.add(baker.make(User)))


def test_membership_of_another_group_leaves_it_without_an_exempt_flag() -> None:
    beta()
    Flag.objects.get(name="maintenance_mode_exempt").delete()
    state.get(get_config())

    assert not moves(lambda: baker.make(User).groups.add(baker.make(Group)))


def test_the_stamp_row_says_its_value() -> None:
    set_maintenance_mode(True)

    assert str(ChangeStamp.objects.get()) == str(stamp()) != "0"


# What a refresh reads --------------------------------------------------------------------


@override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0)
def test_a_refresh_with_nothing_changed_is_one_query(
    fresh: State, django_assert_num_queries: Any
) -> None:
    config = get_config()
    first = fresh.get(config)

    with django_assert_num_queries(1):
        assert fresh.get(config) is first


@override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0)
def test_a_moved_stamp_means_a_full_read(fresh: State) -> None:
    config = get_config()
    assert not fresh.get(config).switch
    # As another process saves: the row changes and the stamp moves, no signal here.
    Switch.objects.filter(name="maintenance_mode").update(active=True)
    assert not fresh.get(config).switch

    store.move_stamp("default")

    assert fresh.get(config).switch


@override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0)
def test_a_change_without_a_signal_is_seen_at_the_next_full_read(fresh: State) -> None:
    config = get_config()
    fresh.get(config)
    Switch.objects.filter(name="maintenance_mode").update(active=True)  # no signal
    assert not fresh.get(config).switch

    fresh._full_at = time.monotonic() - config.full_refresh_interval

    assert fresh.get(config).switch


@override_settings(
    MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0, MAINTENANCE_WAFFLE_FULL_REFRESH_INTERVAL=0
)
def test_a_full_refresh_interval_of_zero_reads_everything_every_time(fresh: State) -> None:
    config = get_config()
    fresh.get(config)
    Switch.objects.filter(name="maintenance_mode").update(active=True)

    assert fresh.get(config).switch


# Without the stamp -------------------------------------------------------------------------


@pytest.fixture
def warned() -> Any:
    from maintenance_waffle import state as module

    module._stamp_warned = False
    yield
    module._stamp_warned = False


@override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0)
@pytest.mark.usefixtures("warned")
def test_a_deleted_stamp_row_means_full_reads_until_a_change_brings_it_back(
    fresh: State, caplog: pytest.LogCaptureFixture
) -> None:
    config = get_config()
    ChangeStamp.objects.all().delete()

    with caplog.at_level(logging.WARNING, logger="maintenance_waffle"):
        assert fresh.get(config).stamp is None
        Switch.objects.filter(name="maintenance_mode").update(active=True)
        assert fresh.get(config).switch  # a full read

    assert caplog.text.count("change stamp is missing") == 1
    set_maintenance_mode(False)
    assert stamp() == 1
    assert fresh.get(config).stamp == 1


@override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0)
@pytest.mark.usefixtures("warned")
def test_without_the_migration_changes_are_saved_and_read_in_full(
    fresh: State, caplog: pytest.LogCaptureFixture
) -> None:
    config = get_config()
    store._stamp_readable.clear()
    with (
        table_gone("maintenance_waffle_changestamp"),
        caplog.at_level(logging.WARNING, logger="maintenance_waffle"),
    ):
        set_maintenance_mode(True)
        assert fresh.get(config).switch
        Switch.objects.filter(name="maintenance_mode").update(active=False)
        assert not fresh.get(config).switch

    assert "Could not move the maintenance change stamp" in caplog.text
    assert caplog.text.count("change stamp cannot be read") == 1


def test_waffle_admin_pages_and_actions_move_it(admin_client: Any) -> None:
    switch = Switch.objects.get(name="maintenance_mode")
    flag = targeted_flag()

    assert moves(
        lambda: admin_client.post(
            "/admin/waffle/switch/", {"action": "enable_switches", "_selected_action": [switch.pk]}
        )
    )
    assert moves(
        lambda: admin_client.post(
            "/admin/waffle/flag/", {"action": "enable_for_all", "_selected_action": [flag.pk]}
        )
    )
    assert Switch.objects.get(name="maintenance_mode").active
    assert targeted_flag().everyone is True
