"""The process's snapshot of the maintenance state, and how it is kept fresh.

Every request decides from one immutable ``Snapshot``. It is read straight from the
database through ``store`` (never through waffle's cache, whose per-process copies can
lag by minutes) at most once per ``MAINTENANCE_WAFFLE_REFRESH_INTERVAL``; a change saved
in this process invalidates it at once. If a refresh fails, the last snapshot stays in
use for up to ``MAINTENANCE_WAFFLE_MAX_STALENESS`` seconds, then the fallback value takes
over.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from waffle import get_waffle_flag_model, get_waffle_switch_model
from waffle.utils import get_setting

from maintenance_waffle import audit, store
from maintenance_waffle.conf import Config, get_config, override_unchanged
from maintenance_waffle.models import BypassKey, MaintenanceReason, MaintenanceWindow
from maintenance_waffle.store import FlagRule, Window, aware, current_time

__all__ = [
    "FlagRule",
    "Membership",
    "Snapshot",
    "State",
    "Window",
    "aware",
    "connect",
    "current_time",
    "load",
    "make_snapshot",
    "refresh",
    "settings_changed",
    "state",
]

logger = logging.getLogger("maintenance_waffle")


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
    #: The change stamp read just before the data; None if unknown (a fallback state,
    #: or no stamp row), which the next refresh never takes as unchanged.
    stamp: int | None = None
    #: Read-only mode's switch is on.
    read_only: bool = False
    #: The areas whose switch is on.
    areas: frozenset[str] = frozenset()
    #: The reasons of read-only mode and of the areas in force, by switch name.
    reasons: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def window_at(self, now: datetime, scope: str = "") -> Window | None:
        """The window of ``scope`` (site-wide by default) covering ``now`` (the one
        ending last, if several do)."""
        covering = [
            window for window in self.windows if window.scope == scope and window.covers(now)
        ]
        if not covering:
            return None
        # An open end outlasts every fixed one.
        return max(covering, key=lambda window: (window.end is None, window.end or now))

    def next_window(self, now: datetime, scope: str = "") -> Window | None:
        """The window of ``scope`` covering ``now``, else its next one to start."""
        return self.window_at(now, scope) or next(
            (
                window
                for window in self.windows
                if window.scope == scope and window.start and window.start > now
            ),
            None,
        )

    @property
    def scoped(self) -> bool:
        """Whether read-only mode or an area may be on: its switch, or a pending window."""
        return self.read_only or bool(self.areas) or any(window.scope for window in self.windows)


def make_snapshot(
    config: Config,
    switch: bool = False,
    reason: str = "",
    flag: FlagRule | None = None,
    exempt: FlagRule | None = None,
    windows: tuple[Window, ...] = (),
    bypass_keys: tuple[tuple[int, datetime], ...] = (),
    read_only: bool = False,
    areas: frozenset[str] = frozenset(),
    reasons: Mapping[str, str] | None = None,
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
        read_only=read_only,
        areas=areas,
        reasons=reasons or {},
        idle=not switch
        and not flag_possible
        and not windows
        and config.override is not True
        and not read_only
        and not areas,
    )


def load(config: Config) -> Snapshot:
    """Read the switch, both flags, the windows and the bypass keys (a handful of small
    queries), from the database the state is read from."""
    using = store.read_alias()
    with store.savepoint_if_in_transaction(using):
        on = store.active_switches(config.switch_names, using)
        reasons = store.reasons(on, using) if on else {}
        rules = store.flag_rules(config.flag_names, using)
        now = current_time()
        # Windows of an area no longer configured are ignored.
        windows = tuple(
            window for window in store.windows(using, now) if window.scope in config.scopes
        )
        bypass_keys = tuple(
            (key, aware(expires))
            for key, expires in store.bypass_keys_in_force(using, now).values_list("pk", "expires")
        )
    # One memory of who belongs to which of the flags' groups, for both flags and for
    # as long as this snapshot lives (until the change stamp moves).
    members = Membership(
        frozenset().union(*(rule.group_ids for rule in rules.values())),
        using,
        config.membership_cache_size,
    )
    rules = {name: dataclasses.replace(rule, members=members) for name, rule in rules.items()}
    return make_snapshot(
        config,
        switch=config.switch_name in on,
        reason=reasons.pop(config.switch_name, ""),
        flag=rules.get(config.flag_name),
        exempt=rules.get(config.exempt_flag_name or ""),
        windows=windows,
        bypass_keys=bypass_keys,
        read_only=config.read_only_switch_name in on,
        areas=frozenset(area for area in config.area_names if config.area_switch_name(area) in on),
        reasons=reasons,
    )


class Membership:
    """Which of the flags' groups a user belongs to: asked of the database once per user
    (one indexed query) and remembered, the least recently asked forgotten first."""

    def __init__(self, group_ids: frozenset[Any], using: str, size: int) -> None:
        self._group_ids = group_ids
        self._using = using
        self._size = size
        self._known: OrderedDict[Any, frozenset[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, user_id: Any) -> frozenset[Any]:
        if not self._group_ids:
            return frozenset()
        with self._lock:
            groups = self._known.get(user_id)
            if groups is not None:
                self._known.move_to_end(user_id)
                return groups
        try:
            groups = store.user_groups(user_id, self._group_ids, self._using)
        except DatabaseError:
            # Never a 500: in none of the groups this time; asked again next time.
            logger.warning("Could not read a user's groups for maintenance.", exc_info=True)
            return frozenset()
        with self._lock:
            self._known[user_id] = groups
            while len(self._known) > self._size:
                self._known.popitem(last=False)
        return groups

    def __len__(self) -> int:
        return len(self._known)


def refresh(config: Config, previous: Snapshot | None, full: bool) -> Snapshot:
    """The state now: ``previous`` itself when the change stamp has not moved since it
    was read (one single-row query), else a full read; ``full`` forces the full read."""
    using = store.read_alias()
    try:
        stamp = store.read_stamp(using)
    except DatabaseError:
        # The table not migrated yet, or the database down: the full read tells.
        stamp, readable = None, False
    else:
        readable = True
    if not full and previous is not None and stamp is not None and stamp == previous.stamp:
        return previous
    snapshot = load(config)
    _stamp_usable(stamp is not None, "cannot be read" if not readable else "is missing")
    return dataclasses.replace(snapshot, stamp=stamp)


_stamp_warned = False


def _stamp_usable(usable: bool, problem: str) -> None:
    """Warn once when the stamp cannot serve, and again if it fails after coming back."""
    global _stamp_warned
    if usable:
        _stamp_warned = False
    elif not _stamp_warned:
        _stamp_warned = True
        logger.warning(
            "The maintenance change stamp %s (has migrate run?); every refresh is a full "
            "read until it is back.",
            problem,
        )


# Transactions ----------------------------------------------------------------------------
# A snapshot read while a transaction that changed maintenance data is open may hold what
# that transaction has not committed. It is kept only while every atomic block open at
# the time of the read is, so that after a commit or a rollback (the end of a test in
# Django's TestCase or pytest-django's ``db``) the next request reads again.

#: (database alias, serial numbers of its open atomic blocks) for each database read.
Binding = tuple[tuple[str, tuple[int, ...]], ...]

_DIRTY = "_maintenance_waffle_dirty"
_SERIAL = "_maintenance_waffle_serial"
_serials = itertools.count(1)


def _serial(block: Any) -> int:
    serial = getattr(block, _SERIAL, None)
    if serial is None:
        serial = next(_serials)
        setattr(block, _SERIAL, serial)
    return int(serial)


def _blocks(using: str) -> tuple[int, ...]:
    return tuple(_serial(block) for block in connections[using].atomic_blocks)


def _mark_dirty(using: str) -> None:
    """Note that maintenance data changed inside the open transaction of ``using``."""
    connection = connections[using]
    if connection.in_atomic_block:
        setattr(connection, _DIRTY, _serial(connection.atomic_blocks[0]))


def _binding() -> Binding | None:
    """What a snapshot read now depends on: the open blocks of each database whose
    transaction changed maintenance data; None when there is none."""
    binding = []
    for using in sorted({store.read_alias(), store.write_alias()}):
        connection = connections[using]
        dirty = getattr(connection, _DIRTY, None)
        if dirty is None:
            continue
        blocks = _blocks(using)
        if blocks[:1] != (dirty,):
            setattr(connection, _DIRTY, None)  # that transaction is over
            continue
        binding.append((using, blocks))
    return tuple(binding) or None


def _still_open(binding: Binding) -> bool:
    return all(_blocks(using)[: len(blocks)] == blocks for using, blocks in binding)


class State:
    """The process's current snapshot, refreshed by one thread at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the snapshot: the next request reads the state afresh."""
        self._snapshot: Snapshot | None = None
        self._loaded_at: float | None = None  # monotonic time of the last good read
        self._full_at = float("-inf")  # ... and of the last full one
        self._next_check = float("-inf")
        self._generation = 0
        self._full_generation = -1  # the generation the last full read was for
        # The open transaction the snapshot may show uncommitted changes of (see below).
        self._binding: Binding | None = None

    def current(self) -> Snapshot | None:
        """The snapshot held now, fresh or not (no I/O)."""
        return self._snapshot

    def peek(self) -> Snapshot | None:
        """The current snapshot, or None when it must be refreshed first (no I/O)."""
        # On every request: the binding is None but inside a transaction that changed
        # maintenance data, so the common case costs one comparison.
        binding = self._binding
        if time.monotonic() < self._next_check and (binding is None or _still_open(binding)):
            return self._snapshot
        return None

    def settled(self) -> bool:
        """Whether nothing can be in maintenance, known with no I/O: the snapshot is
        fresh and idle, and ``settings.MAINTENANCE_MODE`` was not assigned since the
        configuration was built. The fast path of requests and of Celery tasks."""
        snapshot = self.peek()
        return snapshot is not None and snapshot.idle and override_unchanged()

    def get(self, config: Config) -> Snapshot:
        """The current snapshot, refreshing it first when it is due."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() < self._next_check and self._unbound():
            return snapshot
        return self._refresh(config)

    def _unbound(self) -> bool:
        """False when the snapshot was read inside a transaction that has ended since."""
        binding = self._binding
        return binding is None or _still_open(binding)

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
            unbound = self._unbound()
            if self._snapshot is not None and now < self._next_check and unbound:
                return self._snapshot
            generation = self._generation
            previous = self._snapshot
            # A change made in this process, a transaction ended, or the safety net for
            # writes that send no signal (raw SQL, QuerySet.update()): a full read.
            full = (
                generation != self._full_generation
                or not unbound
                or now - self._full_at >= config.full_refresh_interval
            )
            try:
                snapshot = refresh(config, previous, full)
            except Exception:
                self._binding = None
                snapshot = self._on_failure(config, now)
            else:
                self._binding = _binding()
                self._loaded_at = now
                if snapshot is not previous:
                    self._full_at = now
                    self._full_generation = generation
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
        # Never idle: while the state is unknown every request takes the full path, so
        # the fallback value is honoured however it is set (also assigned at run time).
        return dataclasses.replace(make_snapshot(config, switch=config.fallback_value), idle=False)


state = State()


def _saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A switch, flag, window, reason or bypass key was saved or deleted."""
    if isinstance(instance, (MaintenanceWindow, MaintenanceReason, BypassKey)) or _is_ours(
        instance.name
    ):
        _changed(kwargs.get("using"))


def _switch_saved(sender: Any, instance: Any, signal: Any, **kwargs: Any) -> None:
    """A switch was saved or deleted: when ours is now off, however that was done
    (waffle's admin and command too), the maintenance it held on ended, and its reason
    with it."""
    if instance.name in get_config().switch_names and (
        signal is post_delete or not instance.active
    ):
        store.clear_reason(instance.name, kwargs.get("using"))


def _members_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    """A flag's users or groups, or a user's groups, changed (from either side)."""
    if not action.startswith("post_"):
        return
    if isinstance(instance, get_waffle_flag_model()):
        relevant = _is_ours(instance.name)
    elif sender in store.groups_through(get_user_model()):
        relevant = _touches_our_groups(instance, pk_set)
    else:
        relevant = True  # flags changed from the user's or group's side: rare, no look-up
    if relevant:
        _changed(kwargs.get("using"))


def _is_ours(name: str) -> bool:
    config = get_config()
    return name in config.switch_names or name in config.flag_names


def _touches_our_groups(instance: Any, pk_set: Any) -> bool:
    if pk_set is None:
        return True  # a clear: which groups lost members is not said
    # From the user's side pk_set holds groups; from the group's side, the group is it.
    ids = set(pk_set) if isinstance(instance, get_user_model()) else {instance.pk}
    snapshot = state.current()
    if snapshot is None:
        # A process that has not read the state (a command, a task worker) asks.
        config = get_config()
        return store.names_groups(config.flag_names, ids, store.write_alias())
    groups: set[Any] = set()
    for rule in (snapshot.flag, snapshot.exempt):
        if rule is not None:
            groups |= rule.group_ids
    return bool(groups & ids)


def _changed(using: str | None) -> None:
    using = using or store.write_alias()
    # Other processes: move the change stamp, in the transaction of the change.
    store.move_stamp(using)
    _mark_dirty(using)
    # This process: now for this thread's own next read, and again after the commit, so
    # that a reader that raced the transaction cannot keep the old state.
    state.invalidate()
    transaction.on_commit(state.invalidate, using=using)


def connect() -> None:
    """Move the change stamp and invalidate the snapshot whenever data it holds is
    saved in this process."""
    flag_model = get_waffle_flag_model()
    switch_model = get_waffle_switch_model()
    senders: list[Any] = [
        switch_model,
        flag_model,
        MaintenanceWindow,
        MaintenanceReason,
        BypassKey,
    ]
    for sender in senders:
        post_save.connect(_saved, sender=sender, dispatch_uid=f"maintenance_waffle.{sender}")
        post_delete.connect(_saved, sender=sender, dispatch_uid=f"maintenance_waffle.{sender}")
    for signal in (post_save, post_delete):
        signal.connect(_switch_saved, sender=switch_model, dispatch_uid="maintenance_waffle.reason")
    through_models = [
        flag_model._meta.get_field(name).remote_field.through  # type: ignore[union-attr]
        for name in ("users", "groups")
    ]
    for through in through_models + store.groups_through(get_user_model()):
        m2m_changed.connect(
            _members_changed, sender=through, dispatch_uid=f"maintenance_waffle.{through}"
        )


def settings_changed(**kwargs: Any) -> None:
    """``setting_changed`` receiver: names or intervals may differ now."""
    state.invalidate()


def _record_transitions(snapshot: Snapshot) -> None:
    """Have the audit trail record windows that started or ended since the last look."""
    now = current_time()
    if any(window.unrecorded_transition(now) for window in snapshot.windows):
        try:
            audit.record_transitions(now)
        except Exception:
            logger.warning("Could not record a maintenance window's transition.", exc_info=True)
