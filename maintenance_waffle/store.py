"""The stored maintenance state: the only module that reads or writes its rows.

That is waffle's switch and flags (with their users, groups and the groups' members)
and this app's windows, bypass keys and audit trail. All of it lives on one database:
the one the router picks for waffle's Switch (for writing, or for reading unless
``WAFFLE_READ_FROM_WRITE_DB`` is set). Every function takes that alias as ``using``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from waffle import get_waffle_flag_model, get_waffle_switch_model
from waffle.utils import get_setting

from maintenance_waffle.models import (
    BypassKey,
    ChangeStamp,
    MaintenanceChange,
    MaintenanceReason,
    MaintenanceWindow,
)

logger = logging.getLogger("maintenance_waffle")

#: The columns of waffle's Flag that decide whom it targets.
FLAG_FIELDS = (
    "everyone",
    "percent",
    "testing",
    "superusers",
    "staff",
    "authenticated",
    "rollout",
    "languages",
)


# Values --------------------------------------------------------------------------------


#: The groups, among those a flag names, that the user with a given id belongs to.
Members = Callable[[Any], frozenset[Any]]


@dataclass(frozen=True)
class FlagRule:
    """Everything needed to evaluate one waffle Flag for a request."""

    name: str
    everyone: bool | None = None
    percent: float = 0.0
    testing: bool = False
    superusers: bool = False
    staff: bool = False
    authenticated: bool = False
    rollout: bool = False
    languages: frozenset[str] = frozenset()
    user_ids: frozenset[Any] = frozenset()
    group_ids: frozenset[Any] = frozenset()
    #: The groups, among ``group_ids``, of the user with a given id. Members are not
    #: loaded with the rule: the snapshot asks per user (state.Membership).
    members: Members = field(default=lambda user_id: frozenset(), compare=False, repr=False)

    @classmethod
    def of(
        cls,
        name: str,
        values: Mapping[str, Any],
        user_ids: Iterable[Any] = (),
        group_ids: Iterable[Any] = (),
    ) -> FlagRule:
        """The rule of a flag's row (``values`` has the columns of FLAG_FIELDS)."""
        return cls(
            name=name,
            everyone=values["everyone"],
            percent=float(values["percent"] or 0),
            testing=bool(values["testing"]),
            superusers=bool(values["superusers"]),
            staff=bool(values["staff"]),
            authenticated=bool(values["authenticated"]),
            rollout=bool(values["rollout"]),
            languages=frozenset(
                code.strip() for code in (values["languages"] or "").split(",") if code.strip()
            ),
            user_ids=frozenset(user_ids),
            group_ids=frozenset(group_ids),
        )

    def can_be_active(self, trust_waffle_cookies: bool) -> bool:
        """Whether some request could make this flag active."""
        if self.everyone is not None:
            return self.everyone
        return bool(
            self.percent > 0
            or self.superusers
            or self.staff
            or self.authenticated
            or self.languages
            or self.user_ids
            or self.group_ids
            or (trust_waffle_cookies and self.testing)
        )


@dataclass(frozen=True)
class Window:
    """A scheduled maintenance window (aware datetimes; None = open-ended)."""

    start: datetime | None = None
    end: datetime | None = None
    reason: str = ""
    #: "" (site-wide), "read-only" or "area:<name>" (conf.READ_ONLY, conf.area_scope).
    scope: str = ""
    #: Whether the audit trail already has this window's start / end (see audit.py).
    start_recorded: bool = field(default=True, compare=False)
    end_recorded: bool = field(default=True, compare=False)

    def covers(self, now: datetime) -> bool:
        # Start inclusive, end exclusive, as django-maintenance-mode's schedules.
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)

    def unrecorded_transition(self, now: datetime) -> bool:
        return (not self.start_recorded and self.start is not None and self.start <= now) or (
            not self.end_recorded and self.end is not None and self.end <= now
        )


@dataclass(frozen=True)
class SiteState:
    """What decides the state of one scope, as stored: its switch and its windows."""

    active: bool = False
    reason: str = ""
    windows: tuple[Window, ...] = ()


def current_time() -> datetime:
    """The current time, aware even with ``USE_TZ = False``."""
    current = timezone.now()
    if timezone.is_naive(current):
        current = timezone.make_aware(current)
    return current


#: A datetime or None, and the same kind back.
MaybeTime = TypeVar("MaybeTime", bound=datetime | None)


def aware(value: MaybeTime) -> MaybeTime:
    """A datetime from the database or a caller, made aware in the current time zone."""
    if value is not None and timezone.is_naive(value):
        return cast(MaybeTime, timezone.make_aware(value))
    return value


def for_database(value: MaybeTime) -> MaybeTime:
    """A datetime as the database expects it (naive local time with ``USE_TZ = False``)."""
    if value is not None and not settings.USE_TZ:
        return cast(MaybeTime, timezone.make_naive(value))
    return value


# Where ---------------------------------------------------------------------------------


def read_alias() -> str:
    """The database to read the state from."""
    if get_setting("READ_FROM_WRITE_DB"):
        return write_alias()
    return str(router.db_for_read(get_waffle_switch_model()))


def write_alias() -> str:
    """The database to write the state to."""
    return str(router.db_for_write(get_waffle_switch_model()))


@contextlib.contextmanager
def savepoint_if_in_transaction(using: str) -> Iterator[None]:
    """Confine a failing query (missing tables, say) to itself: on PostgreSQL it would
    poison the surrounding transaction."""
    if connections[using].in_atomic_block:
        with transaction.atomic(using=using):
            yield
    else:
        yield


# The change stamp ----------------------------------------------------------------------

#: The primary key of the change stamp's one row.
STAMP = 1


#: The databases whose stamp table has been read: no savepoint is needed there.
_stamp_readable: set[str] = set()


def read_stamp(using: str) -> int | None:
    """The change stamp's value: one indexed single-row read. None when the row is
    missing (deleted by hand), which makes every refresh a full read."""
    rows = ChangeStamp.objects.using(using).filter(pk=STAMP).values_list("value", flat=True)
    if using in _stamp_readable:
        return next(iter(rows), None)
    # Until the table is known to exist (a deploy may run before migrate), in a savepoint.
    with savepoint_if_in_transaction(using):
        value = next(iter(rows), None)
    _stamp_readable.add(using)
    return value


def move_stamp(using: str) -> None:
    """Move the change stamp, in the current transaction of ``using``.

    A failure (the table not migrated yet, say) is logged and confined to a savepoint:
    the change itself goes on, and every process sees it at its next full read.
    """
    try:
        with transaction.atomic(using=using):
            rows = ChangeStamp.objects.using(using).filter(pk=STAMP)
            if not rows.update(value=F("value") + 1):
                ChangeStamp.objects.using(using).create(pk=STAMP, value=1)
    except DatabaseError:
        logger.warning(
            "Could not move the maintenance change stamp; other processes see this change "
            "at their next full read (MAINTENANCE_WAFFLE_FULL_REFRESH_INTERVAL).",
            exc_info=True,
        )


# Reading -------------------------------------------------------------------------------


def switch(name: str, using: str) -> Any:
    """The waffle Switch named ``name``, or None."""
    return get_waffle_switch_model()._default_manager.using(using).filter(name=name).first()


def active_switches(names: Iterable[str], using: str) -> frozenset[str]:
    """Which of the switches named ``names`` are on: one query."""
    return frozenset(
        get_waffle_switch_model()
        ._default_manager.using(using)
        .filter(name__in=list(names), active=True)
        .values_list("name", flat=True)
    )


def reasons(scopes: Iterable[str], using: str) -> dict[str, str]:
    """The reasons given for the maintenance of ``scopes`` (switch names) in force."""
    return dict(
        MaintenanceReason.objects.using(using)
        .filter(scope__in=list(scopes))
        .values_list("scope", "text")
    )


def switch_state(name: str, using: str) -> bool:
    """Whether the switch named ``name`` is on; a missing switch is off."""
    return bool(
        get_waffle_switch_model()
        ._default_manager.using(using)
        .filter(name=name, active=True)
        .exists()
    )


def reason(scope: str, using: str) -> str:
    """The reason given for the maintenance of ``scope`` (a switch's name) now in force."""
    text = MaintenanceReason.objects.using(using).filter(scope=scope).values_list("text")
    row = text.first()
    return row[0] if row is not None else ""


def clear_reason(scope: str, using: str | None) -> None:
    """The maintenance of ``scope`` ended: forget why it was on."""
    MaintenanceReason.objects.using(using).filter(scope=scope).delete()


def flags(names: Iterable[str], using: str) -> dict[str, Any]:
    """The waffle Flags named in ``names`` (those that exist), with their users and groups."""
    queryset = get_waffle_flag_model()._default_manager.using(using).filter(name__in=names)
    return {flag.name: flag for flag in queryset.prefetch_related("users", "groups")}


def rule_of(flag: Any) -> FlagRule:
    """The rule of a Flag instance, from its own columns (no users or groups)."""
    return FlagRule.of(flag.name, {name: getattr(flag, name) for name in FLAG_FIELDS})


def member_names(rule: FlagRule, using: str) -> tuple[list[str], list[str]]:
    """The names of the groups and of the users that ``rule`` names."""
    group_model = get_waffle_flag_model()._meta.get_field("groups").related_model
    user_model = get_user_model()
    groups = group_model._default_manager.using(using).filter(  # type: ignore[union-attr]
        pk__in=rule.group_ids
    )
    users = user_model._default_manager.using(using).filter(pk__in=rule.user_ids)
    return (
        [str(name) for name in groups.values_list("name", flat=True)],
        [str(name) for name in users.values_list(user_model.USERNAME_FIELD, flat=True)],
    )


def groups_through(user_model: Any) -> list[Any]:
    """The user model's user-group link table, if it has one (custom models may not)."""
    return [
        field.remote_field.through
        for field in user_model._meta.many_to_many
        if field.name == "groups"
    ]


def _links(field: Any) -> tuple[Any, str, str]:
    """The link table of a many-to-many field, and its two id columns."""
    left = field.m2m_field_name() + "_id"
    return field.remote_field.through, left, field.m2m_reverse_field_name() + "_id"


def flag_rules(names: Iterable[str], using: str) -> dict[str, FlagRule]:
    """The rules of the flags named in ``names`` (those that exist), with the ids of
    their users and groups: three small queries, whatever the size of the groups."""
    flag_model = get_waffle_flag_model()
    rows = {
        values["name"]: values
        for values in flag_model._default_manager.using(using)
        .filter(name__in=names)
        .values("id", "name", *FLAG_FIELDS)
    }
    ids = [values["id"] for values in rows.values()]
    linked = {}
    for name in ("users", "groups"):
        through, left, right = _links(flag_model._meta.get_field(name))
        linked[name] = set(
            through._default_manager.using(using)
            .filter(**{left + "__in": ids})
            .values_list(left, right)
        )
    return {
        name: FlagRule.of(
            name,
            values,
            user_ids=(user for owner, user in linked["users"] if owner == values["id"]),
            group_ids=(group for owner, group in linked["groups"] if owner == values["id"]),
        )
        for name, values in rows.items()
    }


def names_groups(flag_names: Iterable[str], group_ids: Iterable[Any], using: str) -> bool:
    """Whether one of the flags named ``flag_names`` names one of ``group_ids``."""
    through, left, right = _links(get_waffle_flag_model()._meta.get_field("groups"))
    flag = left.removesuffix("_id")
    links = through._default_manager.using(using).filter(
        **{f"{flag}__name__in": list(flag_names), right + "__in": list(group_ids)}
    )
    return bool(links.exists())


def user_groups(user_id: Any, group_ids: Iterable[Any], using: str) -> frozenset[Any]:
    """The groups among ``group_ids`` that the user ``user_id`` belongs to: one indexed
    query (none for a user model without groups)."""
    user_model = get_user_model()
    if not groups_through(user_model):
        return frozenset()
    through, left, right = _links(user_model._meta.get_field("groups"))
    rows = through._default_manager.using(using).filter(
        **{left: user_id, right + "__in": list(group_ids)}
    )
    return frozenset(rows.values_list(right, flat=True))


def _not_ended(now: datetime) -> Q:
    return Q(end__isnull=True) | Q(end__gt=for_database(now))


def pending_windows(using: str, now: datetime) -> QuerySet[MaintenanceWindow]:
    """The windows that have not ended at ``now``, active or upcoming, by start."""
    queryset: QuerySet[MaintenanceWindow] = (
        MaintenanceWindow.objects.using(using).filter(_not_ended(now)).order_by("start")
    )
    return queryset


def windows(
    using: str, now: datetime | None = None, scope: str | None = None
) -> tuple[Window, ...]:
    """Every stored window (of ``scope`` unless it is None); with ``now``, only those
    not ended at ``now`` or whose end the audit trail has not recorded yet."""
    queryset = MaintenanceWindow.objects.using(using)
    if now is not None:
        queryset = queryset.filter(_not_ended(now) | Q(end_recorded=False))
    if scope is not None:
        queryset = queryset.filter(scope=scope)
    return tuple(
        Window(aware(start), aware(end), reason, scope_, start_recorded, end_recorded)
        for start, end, reason, scope_, start_recorded, end_recorded in queryset.values_list(
            "start", "end", "reason", "scope", "start_recorded", "end_recorded"
        )
    )


def bypass_keys_in_force(using: str, now: datetime) -> QuerySet[BypassKey]:
    """The bypass keys neither revoked nor expired at ``now``."""
    queryset: QuerySet[BypassKey] = BypassKey.objects.using(using).filter(
        revoked=False, expires__gt=for_database(now)
    )
    return queryset


def last_changes(using: str, limit: int) -> list[MaintenanceChange]:
    """The latest ``limit`` records of the audit trail, newest first."""
    return list(MaintenanceChange.objects.using(using)[:limit])


def read_site_state(switch_name: str, using: str, scope: str = "") -> SiteState:
    """The stored state of ``scope`` (site-wide by default), whose switch is
    ``switch_name`` (a missing switch reads as off)."""
    active = switch_state(switch_name, using)
    windows_ = tuple(
        Window(start=window.start, end=window.end, reason=window.reason, scope=scope)
        for window in windows(using, scope=scope)
    )
    return SiteState(
        active=active, reason=reason(switch_name, using) if active else "", windows=windows_
    )


# Writing -------------------------------------------------------------------------------


def write_site_state(
    switch_name: str,
    active: bool,
    reason: str | None = None,
    windows: tuple[Window, ...] | None = None,
    scope: str = "",
) -> None:
    """Save the switch and, unless ``windows`` is None, replace every window of
    ``scope`` (site-wide by default) with ``windows``, in one transaction; then flush
    waffle's cache for the switch.

    ``reason`` (shown to visitors) is kept when None while the switch stays on; turning
    the switch off forgets it (``clear_reason``, from the switch's post_save).
    """
    using = write_alias()
    with transaction.atomic(using=using):
        if windows is not None:
            MaintenanceWindow.objects.using(using).filter(scope=scope).delete()
            for window in windows:
                MaintenanceWindow(
                    start=for_database(window.start),
                    end=for_database(window.end),
                    reason=window.reason,
                    scope=scope,
                ).save(using=using)
        row = switch(switch_name, using)
        if row is None:
            row = get_waffle_switch_model()(name=switch_name)
        row.active = active
        # Django's save() rather than waffle's, which flushes waffle's cache after the
        # commit and lets a cache outage escape once the state is already saved; the
        # rest of what waffle's save() does is done here.
        row.modified = timezone.now()
        models.Model.save(row, using=using)
        if active and reason is not None:
            MaintenanceReason.objects.using(using).update_or_create(
                scope=switch_name, defaults={"text": reason}
            )
        transaction.on_commit(lambda: _flush_waffle_cache(row), using=using)


def create_switches(names: Iterable[str], using: str) -> None:
    """Create the switches named ``names`` that do not exist yet, off; existing rows are
    left alone. No signal is sent: nothing changes for anyone."""
    model = get_waffle_switch_model()
    existing = set(
        model._default_manager.using(using)
        .filter(name__in=list(names))
        .values_list("name", flat=True)
    )
    model._default_manager.using(using).bulk_create(
        [model(name=name, active=False) for name in names if name not in existing],
        ignore_conflicts=True,
    )


def _flush_waffle_cache(switch: Any) -> None:
    try:
        switch.flush()
    except Exception as error:
        # Our snapshot never reads waffle's cache; waffle's own checks elsewhere may lag
        # until the entry expires.
        logger.warning(
            "The maintenance state was saved, but waffle's cache could not be flushed: %s",
            error,
        )


def end_window(pk: Any) -> bool:
    """End the window ``pk`` now, or cancel it if it has not started; False if there is
    no such window."""
    using = write_alias()
    window = MaintenanceWindow.objects.using(using).filter(pk=pk).first()
    if window is None:
        return False
    now = timezone.now()  # comparable with, and storable as, the window's times
    if window.start is not None and window.start > now:
        window.delete(using=using)  # not started yet: cancel it
    else:
        window.end = now
        # This change's own record says the window ended; the schedule must not record
        # its end a second time.
        window.end_recorded = True
        window.save(using=using)
    return True


def create_bypass_key(expires: datetime, created_by: str) -> BypassKey:
    """A new bypass key, in force until ``expires``."""
    key = BypassKey(expires=for_database(expires), created_by=created_by)
    key.save(using=write_alias())
    return key


def revoke_bypass_keys(now: datetime) -> int:
    """Revoke every bypass key in force; return how many there were."""
    using = write_alias()
    with transaction.atomic(using=using):
        count = int(bypass_keys_in_force(using, now).update(revoked=True))
        if count:
            # A bulk update sends no signal.
            move_stamp(using)
    return count


def claim_transitions(now: datetime) -> list[tuple[MaintenanceWindow, str, str]]:
    """The windows that started or ended by ``now`` unrecorded, as (window, old, new),
    each marked recorded by this call: the process whose UPDATE flips the row's flag
    is the one that gets it, so every transition is claimed exactly once."""
    using = write_alias()
    claimed = []
    # In a savepoint: a failed UPDATE must not poison the caller's transaction (on
    # PostgreSQL every later query of the request would fail).
    with transaction.atomic(using=using):
        rows = MaintenanceWindow.objects.using(using)
        for edge, old, new in (("start", "scheduled", "started"), ("end", "started", "ended")):
            unrecorded = {f"{edge}_recorded": False}
            for window in rows.filter(**unrecorded, **{f"{edge}__lte": for_database(now)}):
                if rows.filter(pk=window.pk, **unrecorded).update(**{f"{edge}_recorded": True}):
                    claimed.append((window, old, new))
        if claimed:
            # So that no process tries to claim them again.
            move_stamp(using)
    return claimed
