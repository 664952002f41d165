from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from io import StringIO
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core import serializers
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone, translation
from model_bakery import baker
from waffle.models import Flag, Switch

from maintenance_waffle.audit import (
    Context,
    changing,
    maintenance_mode_changed,
    record,
    record_transitions,
)
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import set_maintenance_mode
from maintenance_waffle.models import Channel, MaintenanceChange, MaintenanceWindow
from maintenance_waffle.state import State
from tests.rows import (
    exempt_flag,
    set_flag,
    set_switch,
    switch,
    switch_exists,
    target,
    targeted_flag,
    update_switch,
)

if TYPE_CHECKING:
    from tests.conftest import Commit

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
SWITCH = "switch maintenance_mode"
OS_USER = getpass.getuser()

Row = tuple[str, str, str, str, str, str]


def changes() -> list[Row]:
    """(channel, who, what, before, after, reason) of every record, oldest first."""
    return list(
        MaintenanceChange.objects.order_by("id").values_list(
            "channel", "actor", "subject", "old", "new", "reason"
        )
    )


# Channels -------------------------------------------------------------------------------


def test_the_python_api_records_the_user_and_the_reason(commit: Commit) -> None:
    user = baker.make(User, username="alice")
    before = timezone.now()

    with commit():
        set_maintenance_mode(True, reason="Upgrading", user=user)

    assert changes() == [("api", "alice", SWITCH, "off", "on", "Upgrading")]
    change = MaintenanceChange.objects.get()
    assert change.user == user
    assert before <= change.at <= timezone.now()
    assert str(change) == f"{SWITCH}: off → on"


def test_the_python_api_without_a_user_names_the_os_user(commit: Commit) -> None:
    set_switch(True, "old reason")

    with commit():
        set_maintenance_mode(False)

    assert changes() == [("api", OS_USER, SWITCH, "on", "off", "")]
    assert MaintenanceChange.objects.get().user is None


def test_an_anonymous_user_is_no_user(commit: Commit) -> None:
    with commit():
        set_maintenance_mode(True, user=AnonymousUser())

    assert changes() == [("api", OS_USER, SWITCH, "off", "on", "")]
    assert MaintenanceChange.objects.get().user is None


def test_without_an_os_user_name_the_actor_is_empty(
    commit: Commit, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_name() -> str:
        raise OSError("no user name")

    monkeypatch.setattr(getpass, "getuser", no_name)

    with commit():
        set_maintenance_mode(True)

    assert changes() == [("api", "", SWITCH, "off", "on", "")]


def test_scheduling_through_the_api_records_the_window(commit: Commit) -> None:
    end = datetime(2099, 1, 1, 10, 0, 30, 123456, tzinfo=dt_timezone.utc)

    with commit():
        set_maintenance_mode(True, end=end, reason="Reindexing")

    window = MaintenanceWindow.objects.get()
    # The switch stays off: only the window is new. Its end reads as people read times.
    assert changes() == [
        (
            "api",
            OS_USER,
            f"window #{window.pk}",
            "",
            "from now until 2099-01-01 10:00 UTC",
            "Reindexing",
        )
    ]


@override_settings(TIME_ZONE="Europe/Berlin", LANGUAGE_CODE="de")
def test_windows_are_recorded_in_the_projects_time_zone_and_language(commit: Commit) -> None:
    start = datetime(2099, 1, 1, 8, tzinfo=dt_timezone.utc)

    # Whatever time zone and language the request that made the change had activated.
    with commit(), timezone.override("Asia/Tokyo"), translation.override("fr"):
        set_maintenance_mode(True, start=start, end=start + 2 * HOUR)

    assert MaintenanceChange.objects.get().new == "von 2099-01-01 09:00 bis 11:00 Europe/Berlin"


def test_the_command_records_its_reason(commit: Commit) -> None:
    with commit():
        call_command("maintenance_mode", "on", "--reason", "Moving", stdout=StringIO())
    with commit():
        call_command("maintenance_mode", "off", stdout=StringIO())

    assert changes() == [
        ("command", OS_USER, SWITCH, "off", "on", "Moving"),
        ("command", OS_USER, SWITCH, "on", "off", ""),
    ]


def test_the_on_and_off_urls_record_the_user(commit: Commit, admin_client: Client) -> None:
    with commit():
        response = admin_client.post("/maintenance-mode/on/", {"reason": "Night work"})
    assert response.status_code == 302
    with commit():
        admin_client.post("/maintenance-mode/off/")

    assert changes() == [
        ("url", "admin", SWITCH, "off", "on", "Night work"),
        ("url", "admin", SWITCH, "on", "off", ""),
    ]
    assert {change.user.get_username() for change in MaintenanceChange.objects.all()} == {"admin"}


def split(value: datetime) -> tuple[str, str]:
    return value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")


def switch_form(row: Switch, **fields: str) -> dict[str, str]:
    created, modified = split(row.created), split(row.modified)
    return {
        "name": row.name,
        "note": row.note,
        "created_0": created[0],
        "created_1": created[1],
        "modified_0": modified[0],
        "modified_1": modified[1],
        **fields,
    }


def test_waffles_change_form_is_recorded_once(commit: Commit, admin_client: Client) -> None:
    row = switch()

    with commit():
        response = admin_client.post(
            f"/admin/waffle/switch/{row.pk}/change/",
            switch_form(row, active="on", note="Disk swap"),
        )

    assert response.status_code == 302
    assert switch().active is True
    # waffle's note says where the switch is used: it is no reason for visitors.
    assert changes() == [("waffle-admin", "admin", SWITCH, "off", "on", "")]


def test_waffles_change_form_without_a_change_records_nothing(
    commit: Commit, admin_client: Client
) -> None:
    row = switch()

    with commit():
        response = admin_client.post(
            f"/admin/waffle/switch/{row.pk}/change/", switch_form(row, note="only a note")
        )

    assert response.status_code == 302
    assert switch().note == "only a note"
    assert changes() == []


def test_waffles_changelist_action_is_recorded(commit: Commit, admin_client: Client) -> None:
    with commit():
        response = admin_client.post(
            "/admin/waffle/switch/",
            {"action": "enable_switches", "_selected_action": [switch().pk]},
        )

    assert response.status_code == 302
    assert switch().active is True
    assert changes() == [("waffle-admin", "admin", SWITCH, "off", "on", "")]


FLAG = "flag maintenance_mode"
EXEMPT = "flag maintenance_mode_exempt"


def flag_form(flag: Flag, **fields: Any) -> dict[str, Any]:
    """waffle's Flag change form as the admin shows ``flag``, with ``fields`` changed."""
    created, modified = split(flag.created), split(flag.modified)
    form: dict[str, Any] = {
        "name": flag.name,
        "everyone": {None: "unknown", True: "true", False: "false"}[flag.everyone],
        "percent": "" if flag.percent is None else str(flag.percent),
        "languages": flag.languages,
        "note": flag.note,
        "groups": [str(pk) for pk in flag.groups.values_list("pk", flat=True)],
        # A raw-id widget: ids separated by commas.
        "users": ",".join(str(pk) for pk in flag.users.values_list("pk", flat=True)),
        "created_0": created[0],
        "created_1": created[1],
        "modified_0": modified[0],
        "modified_1": modified[1],
    }
    for name in ("testing", "superusers", "staff", "authenticated", "rollout"):
        if getattr(flag, name):
            form[name] = "on"
    return {**form, **fields}


def save_flag_form(client: Client, flag: Flag, **fields: Any) -> None:
    response = client.post(f"/admin/waffle/flag/{flag.pk}/change/", flag_form(flag, **fields))
    assert response.status_code == 302, response.content


def ids(*rows: Any) -> list[str]:
    return [str(row.pk) for row in rows]


def test_waffles_flag_form_is_recorded_once(commit: Commit, admin_client: Client) -> None:
    ops = baker.make(Group, name="ops")

    with commit():
        save_flag_form(
            admin_client, targeted_flag(), everyone="unknown", staff="on", groups=ids(ops)
        )

    # The flag's save and its groups' change (m2m_changed after post_save): one record.
    assert changes() == [("waffle-admin", "admin", FLAG, "nobody", "staff; groups: ops", "")]


def test_waffles_flag_form_targeting_a_group_already_on_the_flag(
    commit: Commit, admin_client: Client
) -> None:
    beta = baker.make(Group, name="beta")
    flag = set_flag(targeted_flag(), everyone=False)
    flag.groups.add(beta)

    with commit():
        save_flag_form(admin_client, flag, everyone="unknown")

    # Everyone "No" left beta out; "Unknown" puts beta into maintenance.
    assert changes() == [("waffle-admin", "admin", FLAG, "nobody", "groups: beta", "")]


def test_waffles_flag_form_with_groups_users_and_a_percentage(
    commit: Commit, admin_client: Client
) -> None:
    beta, ops = baker.make(Group, name="beta"), baker.make(Group, name="ops")
    alice = baker.make(User, username="alice")

    with commit():
        save_flag_form(
            admin_client,
            targeted_flag(),
            everyone="unknown",
            percent="10",
            groups=ids(ops, beta),
            users=",".join(ids(alice)),
        )

    assert changes() == [
        ("waffle-admin", "admin", FLAG, "nobody", "groups: beta, ops; users: alice; 10%", "")
    ]


def test_waffles_flag_form_changing_only_the_groups_and_users(
    commit: Commit, admin_client: Client
) -> None:
    beta, ops = baker.make(Group, name="beta"), baker.make(Group, name="ops")
    alice, bob = baker.make(User, username="alice"), baker.make(User, username="bob")
    flag = target()
    flag.groups.add(beta)
    flag.users.add(alice)

    with commit():
        save_flag_form(admin_client, flag, groups=ids(ops), users=",".join(ids(alice, bob)))

    assert changes() == [
        (
            "waffle-admin",
            "admin",
            FLAG,
            "groups: beta; users: alice",
            "groups: ops; users: alice, bob",
            "",
        )
    ]


def test_waffles_flag_form_without_a_change_of_whom_records_nothing(
    commit: Commit, admin_client: Client
) -> None:
    flag = target(percent=Decimal(10))
    flag.groups.add(baker.make(Group, name="beta"))

    with commit():
        save_flag_form(admin_client, flag, note="only a note", rollout="on")

    assert targeted_flag().note == "only a note"
    assert changes() == []


def test_waffles_exempt_flag_form_is_recorded(commit: Commit, admin_client: Client) -> None:
    ops = baker.make(Group, name="ops")
    carol = baker.make(User, username="carol")

    with commit():
        save_flag_form(admin_client, exempt_flag(), groups=ids(ops), users=",".join(ids(carol)))

    assert changes() == [
        ("waffle-admin", "admin", EXEMPT, "superusers", "superusers; groups: ops; users: carol", "")
    ]


def test_waffles_flag_changelist_action_is_recorded_per_flag(
    commit: Commit, admin_client: Client
) -> None:
    flags = [target(), exempt_flag()]
    flags[0].groups.add(baker.make(Group, name="beta"))

    with commit():
        response = admin_client.post(
            "/admin/waffle/flag/",
            {"action": "disable_for_all", "_selected_action": ids(*flags)},
        )

    assert response.status_code == 302
    assert sorted(changes()) == [
        ("waffle-admin", "admin", FLAG, "groups: beta", "nobody", ""),
        ("waffle-admin", "admin", EXEMPT, "superusers", "nobody", ""),
    ]


@pytest.fixture
def waffle_argv(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def set_argv(*args: str) -> None:
        monkeypatch.setattr(sys, "argv", ["manage.py", *args])

    return set_argv


# Outside a test's transaction: each transaction really commits.


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_admin_save_of_a_flag_is_one_record(admin_client: Client) -> None:
    beta, ops = baker.make(Group, name="beta"), baker.make(Group, name="ops")
    alice = baker.make(User, username="alice")
    flag = target()
    flag.groups.add(beta)
    MaintenanceChange.objects.all().delete()

    assert not transaction.get_connection().in_atomic_block
    save_flag_form(admin_client, flag, percent="10", groups=ids(ops), users=",".join(ids(alice)))

    assert changes() == [
        ("waffle-admin", "admin", FLAG, "groups: beta", "groups: ops; users: alice; 10%", "")
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_waffles_flag_command_outside_a_transaction_records_each_step(
    waffle_argv: Callable[..., None],
) -> None:
    target().groups.add(baker.make(Group, name="alpha"))
    baker.make(Group, name="beta")
    MaintenanceChange.objects.all().delete()
    waffle_argv("waffle_flag", "maintenance_mode", "--group", "beta")

    call_command("waffle_flag", "maintenance_mode", "--group", "beta", stdout=StringIO())

    # waffle_flag runs without a transaction: its clear, its add and its save each
    # commit (the save changes nothing more here), and each is recorded as it was.
    assert changes() == [
        ("waffle-command", OS_USER, FLAG, "groups: alpha", "nobody", ""),
        ("waffle-command", OS_USER, FLAG, "nobody", "groups: beta", ""),
    ]


def test_waffles_switch_command_is_recorded(
    commit: Commit, waffle_argv: Callable[..., None]
) -> None:
    waffle_argv("waffle_switch", "maintenance_mode", "on")

    with commit():
        call_command("waffle_switch", "maintenance_mode", "on")

    assert switch().active is True
    assert changes() == [("waffle-command", OS_USER, SWITCH, "off", "on", "")]


def test_waffles_flag_command_is_recorded(commit: Commit, waffle_argv: Callable[..., None]) -> None:
    waffle_argv("waffle_flag", "maintenance_mode", "--everyone")

    with commit():
        call_command("waffle_flag", "maintenance_mode", "--everyone", stdout=StringIO())

    assert changes() == [("waffle-command", OS_USER, FLAG, "nobody", "everyone", "")]


def test_waffles_flag_command_deactivating_a_group_rollout_is_recorded(
    commit: Commit, waffle_argv: Callable[..., None]
) -> None:
    target().groups.add(baker.make(Group, name="beta"))
    waffle_argv("waffle_flag", "maintenance_mode", "--deactivate")

    with commit():
        call_command("waffle_flag", "maintenance_mode", "--deactivate", stdout=StringIO())

    assert targeted_flag().everyone is False
    assert changes() == [("waffle-command", OS_USER, FLAG, "groups: beta", "nobody", "")]


def test_waffles_flag_command_with_groups_users_and_a_percentage_is_recorded_once(
    commit: Commit, waffle_argv: Callable[..., None]
) -> None:
    baker.make(Group, name="beta")
    baker.make(Group, name="ops")
    baker.make(User, username="alice")
    args = ["maintenance_mode", "-g", "beta", "-g", "ops", "-u", "alice", "-p", "10"]
    waffle_argv("waffle_flag", *args)

    # waffle_flag clears the groups and users, adds the ones given, then saves the flag
    # (Everyone unknown when neither --everyone nor --deactivate is given).
    with commit():
        call_command("waffle_flag", *args, stdout=StringIO())

    assert changes() == [
        ("waffle-command", OS_USER, FLAG, "nobody", "groups: beta, ops; users: alice; 10%", "")
    ]


def test_waffles_flag_command_resets_what_it_is_not_given(
    commit: Commit, waffle_argv: Callable[..., None]
) -> None:
    # Every run sets superusers, staff and logged-in users to its options (off unless
    # given): on the exempt flag that ends the superusers' exemption. Recorded as such.
    baker.make(Group, name="ops")
    waffle_argv("waffle_flag", "maintenance_mode_exempt", "--group", "ops")

    with commit():
        call_command("waffle_flag", "maintenance_mode_exempt", "--group", "ops", stdout=StringIO())

    assert changes() == [("waffle-command", OS_USER, EXEMPT, "superusers", "groups: ops", "")]


def test_waffles_delete_command_is_recorded(
    commit: Commit, waffle_argv: Callable[..., None]
) -> None:
    set_switch(True, "Maintenance")
    waffle_argv("waffle_delete", "--switches", "maintenance_mode")

    with commit():
        call_command("waffle_delete", "--switches", "maintenance_mode", stdout=StringIO())

    assert not switch_exists()
    assert changes() == [("waffle-command", OS_USER, SWITCH, "on", "missing", "")]


def test_any_other_save_is_other(commit: Commit) -> None:
    with commit():
        set_switch(True, "Shown to visitors")
    with commit():
        set_switch(False, "Shown to visitors")

    assert changes() == [
        ("other", OS_USER, SWITCH, "off", "on", ""),
        ("other", OS_USER, SWITCH, "on", "off", ""),
    ]


def test_a_new_switch_was_missing(commit: Commit) -> None:
    switch().delete()

    with commit():
        Switch.objects.create(name="maintenance_mode", active=True)

    assert changes() == [("other", OS_USER, SWITCH, "missing", "on", "")]


def test_the_outermost_channel_wins(commit: Commit) -> None:
    user = baker.make(User, username="bob")

    with (
        commit(),
        changing(Channel.COMMAND, reason="outer"),
        changing(Channel.API, user=user, reason="inner"),
    ):
        set_switch(True)

    assert changes() == [("command", OS_USER, SWITCH, "off", "on", "outer")]


def test_a_save_that_changes_nothing_records_nothing(commit: Commit) -> None:
    with commit():
        set_switch(False, "a note while off")
        flag = targeted_flag()
        flag.note = "a note"
        flag.rollout = True
        flag.save()

    assert changes() == []


# Flags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "new"),
    [
        ({"everyone": True}, "everyone"),
        ({"everyone": None, "staff": True}, "staff"),
        (
            {"everyone": None, "superusers": True, "authenticated": True, "testing": True},
            "superusers; logged-in users; testing",
        ),
        ({"everyone": None, "languages": "de,fr"}, "languages: de, fr"),
        ({"everyone": None, "percent": Decimal("12.5")}, "12.5%"),
        # Everyone "unknown" with nothing else targets nobody, as "No" does.
        ({"everyone": None}, None),
    ],
)
def test_a_flag_field_change_is_recorded_once(
    commit: Commit, fields: dict[str, Any], new: str | None
) -> None:
    flag = targeted_flag()
    for name, value in fields.items():
        setattr(flag, name, value)

    with commit():
        flag.save()

    expected = (
        [] if new is None else [("other", OS_USER, "flag maintenance_mode", "nobody", new, "")]
    )
    assert changes() == expected


def test_the_exempt_flag_is_recorded_too(commit: Commit) -> None:
    flag = exempt_flag()
    flag.staff = True

    with commit():
        flag.save()
    with commit():
        flag.delete()

    assert changes() == [
        ("other", OS_USER, EXEMPT, "superusers", "superusers; staff", ""),
        ("other", OS_USER, EXEMPT, "superusers; staff", "missing (nobody)", ""),
    ]


def test_groups_added_removed_and_cleared_from_the_flag(commit: Commit) -> None:
    flag = target()
    ops, dev = baker.make(Group, name="ops"), baker.make(Group, name="dev")

    with commit():
        flag.groups.add(ops, dev)
    with commit():
        flag.groups.remove(dev)
    with commit():
        flag.groups.clear()

    assert changes() == [
        ("other", OS_USER, FLAG, "nobody", "groups: dev, ops", ""),
        ("other", OS_USER, FLAG, "groups: dev, ops", "groups: ops", ""),
        ("other", OS_USER, FLAG, "groups: ops", "nobody", ""),
    ]
    assert not flag.groups.exists()


def test_groups_added_removed_and_cleared_from_the_group(commit: Commit) -> None:
    flag = target(staff=True)
    ops = baker.make(Group, name="ops")
    other = baker.make(Flag, name="beta")

    # waffle's Flag.groups has no related_name: the group's side is flag_set.
    with commit():
        ops.flag_set.add(flag, other)
    with commit():
        ops.flag_set.remove(flag)
    flag.groups.add(ops)
    with commit():
        ops.flag_set.clear()

    assert changes() == [
        ("other", OS_USER, FLAG, "staff", "staff; groups: ops", ""),
        ("other", OS_USER, FLAG, "staff; groups: ops", "staff", ""),
        ("other", OS_USER, FLAG, "staff; groups: ops", "staff", ""),
    ]
    assert not ops.flag_set.exists()


def test_users_added_and_cleared_from_either_side(commit: Commit) -> None:
    flag = target()
    carol = baker.make(User, username="carol")

    with commit():
        flag.users.add(carol)
    with commit():
        carol.flag_set.clear()
    with commit():
        carol.flag_set.add(flag)
    with commit():
        flag.users.clear()

    assert changes() == [
        ("other", OS_USER, FLAG, "nobody", "users: carol", ""),
        ("other", OS_USER, FLAG, "users: carol", "nobody", ""),
        ("other", OS_USER, FLAG, "nobody", "users: carol", ""),
        ("other", OS_USER, FLAG, "users: carol", "nobody", ""),
    ]


def test_members_of_a_flag_for_nobody_change_nobody(commit: Commit) -> None:
    # Everyone "No" leaves out the groups and users it names: nobody's state changes.
    flag = set_flag(targeted_flag(), everyone=False)

    with commit():
        flag.groups.add(baker.make(Group, name="ops"))
        flag.users.add(baker.make(User, username="carol"))

    assert changes() == []


def test_changes_in_one_transaction_are_one_record(commit: Commit) -> None:
    flag = target()
    ops = baker.make(Group, name="ops")

    with commit(), transaction.atomic():
        flag.groups.add(ops)
        set_flag(flag, percent=Decimal(10))
        flag.users.add(baker.make(User, username="carol"))
        ops.flag_set.remove(flag)

    assert changes() == [("other", OS_USER, FLAG, "nobody", "users: carol; 10%", "")]


def test_a_transaction_that_undoes_its_change_records_nothing(commit: Commit) -> None:
    flag = target()
    ops = baker.make(Group, name="ops")

    with commit(), transaction.atomic():
        flag.groups.add(ops)
        flag.groups.remove(ops)

    assert changes() == []


def test_a_change_rolled_back_to_a_savepoint_is_left_out(commit: Commit) -> None:
    flag = target()
    ops = baker.make(Group, name="ops")

    def add_then_fail() -> None:
        with transaction.atomic():
            flag.groups.add(ops)
            raise RuntimeError

    with commit():
        with pytest.raises(RuntimeError):
            add_then_fail()
        set_flag(flag, staff=True)
        with pytest.raises(RuntimeError):
            add_then_fail()

    assert changes() == [("other", OS_USER, FLAG, "nobody", "staff", "")]


def test_a_flag_created_with_its_groups_is_one_record(commit: Commit) -> None:
    targeted_flag().delete()
    beta = baker.make(Group, name="beta")

    with commit(), transaction.atomic():
        flag = Flag.objects.create(name="maintenance_mode", everyone=None, superusers=False)
        flag.groups.add(beta)

    assert changes() == [("other", OS_USER, FLAG, "missing (nobody)", "groups: beta", "")]


def test_a_flag_deleted_with_its_groups(commit: Commit) -> None:
    flag = target()
    flag.groups.add(baker.make(Group, name="beta"))

    with commit():
        flag.delete()

    assert changes() == [("other", OS_USER, FLAG, "groups: beta", "missing (nobody)", "")]


def test_both_flags_changed_together_are_one_record_each(commit: Commit) -> None:
    ops = baker.make(Group, name="ops")

    with commit(), transaction.atomic():
        ops.flag_set.add(target(), exempt_flag())

    assert sorted(changes()) == [
        ("other", OS_USER, FLAG, "nobody", "groups: ops", ""),
        ("other", OS_USER, EXEMPT, "superusers", "superusers; groups: ops", ""),
    ]


def test_adding_a_member_already_there_records_nothing(commit: Commit) -> None:
    flag = targeted_flag()
    ops = baker.make(Group, name="ops")
    flag.groups.add(ops)

    with commit():
        flag.groups.add(ops)
        ops.flag_set.add(flag)

    assert changes() == []


def test_a_group_without_flags_cleared_records_nothing(commit: Commit) -> None:
    ops = baker.make(Group, name="ops")

    with commit():
        ops.flag_set.clear()

    assert changes() == []


def test_other_flags_and_switches_are_not_recorded(commit: Commit) -> None:
    ops = baker.make(Group, name="ops")

    with commit():
        other_switch = Switch.objects.create(name="new_checkout", active=True)
        other_switch.active = False
        other_switch.save()
        other_switch.delete()
        beta = Flag.objects.create(name="beta", everyone=True)
        beta.groups.add(ops)
        ops.flag_set.remove(beta)
        beta.users.add(baker.make(User))
        beta.delete()

    assert changes() == []


def test_a_raw_save_is_not_recorded(commit: Commit) -> None:
    # loaddata saves raw rows: a fixture is not a change of state.
    data = serializers.serialize("json", [switch(), targeted_flag()])
    update_switch(active=True)

    with commit():
        for deserialized in serializers.deserialize("json", data):
            deserialized.save()

    assert switch().active is False
    assert changes() == []


# Windows --------------------------------------------------------------------------------


def test_a_window_created_edited_and_deleted(commit: Commit) -> None:
    start = datetime(2099, 1, 1, 8, 0, 12, 345678, tzinfo=dt_timezone.utc)
    end = start + HOUR

    with commit():
        window = MaintenanceWindow.objects.create(start=start, end=end, reason="Upgrade")
    subject = f"window #{window.pk}"
    with commit():
        window.end = None
        window.save()
    with commit():
        window.reason = "Only the reason"
        window.save()
    with commit():
        window.delete()

    assert changes() == [
        ("other", OS_USER, subject, "", "from 2099-01-01 08:00 to 09:00 UTC", "Upgrade"),
        (
            "other",
            OS_USER,
            subject,
            "from 2099-01-01 08:00 to 09:00 UTC",
            "from 2099-01-01 08:00 UTC until turned off",
            "Upgrade",
        ),
        ("other", OS_USER, subject, "from 2099-01-01 08:00 UTC until turned off", "removed", ""),
    ]


def test_a_raw_window_save_is_not_recorded(commit: Commit) -> None:
    window = MaintenanceWindow.objects.create(start=timezone.now() + HOUR, end=None)
    data = serializers.serialize("json", [window])

    with commit():
        for deserialized in serializers.deserialize("json", data):
            deserialized.save()

    assert changes() == []


def test_a_window_starting_at_once_is_recorded_as_created_only(commit: Commit) -> None:
    with commit(), changing(Channel.DASHBOARD):
        window = MaintenanceWindow.objects.create(start=None, end=timezone.now() + HOUR)

    ((channel, reason),) = MaintenanceChange.objects.values_list("channel", "reason")
    assert (channel, reason) == ("dashboard", "")
    assert window.start_recorded is True


def unrecorded(start: datetime | None, end: datetime | None, reason: str) -> MaintenanceWindow:
    """A window whose start and end no process has recorded yet."""
    window: MaintenanceWindow = MaintenanceWindow.objects.create(
        start=start, end=end, reason=reason
    )
    MaintenanceWindow.objects.filter(pk=window.pk).update(start_recorded=False)
    return window


def test_windows_starting_and_ending_are_recorded_once_across_processes(
    commit: Commit,
) -> None:
    now = timezone.now()
    running = unrecorded(now - HOUR, now + HOUR, "Reindexing")
    over = unrecorded(now - 2 * HOUR, now - HOUR, "Backup")
    upcoming = unrecorded(now + HOUR, now + 2 * HOUR, "Later")
    first, second = State(), State()

    with commit():
        snapshot = first.get(get_config())
    with commit():
        second.get(get_config())
    with commit():
        first.invalidate()
        first.get(get_config())

    assert sorted(changes(), key=lambda row: (row[2], row[4])) == [
        ("schedule", OS_USER, f"window #{running.pk}", "scheduled", "started", "Reindexing"),
        ("schedule", OS_USER, f"window #{over.pk}", "started", "ended", "Backup"),
        ("schedule", OS_USER, f"window #{over.pk}", "scheduled", "started", "Backup"),
    ]
    assert MaintenanceChange.objects.filter(user__isnull=False).count() == 0
    assert [
        (window.start_recorded, window.end_recorded)
        for window in MaintenanceWindow.objects.order_by("start")
    ] == [(True, True), (True, False), (False, False)]
    running_now = snapshot.window_at(now)
    assert running_now is not None
    assert running_now.reason == "Reindexing"
    assert snapshot.next_window(now + 90 * MINUTE) == snapshot.windows[-1]
    assert snapshot.windows[-1].reason == upcoming.reason


def another_process_claims(column: str, first: int, second: int) -> None:
    """Have "another process" claim the second window as soon as this one claims the
    first: between this process's read and its write. The trigger lives in the test's
    transaction and goes with it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TRIGGER another_process AFTER UPDATE OF {column} "
            f"ON maintenance_waffle_maintenancewindow WHEN NEW.id = {first} "
            f"BEGIN UPDATE maintenance_waffle_maintenancewindow SET {column} = 1 "
            f"WHERE id = {second}; END"
        )


@pytest.mark.parametrize("column", ["start_recorded", "end_recorded"])
def test_a_transition_claimed_by_another_process_is_not_recorded_again(
    commit: Commit, column: str
) -> None:
    now = timezone.now()
    first = unrecorded(now - 3 * HOUR, now - 2 * HOUR, "first")
    second = unrecorded(now - 2 * HOUR, now - HOUR, "second")
    if column == "end_recorded":
        MaintenanceWindow.objects.update(start_recorded=True)
    another_process_claims(column, first.pk, second.pk)

    with commit():
        record_transitions(now)

    recorded = sorted((row[4], row[5]) for row in changes())
    if column == "start_recorded":
        # The other process records the second start; both ends are still ours.
        assert recorded == [
            ("ended", "first"),
            ("ended", "second"),
            ("started", "first"),
        ]
    else:
        assert recorded == [("ended", "first")]


def test_a_failure_to_record_a_transition_is_logged_not_raised(
    commit: Commit, caplog: pytest.LogCaptureFixture
) -> None:
    now = timezone.now()
    window = unrecorded(now - HOUR, now + HOUR, "Reindexing")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER refuse BEFORE UPDATE ON maintenance_waffle_maintenancewindow "
            "BEGIN SELECT RAISE(ABORT, 'the database is read-only'); END"
        )

    with caplog.at_level(logging.WARNING, logger="maintenance_waffle"), commit():
        snapshot = State().get(get_config())

    assert snapshot.window_at(now) is not None
    assert "Could not record a maintenance window's transition." in caplog.text
    assert "the database is read-only" in caplog.text
    # The caller's transaction is still usable, and the transition is left for later.
    window.refresh_from_db()
    assert window.start_recorded is False
    assert changes() == []


# Commit ---------------------------------------------------------------------------------


def test_records_are_written_when_the_transaction_commits(commit: Commit) -> None:
    with commit() as callbacks:
        with transaction.atomic():
            set_switch(True)
            assert changes() == []
        # Still inside the test's own transaction.
        assert changes() == []

    assert callbacks
    assert changes() == [("other", OS_USER, SWITCH, "off", "on", "")]


def test_a_rolled_back_change_is_not_recorded(commit: Commit) -> None:
    def change_then_fail() -> None:
        with transaction.atomic():
            set_maintenance_mode(True, reason="never")
            raise RuntimeError

    with (
        commit() as callbacks,
        pytest.raises(RuntimeError),
    ):
        change_then_fail()

    assert callbacks == []
    assert changes() == []
    assert switch().active is False


def test_the_signal_is_sent_with_the_change(commit: Commit) -> None:
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    maintenance_mode_changed.connect(receiver)
    try:
        with commit():
            set_maintenance_mode(True, reason="Upgrade")
    finally:
        maintenance_mode_changed.disconnect(receiver)

    (kwargs,) = received
    assert kwargs["sender"] is MaintenanceChange
    assert kwargs["change"] == MaintenanceChange.objects.get()
    assert (kwargs["change"].new, kwargs["change"].reason) == ("on", "Upgrade")


def test_record_truncates_long_values(commit: Commit) -> None:
    with commit():
        record("s" * 300, "o" * 600, "n" * 600, Context(Channel.OTHER, reason="why"))

    change = MaintenanceChange.objects.get()
    assert (len(change.subject), len(change.old), len(change.new)) == (200, 500, 500)
    assert change.reason == "why"
