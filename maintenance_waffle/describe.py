"""How a flag's targeting and a window are put in words, wherever they are shown: the
audit trail, the command and the dashboard."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext

if TYPE_CHECKING:
    from maintenance_waffle.store import FlagRule


def flag(rule: FlagRule | None, groups: Iterable[str] = (), users: Iterable[str] = ()) -> str:
    """Whom the flag ``rule`` targets, e.g. "staff; groups: beta, ops; 25%".

    ``groups`` and ``users`` are the names of the rule's groups and users, where the
    caller has them.
    """
    if rule is None:
        return gettext("missing (nobody)")
    if rule.everyone is not None:
        return gettext("everyone") if rule.everyone else gettext("nobody")
    parts = [
        label
        for label, on in (
            (gettext("superusers"), rule.superusers),
            (gettext("staff"), rule.staff),
            (gettext("logged-in users"), rule.authenticated),
            (gettext("testing"), rule.testing),
        )
        if on
    ]
    for label, names in (
        (gettext("languages"), sorted(rule.languages)),
        (gettext("groups"), sorted(groups)),
        (gettext("users"), sorted(users)),
    ):
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    if rule.percent:
        parts.append(f"{rule.percent:g}%")
    return "; ".join(parts) or gettext("nobody")


def _local(value: datetime) -> datetime:
    """``value`` in the project's time zone (a naive value is taken to be in it)."""
    zone = timezone.get_default_timezone()
    if timezone.is_naive(value):
        value = timezone.make_aware(value, zone)
    return timezone.localtime(value, zone)


def _minute(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}"


def moment(value: datetime) -> str:
    """A time as people read it: in the project's time zone (``TIME_ZONE``, not one a
    request activated), to the minute, the zone named: "2026-12-05 10:00 UTC"."""
    return f"{_minute(_local(value))} {timezone.get_default_timezone_name()}"


def until(end: datetime | None) -> str:
    """When maintenance ends: "until 2026-12-05 12:00 UTC", or "until turned off"."""
    if end is None:
        return gettext("until turned off")
    return gettext("until %(end)s") % {"end": moment(end)}


def window(start: datetime | None, end: datetime | None) -> str:
    """A window's span, e.g. "from 2026-12-05 10:00 to 12:00 UTC" (the end's date is
    left out when it is the start's), "from now until 2026-12-05 12:00 UTC",
    "from 2026-12-05 10:00 UTC until turned off"."""
    if start is None:
        if end is None:
            return gettext("from now until turned off")
        return gettext("from now until %(end)s") % {"end": moment(end)}
    if end is None:
        return gettext("from %(start)s until turned off") % {"start": moment(start)}
    first, last = _local(start), _local(end)
    to = f"{last:%H:%M}" if last.date() == first.date() else _minute(last)
    return gettext("from %(start)s to %(end)s") % {
        "start": _minute(first),
        "end": f"{to} {timezone.get_default_timezone_name()}",
    }
