"""The rows maintenance_waffle reads (waffle's switch and flags, the visitor's session),
as the tests read and write them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connection
from waffle.models import Flag, Switch

from maintenance_waffle import store
from maintenance_waffle.models import MaintenanceReason


def switch() -> Switch:
    row: Switch = Switch.objects.get(name="maintenance_mode")
    return row


def switch_exists() -> bool:
    exists: bool = Switch.objects.filter(name="maintenance_mode").exists()
    return exists


def set_switch(active: bool, reason: str = "") -> None:
    """Save the site-wide switch as waffle's admin would (no attribution of ours), and
    the reason given for the maintenance it holds on."""
    row = switch()
    row.active = active
    row.save()
    if active and reason:
        MaintenanceReason.objects.update_or_create(
            scope="maintenance_mode", defaults={"text": reason}
        )


def reason() -> str:
    """The reason stored for the site-wide maintenance."""
    return store.reason("maintenance_mode", "default")


def update_switch(**fields: Any) -> None:
    """Change the switch as another process would: its save moves the change stamp, and
    no signal reaches this one."""
    Switch.objects.filter(name="maintenance_mode").update(**fields)
    store.move_stamp("default")


def targeted_flag() -> Flag:
    flag: Flag = Flag.objects.get(name="maintenance_mode")
    return flag


def exempt_flag() -> Flag:
    flag: Flag = Flag.objects.get(name="maintenance_mode_exempt")
    return flag


def set_flag(flag: Flag, **fields: Any) -> Flag:
    """Save ``flag`` with ``fields`` changed, as waffle's admin would."""
    for name, value in fields.items():
        setattr(flag, name, value)
    flag.save()
    return flag


def target(flag: Flag | None = None, **fields: Any) -> Flag:
    """Let the criteria in ``fields`` decide whom ``flag`` (by default the targeted flag)
    applies to: Everyone unknown, then the criteria, as the targeted flag's note says."""
    return set_flag(flag or targeted_flag(), **{"everyone": None, **fields})


@contextlib.contextmanager
def table_gone(table: str) -> Iterator[None]:
    """``table`` is missing, as when the app is deployed before `migrate`."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_gone RENAME TO {table}")


def switch_table_gone() -> contextlib.AbstractContextManager[None]:
    """The switch table is missing, as when the app is deployed before `migrate`."""
    return table_gone("waffle_switch")


@contextlib.contextmanager
def switch_table_read_only() -> Iterator[None]:
    """Every insert into or update of the switch table fails (SQLite triggers)."""
    with connection.cursor() as cursor:
        for event in ("INSERT", "UPDATE"):
            cursor.execute(
                f"CREATE TRIGGER read_only_{event.lower()} BEFORE {event} ON waffle_switch "
                "BEGIN SELECT RAISE(ABORT, 'read-only'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for event in ("insert", "update"):
                cursor.execute(f"DROP TRIGGER read_only_{event}")


def logged_in(client: Any) -> bool:
    """Whether the test client's session holds a logged-in user."""
    return "_auth_user_id" in client.session
