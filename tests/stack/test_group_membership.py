"""A group of 100,000 users targeted by the maintenance flag: one logged-in user added to
it, then removed, by another process, is followed by every worker within the refresh
interval, while a logged-in non-member and an anonymous visitor are served throughout."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from tests.stack.figures import FIGURES
from tests.stack.services import MANAGE, ROOT, Browser, Gunicorn, Response, Stack, request

pytestmark = pytest.mark.stack

MEMBERS = 100_000
GROUP = "stack-many-members"
PREFIX = "stack-member-"  # the bulk users' usernames: PREFIX + a number
NEWCOMER = ("stack-newcomer", "newcomer-pass-123")
FLAG = "maintenance_mode"


@dataclass(frozen=True)
class Group:
    id: int
    seconds_to_create: float


def shell(stack: Stack, code: str) -> str:
    """Run ``code`` in ``manage.py shell`` (another process, Django's ORM, its signals);
    what it printed."""
    return stack.manage("shell", "--no-imports", "-c", code).stdout


@pytest.fixture
def many_members(stack: Stack) -> Iterator[Group]:
    """The group and its members inserted with SQL (no password hashing: unusable
    passwords), then targeted through the ORM: the flag's Everyone set to Unknown and the
    group added to its groups. Everything is undone afterwards."""
    started = time.monotonic()
    with stack.postgres.connect(stack.database) as connection, connection.transaction():
        [(group_id,)] = connection.execute(
            "INSERT INTO auth_group (name) VALUES (%s) RETURNING id", (GROUP,)
        ).fetchall()
        connection.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " SELECT '!', false, %s || n, '', '', '', false, true, now()"
            " FROM generate_series(1, %s) AS n",
            (PREFIX, MEMBERS),
        )
        connection.execute(
            "INSERT INTO auth_user_groups (user_id, group_id)"
            " SELECT id, %s FROM auth_user WHERE username LIKE %s",
            (group_id, f"{PREFIX}%"),
        )
    stack.postgres.execute(stack.database, "ANALYZE auth_user, auth_user_groups")
    created = time.monotonic() - started
    [(members,)] = stack.postgres.execute(
        stack.database, "SELECT count(*) FROM auth_user_groups WHERE group_id = %s", group_id
    )
    assert members == MEMBERS

    [(everyone,)] = stack.postgres.execute(
        stack.database, "SELECT everyone FROM waffle_flag WHERE name = %s", FLAG
    )
    try:
        shell(
            stack,
            "from django.contrib.auth import get_user_model\n"
            "from waffle import get_waffle_flag_model\n"
            f"flag = get_waffle_flag_model().objects.get(name={FLAG!r})\n"
            "flag.everyone = None\n"
            "flag.save()\n"
            f"flag.groups.add({group_id})\n"
            f"get_user_model().objects.create_user({NEWCOMER[0]!r}, password={NEWCOMER[1]!r})\n",
        )
        yield Group(group_id, created)
    finally:
        shell(
            stack,
            "from django.contrib.auth import get_user_model\n"
            "from waffle import get_waffle_flag_model\n"
            f"flag = get_waffle_flag_model().objects.get(name={FLAG!r})\n"
            f"flag.groups.remove({group_id})\n"
            f"flag.everyone = {everyone!r}\n"
            "flag.save()\n"
            f"get_user_model().objects.filter(username={NEWCOMER[0]!r}).delete()\n",
        )
        with stack.postgres.connect(stack.database) as connection, connection.transaction():
            connection.execute("DELETE FROM auth_user_groups WHERE group_id = %s", (group_id,))
            connection.execute("DELETE FROM auth_user WHERE username LIKE %s", (f"{PREFIX}%",))
            connection.execute("DELETE FROM auth_group WHERE id = %s", (group_id,))


def change_membership(stack: Stack, group_id: int, add: bool) -> subprocess.Popen[str]:
    """Start another process that adds the newcomer to the group (or removes them) with
    ``user.groups.add()`` / ``.remove()`` and prints when (epoch, just before the call)."""
    code = (
        "import time\n"
        "from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.get(username={NEWCOMER[0]!r})\n"
        "started = time.time()\n"
        f"user.groups.{'add' if add else 'remove'}({group_id})\n"
        "print(started)\n"
    )
    return subprocess.Popen(
        [sys.executable, str(MANAGE), "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=stack.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def changed_at(process: subprocess.Popen[str]) -> float:
    """When the change started, once its process has ended."""
    try:
        stdout, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    assert process.returncode == 0, stderr
    return float(stdout.strip().splitlines()[-1])


def get(port: int, path: str, browser: Browser | None) -> Response:
    """GET with ``browser``'s cookies, without changing them (safe across threads)."""
    headers = {"Host": f"127.0.0.1:{port}"}
    if browser is not None and browser.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    return request(port, path, headers=headers)


@dataclass(frozen=True)
class State:
    """What one worker reported for the newcomer: sent and answered at (epoch)."""

    pid: int
    member: bool
    sent: float
    answered: float


def ask_state(port: int, newcomer: Browser) -> State:
    sent = time.time()
    response = get(port, "/status.json", newcomer)
    assert response.status == 200, response.text[:300]
    data = response.json()
    return State(data["pid"], data["maintenance_mode"], sent, response.at)


@dataclass
class Followed:
    """What every worker reported for the newcomer, and what the others got meanwhile."""

    states: list[State] = field(default_factory=list)
    others: dict[str, list[int]] = field(default_factory=dict)
    #: When each worker (of those serving at the end) first answered the new state.
    workers: dict[int, float] = field(default_factory=dict)

    def first_seen(self, member: bool) -> dict[int, float]:
        """When each worker first answered ``member`` (epoch)."""
        seen: dict[int, float] = {}
        for state in self.states:
            if state.member == member:
                seen[state.pid] = min(seen.get(state.pid, state.answered), state.answered)
        return seen

    def went_back(self, member: bool) -> list[State]:
        """Answers of the old state to requests sent after the worker had answered the
        new one (concurrent requests may be answered in any order)."""
        seen = self.first_seen(member)
        return [
            state
            for state in self.states
            if state.member != member and state.pid in seen and state.sent > seen[state.pid]
        ]

    @property
    def requests(self) -> int:
        return len(self.states) + sum(len(statuses) for statuses in self.others.values())


def follow(
    stack: Stack,
    servers: list[Gunicorn],
    newcomer: Browser,
    others: Mapping[str, Browser | None],
    member: bool,
    timeout: float,
) -> Followed:
    """Ask every worker (``/status.json`` with the newcomer's session, twice as many
    concurrent requests per server as it has workers) until each has answered
    ``maintenance_mode == member``, while ``/about/`` is asked as each of ``others``:
    everything answered."""
    followed = Followed(others={name: [] for name in others})
    deadline = time.monotonic() + timeout
    while True:
        expected = set().union(*(server.worker_pids() for server in servers))
        states = [
            stack.executor.submit(ask_state, server.port, newcomer)
            for server in servers
            for _ in range(2 * server.workers)
        ]
        pages = [
            (name, stack.executor.submit(get, server.port, "/about/", browser))
            for server in servers
            for name, browser in others.items()
        ]
        followed.states.extend(future.result() for future in states)
        for name, page in pages:
            followed.others[name].append(page.result().status)
        seen = followed.first_seen(member)
        if len(expected) == sum(server.workers for server in servers) and expected <= set(seen):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"workers answering maintenance_mode={member} for the newcomer after "
                f"{timeout} s: {sorted(seen)} of {sorted(expected)}"
            )
        time.sleep(0.02)
    followed.workers = {pid: seen[pid] for pid in expected}
    return followed


def test_a_member_added_to_and_removed_from_a_large_targeted_group(
    stack: Stack, main_servers: dict[str, list[Gunicorn]], many_members: Group
) -> None:
    # Four workers: two servers of two, one with Redis as its cache and one with LocMem.
    servers = [main_servers["redis"][0], main_servers["locmem"][0]]
    port = servers[0].port
    newcomer, alice = Browser(), Browser()
    newcomer.login(port, *NEWCOMER)
    alice.login(port, "alice", "alice-pass-123")
    others: dict[str, Browser | None] = {"alice": alice, "anonymous": None}
    # Long enough for the other process to start Django, too.
    timeout = stack.refresh_interval + 30

    def about_newcomer() -> set[int]:
        return {get(server.port, "/about/", newcomer).status for server in servers * 4}

    # Not a member yet: every worker has the flag's new targeting and serves the newcomer.
    before = follow(stack, servers, newcomer, others, member=False, timeout=timeout)
    about_before = about_newcomer()

    # The newcomer joins, then leaves, while every worker is being watched.
    adding = change_membership(stack, many_members.id, add=True)
    try:
        added = follow(stack, servers, newcomer, others, member=True, timeout=timeout)
    finally:
        added_at = changed_at(adding)
    about_added = about_newcomer()

    removing = change_membership(stack, many_members.id, add=False)
    try:
        removed = follow(stack, servers, newcomer, others, member=False, timeout=timeout)
    finally:
        removed_at = changed_at(removing)
    about_removed = about_newcomer()

    slowest_add = round(max(added.workers.values()) - added_at, 3)
    slowest_remove = round(max(removed.workers.values()) - removed_at, 3)
    name = f"{MEMBERS:,}-member targeted group (refresh interval {stack.refresh_interval} s)"
    FIGURES[name] = {
        "workers": sum(server.workers for server in servers),
        "members inserted with SQL (s)": round(many_members.seconds_to_create, 2),
        "member added with user.groups.add(), slowest worker (s)": slowest_add,
        "member removed with user.groups.remove(), slowest worker (s)": slowest_remove,
        "requests": before.requests + added.requests + removed.requests,
    }
    assert {state.member for state in before.states} == {False}
    for phase, member in ((added, True), (removed, False)):
        assert phase.went_back(member) == []
    for phase in (before, added, removed):
        assert {name: set(statuses) for name, statuses in phase.others.items()} == {
            "alice": {200},
            "anonymous": {200},
        }
    assert about_before == {200}
    assert about_added == {503}
    assert about_removed == {200}
    bound = stack.refresh_interval + 1
    assert slowest_add <= bound
    assert slowest_remove <= bound
