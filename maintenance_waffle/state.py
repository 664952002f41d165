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
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from waffle import get_waffle_flag_model, get_waffle_switch_model
from waffle.utils import get_setting

from maintenance_waffle.conf import Config

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
class Snapshot:
    """Waffle's maintenance data at one moment."""

    switch: bool = False
    reason: str = ""
    flag: FlagRule | None = None
    exempt: FlagRule | None = None
    #: True when no request can be in maintenance (the fast path).
    idle: bool = True


def make_snapshot(
    config: Config,
    switch: bool = False,
    reason: str = "",
    flag: FlagRule | None = None,
    exempt: FlagRule | None = None,
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
        idle=not switch and not flag_possible,
    )


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
    )


class State:
    """The process's current snapshot, refreshed by one thread at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._loaded_at: float | None = None  # monotonic time of the last good load
        self._next_check = float("-inf")
        self._generation = 0

    def peek(self, config: Config) -> Snapshot | None:
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


def read_switch(config: Config) -> tuple[bool, str] | None:
    """The switch's (active, note) straight from the database, or None if missing."""
    row = (
        get_waffle_switch_model()
        ._default_manager.filter(name=config.switch_name)
        .values_list("active", "note")
        .first()
    )
    return None if row is None else (bool(row[0]), str(row[1]))


def write_switch(config: Config, active: bool, note: str | None = None) -> None:
    """Save the switch through waffle's model, so that waffle flushes its cache.

    ``note`` (shown to visitors as the reason) is left alone when None.
    """
    switch_model = get_waffle_switch_model()
    switch = switch_model._default_manager.filter(name=config.switch_name).first()
    if switch is None:
        switch = switch_model(name=config.switch_name)
    switch.active = active
    if note is not None:
        switch.note = note
    switch.save()


def _changed(**kwargs: Any) -> None:
    # Now for this thread's own next read, and again after the commit, so that a
    # reader that raced the transaction cannot keep the old state.
    state.invalidate()
    transaction.on_commit(state.invalidate, using=kwargs.get("using"))


def connect() -> None:
    """Invalidate the snapshot whenever waffle data saved in this process changes."""
    flag_model = get_waffle_flag_model()
    senders: list[Any] = [get_waffle_switch_model(), flag_model]
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
