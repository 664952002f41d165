"""Fixtures of the stack tests: a PostgreSQL and a Redis of our own, and gunicorn servers
of the sample site on them.

Skipped, with the reason, where PostgreSQL, redis-server or the Python packages are
missing; with ``MAINTENANCE_WAFFLE_REQUIRE_SERVICES=1`` (as in CI) that is a failure
instead. ``MAINTENANCE_WAFFLE_PG_BIN`` names the directory of initdb and pg_ctl (when set,
nowhere else is looked at).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stack.figures import FIGURES
from tests.stack.services import (
    Browser,
    Gunicorn,
    Missing,
    Stack,
    find_tools,
    unavailable,
)

RESULTS = Path(__file__).resolve().parent / "results"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    try:
        tools = find_tools()
    except Missing as missing:
        reason = str(missing)
    else:
        reason = ""
    if reason:
        unavailable("stack tests need real services", reason)
    # Not pytest's tmp_path: its parents are closed to the postgres account, and the
    # server's socket path must stay short.
    directory = Path(tempfile.mkdtemp(prefix="mw-stack-"))
    directory.chmod(0o755)
    stack = Stack(tools, directory)
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture(autouse=True)
def _no_server_errors(stack: Stack) -> Iterator[None]:
    before = stack.server_errors()
    yield
    assert stack.server_errors() == before


@pytest.fixture(scope="session")
def main_servers(stack: Stack) -> dict[str, list[Gunicorn]]:
    """Two servers sharing Redis as their cache, two with a per-process cache (LocMem)."""
    redis_env = stack.env(cache="redis")
    locmem_env = stack.env(cache="locmem")
    servers = stack.serve(
        {"redis-1": redis_env, "redis-2": redis_env, "locmem-1": locmem_env, "locmem-2": locmem_env}
    )
    return {"redis": servers[:2], "locmem": servers[2:]}


@pytest.fixture(scope="session")
def every_server(main_servers: dict[str, list[Gunicorn]]) -> list[Gunicorn]:
    return [server for servers in main_servers.values() for server in servers]


@pytest.fixture(scope="session")
def admin(stack: Stack, every_server: list[Gunicorn]) -> Browser:
    """The demo superuser, logged in through a real server (while maintenance is off)."""
    browser = Browser()
    browser.login(every_server[0].port, "admin", "admin-pass-123")
    return browser


@pytest.fixture
def switch(stack: Stack, admin: Browser, every_server: list[Gunicorn]) -> Iterator[Any]:
    """Turns maintenance on or off through ``/maintenance-mode/on/`` as the admin and
    waits until every server follows; off again after the test."""
    port = every_server[0].port

    def set_state(on: bool) -> None:
        response = admin.submit(port, f"/maintenance-mode/{'on' if on else 'off'}/")
        assert response.status == 302, response.text[:300]
        stack.wait(every_server, on)

    yield set_state
    if stack.postgres.running():
        set_state(False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "figures.json").write_text(json.dumps(FIGURES, indent=2) + "\n")
    terminalreporter.section("maintenance_waffle on real servers")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(value)}")
    terminalreporter.write_line(f"(also in {RESULTS / 'figures.json'})")
