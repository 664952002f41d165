"""Background work waits during maintenance: Celery tasks are deferred, never lost.

One line in the project's Celery app, ``defer_during_maintenance(app)``, makes every task
of the app, about to run in a worker while site-wide maintenance or read-only mode is on,
go back to the broker to run later instead: the same message (id, arguments, retries,
links, expiry, time limits) with an ETA at the end of the window in force, or
``MAINTENANCE_MODE_RETRY_AFTER`` seconds later, capped by
``MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN``. That is not one of the task's own retries:
``request.retries`` stays as it was and ``max_retries`` is never reached.

Task options (``@app.task(...)``):

- ``run_during_maintenance=True``: the task runs whatever the maintenance.
- ``maintenance_area="reports"`` (or a list of areas): the task also waits while that
  area of ``MAINTENANCE_WAFFLE_AREAS`` is down.

The decision reads the process's snapshot, as a request does (no query per task once it
is fresh, changes followed within ``MAINTENANCE_WAFFLE_REFRESH_INTERVAL``, the last known
state and then the fallback value when the database cannot be read). Tasks run eagerly
(``task_always_eager``, ``apply()``) are not deferred: no broker holds them.

Deferred tasks wake together, on whole multiples of their countdown, and a worker process
sends them back in the order it took them: with one worker process they run after the
maintenance in the order they were queued. With several, Celery promises no order, and
neither does this.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from maintenance_waffle.conf import AREA_PREFIX, READ_ONLY, get_config

if TYPE_CHECKING:
    from maintenance_waffle.conf import Config

try:
    from celery import Celery
    from celery.exceptions import Retry
except ImportError as error:
    raise ImportError(
        "maintenance_waffle.celery needs Celery: pip install 'maintenance-waffle[celery]'"
    ) from error

__all__ = ["Deferred", "defer_during_maintenance", "defer_if_waiting"]

logger = logging.getLogger("maintenance_waffle.celery")

#: Sending a deferred task back never gives up while the broker is away: the worker
#: already took the message, and dropping it would lose the task.
PUBLISH_UNTIL_SENT = {
    "max_retries": None,
    "interval_start": 0,
    "interval_step": 1,
    "interval_max": 5,
}

#: How far apart the ETAs of tasks deferred to one wake time are. A worker turns an ETA
#: into its monotonic clock one task at a time (kombu's ``to_timestamp``), which moves it
#: by up to some microseconds: well below this, so the order holds.
SPACING = timedelta(milliseconds=1)

#: The mark on a task class whose ``before_start`` defers it.
_MARK = "_maintenance_waffle_defers"


class Deferred(Exception):
    """Why a task was sent back to wait: the reason of its retry, in the worker's log,
    the ``task_retry`` signal and the result backend."""


def defer_during_maintenance(app: Celery) -> Celery:
    """Make every task of ``app`` wait while the site is in maintenance (see the module).

    Call it once, where the app is made (``proj/celery.py``), before the worker starts.
    Tasks made from the app's base class are covered whenever they are declared; tasks
    with a ``base=`` of their own are covered when the app is finalized. Returns ``app``.
    """
    _cover(app.Task)
    if app.finalized:
        _cover_tasks(app)
    else:
        app.on_after_finalize.connect(_cover_tasks, sender=app, weak=False)
    return app


def _cover_tasks(sender: Celery, **kwargs: Any) -> None:
    for task in list(sender.tasks.values()):
        _cover(type(task))


def _cover(task_class: type[Any]) -> None:
    """Run the maintenance check first in ``task_class.before_start``, unless the
    ``before_start`` it has already does."""
    provider = next(klass for klass in task_class.__mro__ if "before_start" in vars(klass))
    if vars(provider).get(_MARK):
        return
    own_before_start = task_class.before_start

    def before_start(self: Any, task_id: str, args: Any, kwargs: Any) -> None:
        defer_if_waiting(self, args, kwargs)
        own_before_start(self, task_id, args, kwargs)

    task_class.before_start = before_start
    setattr(task_class, _MARK, True)


def defer_if_waiting(task: Any, args: Any, kwargs: Any) -> None:
    """Send the task being run back to the broker, and raise ``Retry``, when maintenance
    holds it (or when it must keep its place behind a task deferred before it).

    Called first by the ``before_start`` of every task of an app given to
    ``defer_during_maintenance``; a task class whose own ``before_start`` does not call
    ``super()`` can call it there."""
    request = task.request
    if request.is_eager:
        return
    runtime = _runtime or _load()
    # The steady state, the middleware's fast path: nothing on, and a task this process
    # did not defer.
    if request.eta is None and runtime.state.settled():
        return
    config = get_config()
    snapshot = runtime.state.get(config)
    waiting = order.woke(request.eta)
    if snapshot.idle and waiting is None:
        return
    now = runtime.current_time()
    scope = None
    if not snapshot.idle and not getattr(task, "run_during_maintenance", False):
        scope = runtime.holding_scope(snapshot, config, _task_areas(task, config), now)
    if scope is not None:
        # A task may start a moment before its ETA (see SPACING): its next round must
        # still come after the one it woke in.
        basis = now if waiting is None else max(now, waiting.round)
        wake = runtime.wake_time(snapshot, config, scope, basis)
        reason = f"{_describe(scope)} is on."
    else:
        carried = order.carried(waiting)
        if carried is None:
            return
        # Maintenance ended while this process was sending back the tasks that woke
        # with this one: it goes behind them, not before.
        wake = carried
        reason = "Tasks deferred before this one go first."
    eta = order.schedule(wake, waiting, now, config.celery_max_countdown)
    signature = task.signature_from_request(request, args, kwargs, eta=eta)
    signature.apply_async(retry=True, retry_policy=PUBLISH_UNTIL_SENT)
    raise Retry(exc=Deferred(reason), when=eta)


class _Runtime(NamedTuple):
    state: Any
    current_time: Callable[[], datetime]
    holding_scope: Callable[..., str | None]
    wake_time: Callable[..., datetime]


_runtime: _Runtime | None = None


def _load() -> _Runtime:
    """What deciding needs, imported at the first task: the Celery app's module imports
    this one before Django is set up, when the models cannot be imported yet."""
    global _runtime
    from maintenance_waffle.decision import holding_scope, wake_time
    from maintenance_waffle.state import current_time, state

    _runtime = _Runtime(state, current_time, holding_scope, wake_time)
    return _runtime


_warned: set[tuple[str, str]] = set()


def _task_areas(task: Any, config: Config) -> tuple[str, ...]:
    """The configured areas named by the task's ``maintenance_area``; an unknown area or a
    value that is not a name is logged once and ignored, so the task is never lost."""
    value = getattr(task, "maintenance_area", None)
    if value is None:
        return ()
    names = value if isinstance(value, (list, tuple, set, frozenset)) else (value,)
    return tuple(name for name in names if _known_area(task, name, config))


def _known_area(task: Any, name: Any, config: Config) -> bool:
    if isinstance(name, str) and name in config.area_names:
        return True
    key = (task.name, repr(name))
    if key not in _warned:
        _warned.add(key)
        logger.warning(
            "Task %s names maintenance_area %r, which is not an area of "
            "MAINTENANCE_WAFFLE_AREAS (%s); it runs whatever that area's state.",
            task.name,
            name,
            ", ".join(config.area_names) or "none configured",
        )
    return False


def _describe(scope: str) -> str:
    if scope == "":
        return "Site-wide maintenance"
    if scope == READ_ONLY:
        return "Read-only mode"
    return f"Maintenance of area {scope.removeprefix(AREA_PREFIX)!r}"


class Waiting(NamedTuple):
    """A task this process deferred: the wake time it was sent to (its round) and its
    place in the line of the tasks this process deferred."""

    round: datetime
    place: int


class Order:
    """Where this process sent deferred tasks, so that they come back in order.

    Each task gets a place in line the first time this process defers it, and keeps it
    every time it is sent back. Tasks sent to one wake time get ETAs ``SPACING`` apart by
    their places, whenever each is sent there: a task that waited a round longer still
    comes before one queued after it. A task that wakes after maintenance ended, in a
    round from which this process just sent others back (maintenance was still on a
    moment before), follows them instead of overtaking them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_place = 0
        #: a deferred task's ETA (as its message carries it) -> its round and place.
        self._waiting: dict[str, Waiting] = {}
        #: wake time -> the place that wakes first there (offset 0).
        self._first_places: dict[datetime, int] = {}
        #: round -> the latest wake time a task of it was sent back to.
        self._carried: dict[datetime, datetime] = {}

    def woke(self, eta: Any) -> Waiting | None:
        """The round and place of a task starting with ``eta``, if this process
        deferred it."""
        if not isinstance(eta, str):
            return None
        with self._lock:
            return self._waiting.pop(eta, None)

    def carried(self, waiting: Waiting | None) -> datetime | None:
        """Where tasks of the round of ``waiting`` were sent back to, if any were."""
        if waiting is None:
            return None
        with self._lock:
            return self._carried.get(waiting.round)

    def schedule(
        self, wake: datetime, waiting: Waiting | None, now: datetime, cap: float
    ) -> datetime:
        """The ETA of a task deferred to ``wake``: a new one (``waiting`` None) goes to
        the end of the line."""
        with self._lock:
            self._forget_before(now - timedelta(seconds=max(60.0, 10 * cap)))
            if waiting is None:
                place = self._next_place
                self._next_place += 1
            else:
                place = waiting.place
                self._carried[waiting.round] = max(wake, self._carried.get(waiting.round, wake))
            first = self._first_places.get(wake)
            if first is None:
                # Every task that can still be sent here is waiting now, or new.
                first = min([place, *(other.place for other in self._waiting.values())])
                self._first_places[wake] = first
            eta = wake + max(0, place - first) * SPACING
            self._waiting[eta.isoformat()] = Waiting(wake, place)
            return eta

    def _forget_before(self, moment: datetime) -> None:
        # Rounds long gone (a task deferred here but taken by another process never
        # comes back to this one): their entries would only grow the dictionaries, and
        # hold the first places back. There is one entry per wake time in
        # _first_places, so this look is cheap; the rest is swept only when it finds one.
        if not any(wake < moment for wake in self._first_places):
            return
        self._first_places = {
            wake: place for wake, place in self._first_places.items() if wake >= moment
        }
        self._carried = {round_: wake for round_, wake in self._carried.items() if round_ >= moment}
        self._waiting = {
            eta: waiting for eta, waiting in self._waiting.items() if waiting.round >= moment
        }

    def clear(self) -> None:
        with self._lock:
            self._next_place = 0
            self._waiting.clear()
            self._first_places.clear()
            self._carried.clear()


order = Order()
