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
    """Whom the flag ``rule`` targets, e.g. "staff; 25%; groups: beta, ops".

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


def moment(value: datetime) -> str:
    """A stored or given time, in ISO 8601 in the current time zone."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return timezone.localtime(value).isoformat()


def window(start: datetime | None, end: datetime | None) -> str:
    """A window's span, e.g. "now → 2099-01-01T10:00:00+00:00"."""
    since = moment(start) if start is not None else gettext("now")
    until = moment(end) if end is not None else gettext("until turned off")
    return f"{since} → {until}"
