"""What deferring Celery tasks during maintenance costs each task, side by side.

A trivial task is run the way a worker runs it (the tracer Celery builds for each task in
a worker, with a message's request), on kombu's in-memory transport, in three variants
alternating round by round:

- ``plain``: an app without ``defer_during_maintenance``;
- ``off``: the same task in an app with it, maintenance off (the steady state);
- ``on``: the same, site-wide maintenance on: each run sends the task back to the broker
  (one publish) and raises ``Retry``, instead of running it.

Printed: the median time per task of each variant, the ratios ``off / plain`` and
``on / plain``, and the SQL queries per task (0 once the snapshot is fresh).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(directory: Path) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="benchmark-only",
        USE_TZ=True,
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(directory / "db.sqlite3"),
            }
        },
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "waffle",
            "maintenance_waffle",
        ],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        # A long interval: the steady state, where the snapshot is fresh.
        MAINTENANCE_WAFFLE_REFRESH_INTERVAL=3600.0,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Variant:
    def __init__(self, name: str, deferring: bool) -> None:
        from celery import Celery
        from celery.app.trace import build_tracer

        from maintenance_waffle.celery import defer_during_maintenance

        self.name = name
        self.queue = f"bench-{uuid.uuid4().hex}"
        self.app = Celery(name, broker="memory://", set_as_current=False)
        self.app.conf.task_default_queue = self.queue
        self.app.conf.task_ignore_result = True
        if deferring:
            defer_during_maintenance(self.app)

        @self.app.task(shared=False, name="bench.noop")
        def noop() -> None:
            return None

        self.app.finalize()
        task = self.app.tasks["bench.noop"]
        self.trace = build_tracer(task.name, task, app=self.app, eager=False)
        self.request = {"delivery_info": {"exchange": "", "routing_key": self.queue}}

    def run(self, tasks: int) -> float:
        """Seconds per task over ``tasks`` runs."""
        trace, request = self.trace, self.request
        started = time.perf_counter()
        for index in range(tasks):
            task_id = str(index)
            trace(task_id, (), {}, request={**request, "id": task_id})
        elapsed = time.perf_counter() - started
        self.drain()
        return elapsed / tasks

    def drain(self) -> None:
        with self.app.connection_for_write() as connection:
            connection.SimpleQueue(self.queue).clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "celery.json"
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mw-bench-celery-") as directory:
        configure(Path(directory))
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode

        plain, off, on = Variant("plain", False), Variant("off", True), Variant("on", True)
        times: dict[str, list[float]] = {"plain": [], "off": [], "on": []}
        queries: dict[str, int] = {}
        for _ in range(options.rounds):
            for variant in (plain, off, on):
                set_maintenance_mode(variant is on)
                get_maintenance_mode()  # the snapshot, read once: the steady state
                with CaptureQueriesContext(connection) as captured:
                    times[variant.name].append(variant.run(options.tasks))
                queries[variant.name] = len(captured) // options.tasks

    medians = {name: statistics.median(values) for name, values in times.items()}
    ratios = {
        "off_vs_plain": medians["off"] / medians["plain"],
        "on_vs_plain": medians["on"] / medians["plain"],
    }
    print(f"{'variant':<8} {'µs per task':>12} {'SQL per task':>13}")
    for name, median in medians.items():
        print(f"{name:<8} {median * 1e6:>12.1f} {queries[name]:>13}")
    for name, ratio in ratios.items():
        print(f"{name}: {ratio:.3f}")
    report: dict[str, Any] = {
        "rounds": options.rounds,
        "tasks_per_round": options.tasks,
        "us_per_task": {name: median * 1e6 for name, median in medians.items()},
        "sql_per_task": queries,
        "ratios": ratios,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {options.output}")


if __name__ == "__main__":
    main()
