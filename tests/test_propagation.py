"""A change made by one process reaches another one serving with a per-process cache."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A long-running process that answers "what is the state?" on each input line, the way
# a server worker would decide a request: our snapshot next to waffle's own check.
SERVING = """
import json, sys, django
django.setup()
import waffle
from maintenance_waffle.core import get_maintenance_mode
for _ in sys.stdin:
    print(json.dumps([get_maintenance_mode(), waffle.switch_is_active("maintenance_mode")]))
    sys.stdout.flush()
"""


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.process_settings",
        "MAINTENANCE_WAFFLE_TEST_DB": str(tmp_path / "db.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }
    manage(env, "migrate", "--verbosity", "0")
    return env


# The same for read-only mode and an area.
SERVING_SCOPES = """
import json, sys, django
django.setup()
from maintenance_waffle.core import get_maintenance_mode, get_read_only
for _ in sys.stdin:
    print(json.dumps([get_read_only(), get_maintenance_mode(area="checkout")]))
    sys.stdout.flush()
"""


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "django", *args], env=env, cwd=ROOT, check=True, timeout=60
    )


@contextlib.contextmanager
def serving(environment: dict[str, str], code: str) -> Iterator[Callable[[], Any]]:
    """A process running ``code``; yields ``ask()``, which has it answer once."""
    with subprocess.Popen(
        [sys.executable, "-c", code],
        env=environment,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        stdin, stdout = server.stdin, server.stdout
        assert stdin is not None
        assert stdout is not None

        def ask() -> Any:
            stdin.write("?\n")
            stdin.flush()
            return json.loads(stdout.readline())

        yield ask
        stdin.close()


def test_a_change_from_another_process_is_seen_within_the_interval(
    environment: dict[str, str],
) -> None:
    with serving(environment, SERVING) as ask:
        assert ask() == [False, False]  # both read, and waffle's cache now holds "off"

        manage(environment, "maintenance_mode", "on")
        time.sleep(0.3)  # the refresh interval (0.2 s) has passed
        # Ours follows; waffle's per-process cache still says "off".
        assert ask() == [True, False]

        manage(environment, "waffle_switch", "maintenance_mode", "off")
        time.sleep(0.3)
        assert ask()[0] is False


def test_read_only_mode_and_areas_reach_another_process_within_the_interval(
    environment: dict[str, str],
) -> None:
    with serving(environment, SERVING_SCOPES) as ask:
        assert ask() == [False, False]

        # migrate created both switches, so waffle's own command can turn them on.
        manage(environment, "waffle_switch", "maintenance_mode_read_only", "on")
        manage(environment, "waffle_switch", "maintenance_mode:checkout", "on")
        time.sleep(0.3)  # the refresh interval (0.2 s) has passed
        assert ask() == [True, True]

        manage(environment, "waffle_switch", "maintenance_mode_read_only", "off")
        time.sleep(0.3)
        assert ask() == [False, True]
