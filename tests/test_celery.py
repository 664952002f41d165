"""Celery tasks wait during maintenance (maintenance_waffle.celery).

Tasks run here the way a worker runs them: through the tracer Celery builds for each task
in a worker, with the request a message gives. The tasks sent back go through kombu's
in-memory transport, a real broker transport of its own, and are read back from it. A real
worker process on a Redis broker is in tests/stack/test_celery.py.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from celery import Celery, Task
from celery.app.trace import build_tracer
from celery.exceptions import Retry
from django.db import DatabaseError
from django.test import override_settings
from django.utils.http import http_date
from django.utils.timezone import now as timezone_now

import maintenance_waffle.celery as deferring
from maintenance_waffle.celery import (
    SPACING,
    Deferred,
    Order,
    Waiting,
    defer_during_maintenance,
    order,
)
from maintenance_waffle.conf import READ_ONLY, get_config
from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode, set_read_only
from maintenance_waffle.decision import holding_scope, wake_time
from maintenance_waffle.state import make_snapshot
from maintenance_waffle.store import Window

ROOT = Path(__file__).resolve().parent.parent
AREAS = {"reports": [r"^/reports/"], "checkout": [r"^/checkout/"]}
NOW = datetime(2026, 12, 5, 12, 0, 10, tzinfo=timezone.utc)


@dataclass
class Sent:
    """A message the broker holds."""

    headers: dict[str, Any]
    args: list[Any]
    kwargs: dict[str, Any]


class Worker:
    """A Celery app on the in-memory transport, with its own queue, running tasks as a
    worker process does."""

    def __init__(self) -> None:
        self.queue = f"tests-{uuid.uuid4().hex}"
        self.app = Celery(
            "tests", broker="memory://", backend="cache+memory://", set_as_current=False
        )
        self.app.conf.task_default_queue = self.queue
        self.runs: list[Any] = []

    def run(self, name: str, *args: Any, eta: str | None = None, retries: int = 0) -> Any:
        """Run task ``name`` as the worker does for a message: Celery's trace of it
        (``.retval``; ``.info``, with the state and the exception, unless it succeeded)."""
        task = self.app.tasks[name]
        trace = build_tracer(task.name, task, app=self.app, eager=False)
        task_id = uuid.uuid4().hex
        request = {
            "id": task_id,
            "retries": retries,
            "eta": eta,
            "delivery_info": {"exchange": "", "routing_key": self.queue},
        }
        return trace(task_id, args, {}, request=request)

    def sent(self) -> list[Sent]:
        """The messages sent to the queue, taken off it."""
        messages = []
        with self.app.connection_for_read() as connection:
            queue = connection.SimpleQueue(self.queue)
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                message.ack()
                args, kwargs, _ = message.payload
                messages.append(Sent(message.headers, args, kwargs))
            queue.close()
        return messages


@pytest.fixture
def worker() -> Iterator[Worker]:
    worker = Worker()
    defer_during_maintenance(worker.app)

    @worker.app.task(shared=False, name="tests.record")
    def record(value: Any) -> Any:
        worker.runs.append(value)
        return value

    @worker.app.task(shared=False, name="tests.anyway", run_during_maintenance=True)
    def anyway(value: Any) -> Any:
        worker.runs.append(value)
        return value

    @worker.app.task(shared=False, name="tests.report", maintenance_area="reports")
    def report(value: Any) -> Any:
        worker.runs.append(value)
        return value

    @worker.app.task(shared=False, name="tests.either", maintenance_area=["checkout", "reports"])
    def either(value: Any) -> Any:
        worker.runs.append(value)
        return value

    worker.app.finalize()
    order.clear()
    yield worker
    order.clear()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The time the deferral sees: ``clock[0]``, NOW until a test sets it."""
    clock = [NOW]
    monkeypatch.setattr(
        deferring, "_runtime", deferring._load()._replace(current_time=lambda: clock[0])
    )
    return clock


def retry_of(outcome: Any) -> Retry:
    assert outcome.info is not None, outcome
    assert outcome.info.state == "RETRY"
    assert isinstance(outcome.info.retval, Retry)
    return outcome.info.retval


# The decision ------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(MAINTENANCE_WAFFLE_AREAS=AREAS)
@pytest.mark.parametrize("name", ["tests.record", "tests.anyway", "tests.report", "tests.either"])
def test_a_task_runs_when_nothing_is_on(worker: Worker, name: str) -> None:
    assert worker.run(name, 1).retval == 1

    assert worker.runs == [1]
    assert worker.sent() == []


@pytest.mark.django_db
def test_site_wide_maintenance_sends_the_task_back_unchanged(worker: Worker) -> None:
    set_maintenance_mode(True)

    retry = retry_of(worker.run("tests.record", 7, retries=2))

    assert worker.runs == []
    [sent] = worker.sent()
    assert sent.args == [7]
    assert sent.kwargs == {}
    assert sent.headers["task"] == "tests.record"
    # Not one of the task's own retries.
    assert sent.headers["retries"] == 2
    eta = datetime.fromisoformat(sent.headers["eta"])
    assert retry.when == eta
    assert isinstance(retry.exc, Deferred)
    assert str(retry.exc) == "Site-wide maintenance is on."


@pytest.mark.django_db
def test_no_query_per_task_once_the_snapshot_is_fresh(
    worker: Worker, django_assert_num_queries: Any
) -> None:
    set_maintenance_mode(True)
    get_maintenance_mode()  # the snapshot, read once
    with django_assert_num_queries(0):
        for value in range(3):
            retry_of(worker.run("tests.record", value))
    set_maintenance_mode(False)
    get_maintenance_mode()
    with django_assert_num_queries(0):
        for value in range(3):
            worker.run("tests.record", value)

    assert worker.runs == [0, 1, 2]
    assert len(worker.sent()) == 3


@pytest.mark.django_db
def test_the_result_backend_says_retry_with_the_reason(worker: Worker) -> None:
    set_maintenance_mode(True)
    task = worker.app.tasks["tests.record"]
    trace = build_tracer(task.name, task, app=worker.app, eager=False)

    trace("the-id", (1,), {}, request={"id": "the-id", "delivery_info": {}})

    result = worker.app.AsyncResult("the-id")
    assert result.state == "RETRY"
    assert str(result.info) == "Site-wide maintenance is on."


@pytest.mark.django_db
def test_a_task_marked_to_run_anyway_runs(worker: Worker) -> None:
    set_maintenance_mode(True)
    set_read_only(True)

    assert worker.run("tests.anyway", 3).retval == 3

    assert worker.runs == [3]
    assert worker.sent() == []


@pytest.mark.django_db
def test_read_only_mode_holds_every_task(worker: Worker) -> None:
    set_read_only(True)

    retry = retry_of(worker.run("tests.record", 1))

    assert str(retry.exc) == "Read-only mode is on."
    assert worker.runs == []
    assert len(worker.sent()) == 1


@pytest.mark.django_db
@override_settings(MAINTENANCE_WAFFLE_AREAS=AREAS)
def test_an_area_holds_only_the_tasks_tied_to_it(worker: Worker) -> None:
    set_maintenance_mode(True, area="reports")

    retry = retry_of(worker.run("tests.report", 1))
    other = retry_of(worker.run("tests.either", 2))
    worker.run("tests.record", 3)

    assert str(retry.exc) == str(other.exc) == "Maintenance of area 'reports' is on."
    assert worker.runs == [3]
    assert [sent.args for sent in worker.sent()] == [[1], [2]]


@pytest.mark.django_db
@override_settings(MAINTENANCE_WAFFLE_AREAS=AREAS)
def test_a_task_tied_to_an_area_runs_while_only_another_is_down(worker: Worker) -> None:
    set_maintenance_mode(True, area="checkout")

    worker.run("tests.report", 1)
    retry_of(worker.run("tests.either", 2))

    assert worker.runs == [1]


@pytest.mark.django_db
@override_settings(MAINTENANCE_WAFFLE_AREAS=AREAS)
def test_a_task_tied_to_an_unknown_area_runs_and_is_reported_once(
    worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    @worker.app.task(shared=False, name="tests.typo", maintenance_area=["repotrs", 5])
    def typo() -> None:
        worker.runs.append("typo")

    set_maintenance_mode(True, area="reports")
    with caplog.at_level(logging.WARNING, logger="maintenance_waffle.celery"):
        worker.run("tests.typo")
        worker.run("tests.typo")

    assert worker.runs == ["typo", "typo"]
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        f"Task tests.typo names maintenance_area {name}, which is not an area of "
        "MAINTENANCE_WAFFLE_AREAS (reports, checkout); it runs whatever that area's state."
        for name in ("'repotrs'", "5")
    ]


@pytest.mark.django_db
def test_an_area_without_any_configured_is_reported(
    worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    @worker.app.task(shared=False, name="tests.lonely", maintenance_area="reports")
    def lonely() -> None:
        worker.runs.append("lonely")

    # A window to come: the state is not idle, and nothing is in force yet.
    set_maintenance_mode(True, start=timezone_now() + timedelta(hours=1))
    with caplog.at_level(logging.WARNING, logger="maintenance_waffle.celery"):
        worker.run("tests.lonely")

    assert worker.runs == ["lonely"]
    assert "(none configured)" in caplog.records[0].getMessage()


@pytest.mark.django_db
def test_eager_tasks_run_during_maintenance(worker: Worker) -> None:
    set_maintenance_mode(True)

    result = worker.app.tasks["tests.record"].apply((4,))

    assert result.get() == 4
    assert worker.runs == [4]


@pytest.mark.django_db
@override_settings(MAINTENANCE_MODE=True)
def test_the_maintenance_mode_setting_holds_tasks(worker: Worker) -> None:
    retry_of(worker.run("tests.record", 1))

    assert worker.runs == []


@pytest.mark.django_db
def test_the_maintenance_mode_setting_off_lets_them_run(worker: Worker) -> None:
    set_maintenance_mode(True)

    with override_settings(MAINTENANCE_MODE=False):
        worker.run("tests.record", 1)

    assert worker.runs == [1]


@pytest.mark.django_db
@override_settings(MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE=True)
def test_an_unreadable_state_falls_back_as_requests_do(
    worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(*args: Any) -> Any:
        raise DatabaseError("the database is away")

    monkeypatch.setattr("maintenance_waffle.state.refresh", unreadable)

    retry_of(worker.run("tests.record", 1))

    assert worker.runs == []


# Task classes ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_base_of_its_own_keeps_its_before_start(worker: Worker) -> None:
    calls: list[str] = []

    class Audited(Task):  # type: ignore[misc]
        def before_start(self, task_id: str, args: Any, kwargs: Any) -> None:
            calls.append(task_id)

    app = Celery("own-base", broker="memory://", backend="cache+memory://", set_as_current=False)
    app.conf.task_default_queue = worker.queue

    @app.task(shared=False, name="own.audited", base=Audited)
    def audited() -> None:
        calls.append("ran")

    @app.task(shared=False, name="own.plain")
    def plain() -> None:
        calls.append("plain")

    app.finalize()
    defer_during_maintenance(app)  # after finalize: the tasks made already are covered
    defer_during_maintenance(app)  # twice: still one check
    worker.app = app

    worker.run("own.audited")
    worker.run("own.plain")
    set_maintenance_mode(True)
    retry_of(worker.run("own.audited"))
    retry_of(worker.run("own.plain"))

    assert len(calls) == 3
    assert calls[1:] == ["ran", "plain"]
    assert len(worker.sent()) == 2


def test_a_celery_app_module_can_use_it_before_django_is_set_up() -> None:
    # The usual proj/celery.py imports it before the worker sets Django up.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "sample_site.settings"}
    code = (
        "import sample_site.celery as c; c.app.loader.import_default_modules(); t = c.app.tasks; "
        "print(sorted(n for n in t if n.startswith('demo.')), "
        "t['demo.ping'].run_during_maintenance, t['demo.checkout_report'].maintenance_area)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['demo.add_note', 'demo.checkout_report', 'demo.ping'] True checkout"
    )


def test_importing_without_celery_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("_celery_without_celery", deferring.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "celery", None)  # what an ImportError looks like

    with pytest.raises(ImportError, match=r"pip install 'maintenance-waffle\[celery\]'"):
        spec.loader.exec_module(module)


# When and in which order -------------------------------------------------------------


def snapshot(**fields: Any) -> Any:
    return make_snapshot(get_config(), **fields)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        (3600, datetime(2026, 12, 5, 12, 1, tzinfo=timezone.utc)),  # capped at 60 s
        (15, datetime(2026, 12, 5, 12, 0, 15, tzinfo=timezone.utc)),
        (None, datetime(2026, 12, 5, 12, 1, tzinfo=timezone.utc)),
        ("garbage", datetime(2026, 12, 5, 12, 1, tzinfo=timezone.utc)),
        # An HTTP-date: the seconds until then, here 20.
        (http_date(NOW.timestamp() + 20), datetime(2026, 12, 5, 12, 0, 20, tzinfo=timezone.utc)),
        (http_date(NOW.timestamp() - 20), datetime(2026, 12, 5, 12, 1, tzinfo=timezone.utc)),
    ],
)
def test_tasks_wake_on_a_common_beat(retry_after: Any, expected: datetime) -> None:
    with override_settings(MAINTENANCE_MODE_RETRY_AFTER=retry_after):
        assert wake_time(snapshot(switch=True), get_config(), "", NOW) == expected


@override_settings(MAINTENANCE_MODE_RETRY_AFTER=0.2, MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN=0.5)
def test_the_beat_is_at_least_a_second_unless_the_cap_is_less() -> None:
    with override_settings(MAINTENANCE_MODE_RETRY_AFTER="0"):
        assert wake_time(snapshot(switch=True), get_config(), "", NOW) == NOW + timedelta(
            seconds=0.5
        )


def test_tasks_wake_at_the_end_of_the_window_in_force() -> None:
    end = NOW + timedelta(seconds=42)
    windows = (Window(start=None, end=end),)

    assert wake_time(snapshot(windows=windows), get_config(), "", NOW) == end


def test_an_end_beyond_the_cap_wakes_them_on_the_beat_first() -> None:
    windows = (Window(start=None, end=NOW + timedelta(hours=2), scope=READ_ONLY),)

    wake = wake_time(snapshot(windows=windows), get_config(), READ_ONLY, NOW)

    assert wake == datetime(2026, 12, 5, 12, 1, tzinfo=timezone.utc)


def test_holding_scope_follows_the_decision_order() -> None:
    config = get_config()

    assert holding_scope(snapshot(), config) is None
    assert holding_scope(snapshot(switch=True, read_only=True), config) == ""
    assert holding_scope(snapshot(read_only=True), config, ("reports",)) == READ_ONLY
    assert holding_scope(snapshot(areas=frozenset({"reports"})), config) is None
    assert holding_scope(snapshot(areas=frozenset({"reports"})), config, ("reports",)) == (
        "area:reports"
    )


@pytest.mark.django_db
def test_tasks_deferred_together_keep_their_order(worker: Worker) -> None:
    set_maintenance_mode(True)

    for value in range(3):
        retry_of(worker.run("tests.record", value))

    sent = worker.sent()
    etas = [datetime.fromisoformat(message.headers["eta"]) for message in sent]
    assert [message.args for message in sent] == [[0], [1], [2]]
    assert etas[1] - etas[0] == etas[2] - etas[1] == SPACING


@pytest.mark.django_db
def test_a_round_cut_by_the_end_of_maintenance_keeps_its_order(
    worker: Worker, clock: list[datetime]
) -> None:

    def wake(message: Sent) -> Any:
        clock[0] = datetime.fromisoformat(message.headers["eta"])
        return worker.run("tests.record", message.args[0], eta=message.headers["eta"])

    set_maintenance_mode(True)
    for value in range(3):
        retry_of(worker.run("tests.record", value))
    first_round = worker.sent()

    # They wake; the first goes back while maintenance is on, then it ends.
    retry_of(wake(first_round[0]))
    set_maintenance_mode(False)
    carried = [retry_of(wake(message)) for message in first_round[1:]]
    # A task queued now runs at once: it was never deferred.
    worker.run("tests.record", "new")

    second_round = worker.sent()
    assert str(carried[0].exc) == "Tasks deferred before this one go first."
    assert [message.args for message in second_round] == [[0], [1], [2]]
    etas = [datetime.fromisoformat(message.headers["eta"]) for message in second_round]
    assert etas[0] > clock[0]
    assert etas[1] - etas[0] == etas[2] - etas[1] == SPACING
    assert worker.runs == ["new"]

    # The next round: nothing holds them any more.
    for message in second_round:
        wake(message)
    assert worker.runs == ["new", 0, 1, 2]
    assert worker.sent() == []


@pytest.mark.django_db
def test_a_task_started_just_before_its_eta_goes_to_the_next_round(
    worker: Worker, clock: list[datetime]
) -> None:
    set_maintenance_mode(True)
    retry_of(worker.run("tests.record", 0))
    [message] = worker.sent()
    eta = datetime.fromisoformat(message.headers["eta"])
    # A worker's timer may start it a few microseconds early (kombu's clock conversion).
    clock[0] = eta - timedelta(microseconds=5)

    retry_of(worker.run("tests.record", 0, eta=message.headers["eta"]))

    [again] = worker.sent()
    assert eta == datetime(2026, 12, 5, 12, 1, tzinfo=timezone.utc)
    assert datetime.fromisoformat(again.headers["eta"]) == eta + timedelta(minutes=1)


@pytest.mark.django_db
def test_a_task_with_an_eta_of_its_own_is_not_a_round(worker: Worker) -> None:
    worker.run("tests.record", 1, eta=NOW.isoformat())

    assert worker.runs == [1]


def test_old_rounds_are_forgotten() -> None:
    book = Order()
    wake = NOW + timedelta(seconds=50)
    eta = book.schedule(wake, None, NOW, 60)
    waiting = book.woke(eta.isoformat())
    assert waiting == Waiting(wake, 0)
    carried_to = book.schedule(wake + timedelta(minutes=1), waiting, NOW, 60)
    assert book.carried(waiting) == carried_to

    later = NOW + timedelta(hours=1)
    book.schedule(later + timedelta(seconds=5), None, later, 60)

    assert book.woke(carried_to.isoformat()) is None
    assert book.carried(waiting) is None
    assert book.woke(None) is None
    assert book.carried(None) is None


def test_a_task_that_waited_longer_wakes_before_one_queued_after_it() -> None:
    # Tasks 0 and 1 are deferred just before a wake time G0, task 2 just after it, to
    # G1; when 0 and 1 come back from G0 and go to G1 as well, they still come first.
    book = Order()
    g0, g1 = NOW + timedelta(seconds=50), NOW + timedelta(seconds=110)
    first_round = [book.schedule(g0, None, NOW, 60) for _ in range(2)]
    late = book.schedule(g1, None, g0 + timedelta(milliseconds=5), 60)

    again = [
        book.schedule(g1, book.woke(eta.isoformat()), g0 + timedelta(milliseconds=9), 60)
        for eta in first_round
    ]

    assert again[0] < again[1] < late
    assert late - again[0] == 2 * SPACING
