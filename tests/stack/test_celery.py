"""Background work waits during maintenance: a real Celery worker of the sample site
(``sample_site/celery.py``, solo pool) on the stack's Redis broker and PostgreSQL, while
maintenance is switched on and off by ``manage.py maintenance_mode`` in other processes.

Counted: tasks run during maintenance (0 unless marked to run anyway), run after it (all,
in the order they were queued), lost or run twice (0).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.stack.services import ROOT, Stack, stop_session, tail, unavailable, wait_until

pytestmark = pytest.mark.stack

BROKER_DB = 3
RESULTS_DB = 4
#: Deferred tasks look again every second (MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN).
COUNTDOWN = 1
BEAT_NOTE = "Written by the beat scheduler"


class Worker:
    """``celery -A sample_site worker --pool solo`` (with ``--beat`` if asked)."""

    def __init__(self, env: dict[str, str], directory: Path, name: str, beat: bool) -> None:
        self.env = env
        self.log = directory / f"celery-{name}.log"
        self.command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sample_site",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ]
        if beat:
            self.command += ["--beat", "--schedule", str(directory / f"beat-{name}")]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, 60, f"celery worker ({self.log})")

    def _ready(self) -> bool | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the celery worker exited:\n{tail(self.log)}")
        return True if " ready." in self.log.read_text(errors="replace") else None

    def stop(self) -> None:
        stop_session(self.process)  # SIGTERM: a warm shutdown
        self.process = None

    def errors(self) -> list[str]:
        return [
            line
            for line in self.log.read_text(errors="replace").splitlines()
            if "ERROR" in line or "Traceback" in line
        ]


class Celery:
    """The stack's Redis as broker and result backend, a client queueing tasks by name,
    and the sample site's workers."""

    def __init__(self, stack: Stack) -> None:
        import redis
        from celery import Celery as App

        self.stack = stack
        base = f"redis://127.0.0.1:{stack.redis.port}"
        self.broker = f"{base}/{BROKER_DB}"
        self.results = redis.Redis(port=stack.redis.port, db=RESULTS_DB)
        self.client = App("tests-client", broker=self.broker, set_as_current=False)
        self.env = stack.env(
            CELERY_BROKER=self.broker,
            CELERY_RESULTS=f"{base}/{RESULTS_DB}",
            CELERY_MAX_COUNTDOWN=str(COUNTDOWN),
            CELERY_BEAT_SECONDS="1",
        )
        self.workers: list[Worker] = []

    def worker(self, name: str, beat: bool = False) -> Worker:
        worker = Worker(self.env, self.stack.directory / "logs", name, beat)
        self.workers.append(worker)
        worker.start()
        return worker

    def send(self, name: str, *args: Any) -> str:
        return str(self.client.send_task(name, args=args).id)

    def state(self, task_id: str) -> str:
        meta = self.results.get(f"celery-task-meta-{task_id}")
        return "PENDING" if meta is None else str(json.loads(meta)["status"])

    def wait_for(self, task_ids: list[str], state: str, timeout: float = 60) -> None:
        def reached() -> bool | None:
            return all(self.state(task_id) == state for task_id in task_ids) or None

        wait_until(reached, timeout, f"{len(task_ids)} task(s) in state {state}")

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.client.close()
        self.results.close()


@pytest.fixture
def celery(stack: Stack) -> Iterator[Celery]:
    if importlib.util.find_spec("celery") is None:
        unavailable("Celery tests", 'Celery is not installed (pip install -e ".[test]")')
    celery = Celery(stack)
    celery.results.flushdb()
    import redis

    with redis.Redis(port=stack.redis.port, db=BROKER_DB) as broker:
        broker.flushdb()
    try:
        yield celery
        for worker in celery.workers:
            assert worker.errors() == [], tail(worker.log)
    finally:
        celery.close()
        for scope in ([], ["--read-only"], ["--area", "checkout"]):
            stack.manage("maintenance_mode", "off", *scope)


def notes(stack: Stack, prefix: str) -> list[tuple[str, datetime]]:
    """The notes whose text starts with ``prefix``, in the order they were written."""
    return [
        (str(text), created)
        for text, created in stack.postgres.execute(
            stack.database,
            "SELECT text, created FROM demo_note WHERE text LIKE %s ORDER BY id",
            f"{prefix}%",
        )
    ]


def switched(stack: Stack, state: str, *scope: str) -> datetime:
    """``maintenance_mode on|off [scope]`` in another process, then long enough for every
    process to see it at its next task (the refresh interval); the moment it began."""
    began = datetime.now(timezone.utc)
    stack.manage("maintenance_mode", state, *scope)
    time.sleep(2 * stack.refresh_interval)
    return began


def test_tasks_queued_during_maintenance_run_after_it_in_order(
    stack: Stack, celery: Celery
) -> None:
    celery.worker("main", beat=True)
    prefix = f"queued-{uuid.uuid4().hex[:8]}-"
    switched(stack, "on")
    on_seen = datetime.now(timezone.utc)

    queued = [celery.send("demo.add_note", f"{prefix}{index:02}") for index in range(20)]
    anyway = celery.send("demo.ping")
    celery.wait_for(queued, "RETRY")
    celery.wait_for([anyway], "SUCCESS")
    # A few rounds of looking again, and of the beat queueing notes.
    time.sleep(3 * COUNTDOWN)
    during = notes(stack, prefix)
    beat_during = [created for _, created in notes(stack, BEAT_NOTE) if created >= on_seen]
    off = switched(stack, "off")
    celery.wait_for(queued, "SUCCESS")

    after = notes(stack, prefix)
    assert during == []
    assert beat_during == []
    assert [text for text, _ in after] == [f"{prefix}{index:02}" for index in range(20)]
    assert all(created >= off for _, created in after)
    # The beat's notes queued during maintenance were deferred too, and written after it.
    wait_until(
        lambda: sum(created >= off for _, created in notes(stack, BEAT_NOTE)) >= 3 or None,
        30,
        "the beat's deferred notes",
    )


def test_a_worker_started_during_maintenance_defers_too(stack: Stack, celery: Celery) -> None:
    prefix = f"late-{uuid.uuid4().hex[:8]}-"
    switched(stack, "on")
    celery.worker("late")

    queued = [celery.send("demo.add_note", f"{prefix}{index}") for index in range(5)]
    celery.wait_for(queued, "RETRY")
    during = notes(stack, prefix)
    off = switched(stack, "off")
    celery.wait_for(queued, "SUCCESS")

    after = notes(stack, prefix)
    assert during == []
    assert [text for text, _ in after] == [f"{prefix}{index}" for index in range(5)]
    assert all(created >= off for _, created in after)


def test_read_only_mode_and_an_area_hold_their_tasks(stack: Stack, celery: Celery) -> None:
    celery.worker("scopes")
    prefix = f"scoped-{uuid.uuid4().hex[:8]}-"

    switched(stack, "on", "--area", "checkout")
    report = celery.send("demo.checkout_report")
    note = celery.send("demo.add_note", f"{prefix}area")
    celery.wait_for([note], "SUCCESS")
    celery.wait_for([report], "RETRY")
    switched(stack, "off", "--area", "checkout")
    celery.wait_for([report], "SUCCESS")

    switched(stack, "on", "--read-only")
    held = celery.send("demo.add_note", f"{prefix}read-only")
    celery.wait_for([held], "RETRY")
    during = notes(stack, f"{prefix}read-only")
    off = switched(stack, "off", "--read-only")
    celery.wait_for([held], "SUCCESS")

    assert during == []
    [(_, created)] = notes(stack, f"{prefix}read-only")
    assert created >= off
