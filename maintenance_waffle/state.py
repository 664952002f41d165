"""The process's snapshot of the maintenance state, and how it is kept fresh.

Every request decides from one immutable ``Snapshot``. It is read straight from the
database through ``store`` (never through waffle's cache, whose per-process copies can
lag by minutes) at most once per ``MAINTENANCE_WAFFLE_REFRESH_INTERVAL``; a change saved
in this process invalidates it at once. If a refresh fails, the last snapshot stays in
use for up to ``MAINTENANCE_WAFFLE_MAX_STALENESS`` seconds, then the fallback value takes
over.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from waffle import get_waffle_flag_model, get_waffle_switch_model
from waffle.utils import get_setting

from maintenance_waffle import audit, store
from maintenance_waffle.conf import Config
from maintenance_waffle.models import BypassKey, MaintenanceWindow
from maintenance_waffle.store import FlagRule, Window, aware, current_time

__all__ = [
    "FlagRule",
    "Snapshot",
    "State",
    "Window",
    "aware",
    "connect",
    "current_time",
    "load",
    "make_snapshot",
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


def load(config: Config) -> Snapshot:
    """Read the switch, both flags, the windows and the bypass keys (a handful of small
    queries), from the database the state is read from."""
    using = store.read_alias()
    with store.savepoint_if_in_transaction(using):
        active, note = store.switch_state(config.switch_name, using)
        rules = store.flag_rules((config.flag_name, config.exempt_flag_name), using)
        now = current_time()
        windows = store.windows(using, now)
        bypass_keys = tuple(
            (key, aware(expires))
            for key, expires in store.bypass_keys_in_force(using, now).values_list("pk", "expires")
        )
    return make_snapshot(
        config,
        switch=active,
        # The note is the reason only while the switch is on.
        reason=note if active else "",
        flag=rules.get(config.flag_name),
        exempt=rules.get(config.exempt_flag_name),
        windows=windows,
        bypass_keys=bypass_keys,
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
    for through in through_models + store.groups_through(get_user_model()):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"maintenance_waffle.{through}")


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
