"""The waffle rows maintenance_waffle uses, as the tests read and write them."""

from __future__ import annotations

from waffle.models import Flag, Switch


def switch() -> Switch:
    row: Switch = Switch.objects.get(name="maintenance_mode")
    return row


def targeted_flag() -> Flag:
    flag: Flag = Flag.objects.get(name="maintenance_mode")
    return flag


def set_switch(active: bool, note: str = "") -> None:
    """Save the site-wide switch as waffle's admin would (no attribution of ours)."""
    row = switch()
    row.active = active
    row.note = note
    row.save()
