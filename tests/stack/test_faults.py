"""The database or the cache goes away while the servers are serving, or the app is
deployed before ``migrate``: the maintenance decision never turns that into a 500."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.stack.figures import FIGURES
from tests.stack.services import Gunicorn, Observation, Stack, observe, request

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def fail_closed(stack: Stack) -> Iterator[Gunicorn]:
    """A server with MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE = True."""
    [server] = stack.serve({"fail-closed": stack.env(FALLBACK="1")})
    yield server
    stack.stop_servers([server])


@dataclass
class About:
    server: str
    status: int | None
    error: str | None
    at: float


def about(server: Gunicorn) -> About:
    try:
        return About(server.name, request(server.port, "/about/").status, None, time.time())
    except Exception as error:
        return About(server.name, None, repr(error), time.time())


def watch(
    stack: Stack, servers: list[Gunicorn], until: float
) -> tuple[list[Observation | Exception], list[About]]:
    """``/status.json`` from every worker and ``/about/`` from every server, over and
    over until ``until`` (epoch)."""
    states: list[Observation | Exception] = []
    pages: list[About] = []
    while time.time() < until:
        pending = [stack.executor.submit(about, server) for server in servers for _ in range(2)]
        states.extend(observe(stack.executor, servers))
        pages.extend(future.result() for future in pending)
        time.sleep(0.02)
    return states, pages


def pg_outage(
    stack: Stack, servers: list[Gunicorn], on: bool, fallback: Callable[[str], bool]
) -> dict[str, float]:
    """Stop PostgreSQL with maintenance ``on`` (or off), watch until the fallback must
    have taken over, start it again; check what each server answered, and when."""
    stopping = time.time()
    stack.postgres.stop()
    stopped = time.time()
    try:
        # The contract: the state read last is kept for MAX_STALENESS seconds, counted
        # from the last good read (at most one interval before the stop, as every worker
        # was asked just before), then the fallback is used from the next refresh on.
        keep_until = stopping + stack.max_staleness - stack.refresh_interval - 0.5
        fallback_from = stopped + stack.max_staleness + stack.refresh_interval + 1
        states, pages = watch(stack, servers, until=fallback_from + 0.5)
    finally:
        stack.postgres.start()
    restarted = time.time()
    seen = stack.wait(servers, on)
    back = max(at for pids in seen.values() for at in pids.values()) - restarted

    failures: list[object] = [state for state in states if isinstance(state, Exception)]
    failures += [page for page in pages if page.status not in (200, 503)]
    assert failures == []
    observations = [state for state in states if isinstance(state, Observation)]
    kept = [(s.server, s.maintenance_mode) for s in observations if s.at < keep_until]
    kept_pages = {(p.server, p.status) for p in pages if p.at < keep_until}
    later = [(s.server, s.maintenance_mode) for s in observations if s.at > fallback_from]
    later_pages = {(p.server, p.status) for p in pages if p.at > fallback_from}
    assert kept
    assert later
    assert {value for _, value in kept} == {on}
    assert kept_pages == {(server.name, 503 if on else 200) for server in servers}
    assert all(value == fallback(name) for name, value in later), later
    assert later_pages == {
        (server.name, 503 if fallback(server.name) else 200) for server in servers
    }
    assert back <= stack.refresh_interval + 1

    # When each worker changed to the fallback (those for which it differs).
    switched: dict[int, float] = {}
    for state in observations:
        if state.maintenance_mode != on and state.pid not in switched:
            switched[state.pid] = state.at - stopped
    return {
        "/about/ answers during the outage": len(pages),
        "fallback after, first worker (s)": round(min(switched.values()), 2),
        "fallback after, last worker (s)": round(max(switched.values()), 2),
        "state read again after restart, last worker (s)": round(back, 2),
    }


def test_database_stopped_while_serving(
    stack: Stack, every_server: list[Gunicorn], fail_closed: Gunicorn, switch
) -> None:
    servers = [*every_server, fail_closed]
    stack.wait(servers, False)

    def fallback(name: str) -> bool:
        return name == fail_closed.name

    switch(True)
    stack.wait(servers, True)
    while_on = pg_outage(stack, servers, True, fallback)
    switch(False)
    stack.wait(servers, False)
    while_off = pg_outage(stack, servers, False, fallback)

    FIGURES["PostgreSQL stopped (MAX_STALENESS 4 s, refresh interval 0.5 s)"] = {
        "maintenance on, fallback False": while_on,
        "maintenance off, fallback True": while_off,
    }
    # After the outages, changes propagate as before.
    switch(True)
    stack.wait(servers, True)
    assert {request(server.port, "/about/").status for server in servers * 2} == {503}


def test_cache_stopped_while_serving(stack: Stack, every_server: list[Gunicorn], switch) -> None:
    """Our state never goes through the cache: nothing changes while Redis is down."""
    switch(True)
    stopped = time.time()
    stack.redis.stop()
    try:
        # Changed from another process while the cache is down (waffle's cache flush
        # after the save fails, but the save itself is committed).
        stack.manage("maintenance_mode", "off", check=False)
        followed_off = stack.wait(every_server, False)
        off_delay = max(at for pids in followed_off.values() for at in pids.values())
        off_delay -= stack.switch_modified()
        stack.manage("maintenance_mode", "on", check=False)
        followed_on = stack.wait(every_server, True)
        on_delay = max(at for pids in followed_on.values() for at in pids.values())
        on_delay -= stack.switch_modified()
        # Long enough for any stale state to have expired.
        states, pages = watch(
            stack, every_server, until=stopped + stack.max_staleness + stack.refresh_interval + 1
        )
    finally:
        stack.redis.start()
    # And with the cache back.
    switch(False)

    FIGURES["Redis stopped"] = {
        "change propagated while down, slowest worker (s)": {
            "off": round(off_delay, 3),
            "on": round(on_delay, 3),
        },
        "/about/ answers while down": len(pages),
    }
    assert off_delay <= stack.refresh_interval + 1
    assert on_delay <= stack.refresh_interval + 1
    assert [state for state in states if isinstance(state, Exception)] == []
    assert {state.maintenance_mode for state in states if isinstance(state, Observation)} == {True}
    assert {page.status for page in pages} == {503}


def test_command_while_the_cache_is_down(stack: Stack) -> None:
    stack.redis.stop()
    try:
        completed = stack.manage("maintenance_mode", "on", check=False)
    finally:
        stack.redis.start()
        stack.manage("maintenance_mode", "off")
    # The state is saved and reported; the cache outage is a warning, not a crash.
    assert completed.returncode == 0, completed.stderr[-300:]
    assert "Traceback" not in completed.stderr, completed.stderr[-300:]
    assert "maintenance mode: on" in completed.stdout
    assert "waffle's cache could not be flushed" in completed.stderr


def test_tables_missing_until_migrate(stack: Stack) -> None:
    """Deployed before ``migrate``: the fallback value answers, then the real state."""
    database = stack.database + "_fresh"
    stack.postgres.create_database(database)
    servers = stack.serve(
        {
            "unmigrated-open": stack.env(database=database),
            "unmigrated-closed": stack.env(database=database, FALLBACK="1"),
        }
    )
    try:
        states, pages = watch(stack, servers, until=time.time() + 1)
        started = time.time()
        stack.manage("migrate", "--noinput", "--verbosity", "0", database=database)
        migrated = time.time()
        stack.manage("maintenance_mode", "on", database=database)
        followed = stack.wait(servers, True)
        delay = max(at for pids in followed.values() for at in pids.values())
        delay -= stack.switch_modified(database)
        after = {request(server.port, "/about/").status for server in servers * 2}
    finally:
        stack.stop_servers(servers)

    FIGURES["tables missing"] = {
        "migrate (s)": round(migrated - started, 2),
        "then maintenance_mode on, slowest worker (s)": round(delay, 3),
    }
    assert [state for state in states if isinstance(state, Exception)] == []
    assert {(page.server, page.status) for page in pages} == {
        ("unmigrated-open", 200),
        ("unmigrated-closed", 503),
    }
    assert {
        (state.server, state.site_wide) for state in states if isinstance(state, Observation)
    } == {("unmigrated-open", False), ("unmigrated-closed", True)}
    assert delay <= stack.refresh_interval + 1
    assert after == {503}
