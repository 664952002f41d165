"""The only module that reads waffle's data: a process-local snapshot of it.

Every request decides from one immutable ``Snapshot``. It is read straight from the
database (never through waffle's cache, whose per-process copies can lag by minutes) at
most once per ``MAINTENANCE_WAFFLE_REFRESH_INTERVAL``; a change saved in this process
invalidates it at once. If a refresh fails, the last snapshot stays in use for up to
``MAINTENANCE_WAFFLE_MAX_STALENESS`` seconds, then the fallback value takes over.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from waffle import get_waffle_flag_model, get_waffle_switch_model
from waffle.utils import get_setting

from maintenance_waffle.conf import Config
from maintenance_waffle.models import BypassKey, MaintenanceWindow

logger = logging.getLogger("maintenance_waffle")


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
    #: Ids of the users who belong to one of ``group_ids``, so that a group check costs
    #: no query per request.
    group_member_ids: frozenset[Any] = frozenset()

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
            or self.group_member_ids
            or (trust_waffle_cookies and self.testing)
        )


@dataclass(frozen=True)
class Window:
    """A scheduled maintenance window (aware datetimes; None = open-ended)."""

    start: datetime | None = None
    end: datetime | None = None
    reason: str = ""
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
class Snapshot:
    """Waffle's maintenance data, and our windows, at one moment."""

    switch: bool = False
    reason: str = ""
    flag: FlagRule | None = None
    exempt: FlagRule | None = None
    #: Windows that had not ended when the snapshot was read (or whose end the audit
    #: trail has not recorded yet), by start.
    windows: tuple[Window, ...] = ()
    #: Ids and expiry times of the secret bypass keys in force.
    bypass_keys: tuple[tuple[int, datetime], ...] = ()
    #: True when no request can be in maintenance (the fast path): nothing is on, no
    #: window is pending and settings.MAINTENANCE_MODE is not True.
    idle: bool = True

    def window_at(self, now: datetime) -> Window | None:
        """The window covering ``now`` (the one ending last, if several do)."""
        covering = [window for window in self.windows if window.covers(now)]
        if not covering:
            return None
        # An open end outlasts every fixed one.
        return max(covering, key=lambda window: (window.end is None, window.end or now))

    def next_window(self, now: datetime) -> Window | None:
        """The window covering ``now``, else the next one to start."""
        return self.window_at(now) or next(
            (window for window in self.windows if window.start and window.start > now), None
        )


def make_snapshot(
    config: Config,
    switch: bool = False,
    reason: str = "",
    flag: FlagRule | None = None,
    exempt: FlagRule | None = None,
    windows: tuple[Window, ...] = (),
    bypass_keys: tuple[tuple[int, datetime], ...] = (),
) -> Snapshot:
    trust = config.trust_waffle_cookies
    # WAFFLE_OVERRIDE lets a query string turn on any existing flag.
    flag_possible = flag is not None and (
        flag.can_be_active(trust) or (trust and bool(get_setting("OVERRIDE")))
    )
    return Snapshot(
        switch=switch,
        reason=reason,
        flag=flag,
        exempt=exempt,
        windows=windows,
        bypass_keys=bypass_keys,
        idle=not switch and not flag_possible and not windows and config.override is not True,
    )


def current_time() -> datetime:
    """The current time, aware even with ``USE_TZ = False``."""
    current = timezone.now()
    if timezone.is_naive(current):
        current = timezone.make_aware(current)
    return current


def aware(value: datetime | None) -> datetime | None:
    """A datetime from the database or a caller, made aware in the current time zone."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def for_database(value: datetime | None) -> datetime | None:
    """A datetime as the database expects it (naive local time with ``USE_TZ = False``)."""
    if value is not None and not settings.USE_TZ:
        return timezone.make_naive(value)
    return value


@contextlib.contextmanager
def _savepoint_if_in_transaction(using: str) -> Iterator[None]:
    # On PostgreSQL a failed query poisons the surrounding transaction; a savepoint
    # confines the failure (missing tables, say) to this read.
    if connections[using].in_atomic_block:
        with transaction.atomic(using=using):
            yield
    else:
        yield


def groups_through(user_model: Any) -> list[Any]:
    """The user model's user-group link table, if it has one (custom models may not)."""
    return [
        field.remote_field.through
        for field in user_model._meta.many_to_many
        if field.name == "groups"
    ]


def _pairs(model: Any, field_name: str, column: str, values: Any, using: str) -> set[Any]:
    """(owner id, related id) pairs of the many-to-many ``model.field_name``."""
    field = model._meta.get_field(field_name)
    through = field.remote_field.through
    left = field.m2m_field_name() + "_id"
    right = field.m2m_reverse_field_name() + "_id"
    lookup = {(left if column == "left" else right) + "__in": values}
    return set(through._default_manager.using(using).filter(**lookup).values_list(left, right))


def load(config: Config) -> Snapshot:
    """Read the switch and both flags from the database (a handful of small queries)."""
    switch_model = get_waffle_switch_model()
    flag_model = get_waffle_flag_model()
    if get_setting("READ_FROM_WRITE_DB"):
        using = router.db_for_write(switch_model)
    else:
        using = router.db_for_read(switch_model)
    with _savepoint_if_in_transaction(using):
        row = (
            switch_model._default_manager.using(using)
            .filter(name=config.switch_name)
            .values_list("active", "note")
            .first()
        )
        flags = {
            values["name"]: values
            for values in flag_model._default_manager.using(using)
            .filter(name__in=(config.flag_name, config.exempt_flag_name))
            .values(
                "id",
                "name",
                "everyone",
                "percent",
                "testing",
                "superusers",
                "staff",
                "authenticated",
                "rollout",
                "languages",
            )
        }
        flag_ids = [values["id"] for values in flags.values()]
        users = _pairs(flag_model, "users", "left", flag_ids, using)
        groups = _pairs(flag_model, "groups", "left", flag_ids, using)
        members: set[Any] = set()
        user_model = get_user_model()
        if groups and groups_through(user_model):
            members = _pairs(user_model, "groups", "right", {group for _, group in groups}, using)
        now = for_database(current_time())
        windows = tuple(
            Window(aware(start), aware(end), reason, start_recorded, end_recorded)
            for start, end, reason, start_recorded, end_recorded in MaintenanceWindow.objects.using(
                using
            )
            .filter(Q(end__isnull=True) | Q(end__gt=now) | Q(end_recorded=False))
            .values_list("start", "end", "reason", "start_recorded", "end_recorded")
        )
        bypass_keys = tuple(
            (key, aware(expires))
            for key, expires in BypassKey.objects.using(using)
            .filter(revoked=False, expires__gt=now)
            .values_list("pk", "expires")
        )

    def rule(name: str) -> FlagRule | None:
        values = flags.get(name)
        if values is None:
            return None
        flag_id = values["id"]
        group_ids = frozenset(group for owner, group in groups if owner == flag_id)
        return FlagRule(
            name=name,
            everyone=values["everyone"],
            percent=float(values["percent"] or 0),
            testing=values["testing"],
            superusers=values["superusers"],
            staff=values["staff"],
            authenticated=values["authenticated"],
            rollout=values["rollout"],
            languages=frozenset(
                code.strip() for code in (values["languages"] or "").split(",") if code.strip()
            ),
            user_ids=frozenset(user for owner, user in users if owner == flag_id),
            group_ids=group_ids,
            group_member_ids=frozenset(user for user, group in members if group in group_ids),
        )

    return make_snapshot(
        config,
        switch=bool(row and row[0]),
        # The note is the reason only while the switch is on.
        reason=row[1] if row and row[0] else "",
        flag=rule(config.flag_name),
        exempt=rule(config.exempt_flag_name),
        windows=windows,
        bypass_keys=bypass_keys,  # type: ignore[arg-type]
    )


class State:
    """The process's current snapshot, refreshed by one thread at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the snapshot: the next request reads the state afresh."""
        self._snapshot: Snapshot | None = None
        self._loaded_at: float | None = None  # monotonic time of the last good load
        self._next_check = float("-inf")
        self._generation = 0

    def peek(self) -> Snapshot | None:
        """The current snapshot, or None when it must be refreshed first (no I/O)."""
        if time.monotonic() < self._next_check:
            return self._snapshot
        return None

    def get(self, config: Config) -> Snapshot:
        """The current snapshot, refreshing it first when it is due."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() < self._next_check:
            return snapshot
        return self._refresh(config)

    def invalidate(self) -> None:
        """Make the next request reload (after a change saved in this process)."""
        self._generation += 1
        self._next_check = float("-inf")

    def _refresh(self, config: Config) -> Snapshot:
        # With no snapshot at all, wait for the thread that is loading one; otherwise
        # keep serving the current one while another thread refreshes it.
        if not self._lock.acquire(blocking=self._snapshot is None):
            return self._snapshot  # type: ignore[return-value]
        try:
            now = time.monotonic()
            if self._snapshot is not None and now < self._next_check:
                return self._snapshot
            generation = self._generation
            try:
                snapshot = load(config)
            except Exception:
                snapshot = self._on_failure(config, now)
            else:
                self._loaded_at = now
                _record_transitions(snapshot)
            self._snapshot = snapshot
            if generation == self._generation:
                self._next_check = now + config.refresh_interval
            return snapshot
        finally:
            self._lock.release()

    def _on_failure(self, config: Config, now: float) -> Snapshot:
        previous = self._snapshot
        loaded_at = self._loaded_at
        if (
            previous is not None
            and loaded_at is not None
            and (now - loaded_at <= config.max_staleness)
        ):
            logger.warning(
                "Could not read the maintenance state; keeping the state read %.0f s ago.",
                now - loaded_at,
                exc_info=True,
            )
            return previous
        logger.warning(
            "Could not read the maintenance state and no recent state is known; "
            "using MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE (%s).",
            config.fallback_value,
            exc_info=True,
        )
        return make_snapshot(config, switch=config.fallback_value)


state = State()


@dataclass(frozen=True)
class SiteState:
    """What decides the site-wide state, as stored: the switch and every window."""

    active: bool = False
    note: str = ""
    windows: tuple[Window, ...] = ()


def read_site_state(config: Config) -> SiteState:
    """The stored site-wide state, read now (a missing switch reads as off)."""
    row = (
        get_waffle_switch_model()
        ._default_manager.filter(name=config.switch_name)
        .values_list("active", "note")
        .first()
    )
    windows = tuple(
        Window(start=aware(start), end=aware(end), reason=reason)
        for start, end, reason in MaintenanceWindow.objects.values_list("start", "end", "reason")
    )
    active, note = row if row is not None else (False, "")
    return SiteState(active=bool(active), note=str(note), windows=windows)


def write_site_state(
    config: Config,
    active: bool,
    note: str | None = None,
    windows: tuple[Window, ...] | None = None,
) -> None:
    """Save the switch and, unless ``windows`` is None, replace every window with
    ``windows``; then flush waffle's cache for the switch.

    ``note`` (shown to visitors as the reason) is left alone when None.
    """
    switch_model = get_waffle_switch_model()
    using = router.db_for_write(switch_model)
    with transaction.atomic(using=using):
        if windows is not None:
            MaintenanceWindow.objects.all().delete()
            for window in windows:
                MaintenanceWindow.objects.create(
                    start=for_database(window.start),
                    end=for_database(window.end),
                    reason=window.reason,
                )
        switch = switch_model._default_manager.filter(name=config.switch_name).first()
        if switch is None:
            switch = switch_model(name=config.switch_name)
        switch.active = active
        if note is not None:
            switch.note = note
        # Django's save() rather than waffle's, which flushes waffle's cache after the
        # commit and lets a cache outage escape once the state is already saved; the
        # rest of what waffle's save() does is done here.
        switch.modified = timezone.now()
        models.Model.save(switch)
        transaction.on_commit(lambda: _flush_waffle_cache(switch), using=using)


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


def _changed(**kwargs: Any) -> None:
    # Now for this thread's own next read, and again after the commit, so that a
    # reader that raced the transaction cannot keep the old state.
    state.invalidate()
    transaction.on_commit(state.invalidate, using=kwargs.get("using"))


def connect() -> None:
    """Invalidate the snapshot whenever data it holds is saved in this process."""
    flag_model = get_waffle_flag_model()
    senders: list[Any] = [get_waffle_switch_model(), flag_model, MaintenanceWindow, BypassKey]
    for sender in senders:
        post_save.connect(_changed, sender=sender, dispatch_uid=f"maintenance_waffle.{sender}")
        post_delete.connect(_changed, sender=sender, dispatch_uid=f"maintenance_waffle.{sender}")
    through_models = [
        flag_model._meta.get_field(name).remote_field.through  # type: ignore[union-attr]
        for name in ("users", "groups")
    ]
    for through in through_models + groups_through(get_user_model()):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"maintenance_waffle.{through}")


def settings_changed(**kwargs: Any) -> None:
    """``setting_changed`` receiver: names or intervals may differ now."""
    state.invalidate()


def _record_transitions(snapshot: Snapshot) -> None:
    """Have the audit trail record windows that started or ended since the last look."""
    now = current_time()
    if any(window.unrecorded_transition(now) for window in snapshot.windows):
        from maintenance_waffle.audit import record_transitions

        try:
            record_transitions(for_database(now))
        except Exception:
            logger.warning("Could not record a maintenance window's transition.", exc_info=True)
