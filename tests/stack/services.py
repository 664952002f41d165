"""Private PostgreSQL, Redis and gunicorn processes, and a small HTTP client for them.

Nothing here touches a service that this module did not start: every server gets a
temporary directory and a free loopback port of its own.
"""

from __future__ import annotations

import contextlib
import html.parser
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, NoReturn, TypeVar

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "sample_site" / "manage.py"

#: Set to 1 (as CI does) to fail instead of skipping when a service is missing.
REQUIRE_SERVICES = "MAINTENANCE_WAFFLE_REQUIRE_SERVICES"
#: A directory holding PostgreSQL's initdb and pg_ctl; when set, the only place looked at
#: (``MAINTENANCE_WAFFLE_PG_BIN=/nonexistent`` shows the skip).
PG_BIN = "MAINTENANCE_WAFFLE_PG_BIN"

T = TypeVar("T")


def unavailable(tests: str, reason: str) -> NoReturn:
    """Skip ``tests`` for ``reason``, or fail when REQUIRE_SERVICES is 1."""
    # Imported here: benchmarks/scale.py uses this module's PostgreSQL without pytest.
    import pytest

    if os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_SERVICES}=1", pytrace=False)
    pytest.skip(f"{tests}: {reason}")


class Missing(Exception):
    """A program or library the stack tests need is not installed."""


@dataclass(frozen=True)
class Tools:
    pg_bin: Path
    redis_server: str


def find_tools() -> Tools:
    """Where initdb, pg_ctl and redis-server are; Missing says what is absent."""
    missing = [
        module
        for module in ("gunicorn", "psycopg", "redis")
        if importlib.util.find_spec(module) is None
    ]
    if missing:
        raise Missing(
            f'Python package(s) {", ".join(missing)} not installed (pip install -e ".[test]")'
        )
    if not Path("/proc/self/stat").exists():
        raise Missing("/proc not found (it tells gunicorn's workers apart)")
    pg_bin_dir = pg_bin()
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Missing("running as root, PostgreSQL needs a postgres account") from None
        if shutil.which("runuser") is None:
            raise Missing("running as root, PostgreSQL needs runuser to drop root")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise Missing("redis-server not found on PATH")
    return Tools(pg_bin=pg_bin_dir, redis_server=redis_server)


def pg_bin() -> Path:
    """Where initdb and pg_ctl are; Missing says they are not found."""

    def has_tools(directory: Path) -> bool:
        return all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl"))

    override = os.environ.get(PG_BIN)
    if override is not None:
        if has_tools(Path(override)):
            return Path(override)
        raise Missing(f"PostgreSQL's initdb and pg_ctl not found in {PG_BIN}={override}")
    initdb = shutil.which("initdb")
    if initdb is not None and has_tools(Path(initdb).resolve().parent):
        return Path(initdb).resolve().parent
    # Debian and Ubuntu keep the server programs out of PATH.
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    for directory in reversed(versions):
        if has_tools(directory):
            return directory
    raise Missing("PostgreSQL's initdb and pg_ctl not found (PATH, /usr/lib/postgresql/*/bin)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05
) -> T:
    """Call ``probe`` until it returns something other than None, for at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# PostgreSQL ------------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL cluster of our own in ``directory``, on a free port."""

    user = "postgres"

    def __init__(self, bin_dir: Path, directory: Path) -> None:
        self.bin_dir = bin_dir
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.port = free_port()
        # PostgreSQL refuses to run as root: run it as the postgres account then.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str, timeout: float = 60) -> None:
        completed = subprocess.run(
            [*self._as, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode:
            raise RuntimeError(
                f"{' '.join(args)} failed ({completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}\n{tail(self.log)}"
            )

    def init(self) -> None:
        if self._as:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self, *settings: str) -> None:
        """Start the cluster, with ``settings`` ("name=value") added to the defaults."""
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            # A throw-away cluster: durability only costs time here.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        ) + "".join(f" -c {setting}" for setting in settings)
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self, name: str) -> None:
        from psycopg import sql

        with self.connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def execute(self, dbname: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.connect(dbname) as connection:
            # Without parameters, % in the query is a percent sign, not a placeholder.
            cursor = connection.execute(query, params or None)
            return cursor.fetchall() if cursor.description else []


# Redis -----------------------------------------------------------------------------------


def stop_session(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a process started with ``start_new_session=True``: SIGTERM, then SIGKILL to
    its whole session (the process and its children, nothing else) after 10 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Redis:
    """A redis-server of our own, without persistence, on a free port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.log = directory / "redis.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.directory),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ping, 20, f"redis-server on port {self.port}")

    def _ping(self) -> bool | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{tail(self.log)}")
        import redis

        try:
            with redis.Redis(port=self.port, socket_timeout=1) as client:
                return bool(client.ping()) or None
        except redis.RedisError:
            return None

    def stop(self) -> None:
        stop_session(self.process)  # SIGTERM: redis-server shuts down cleanly
        self.process = None


# gunicorn --------------------------------------------------------------------------------


def process_children(pid: int) -> set[int]:
    """The ids of the processes whose parent is ``pid`` (read from /proc)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (2nd field) is in parentheses and may contain spaces.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.add(int(entry.name))
    return children


def gunicorn_options() -> list[str]:
    names = {setting.name for setting in importlib.import_module("gunicorn.config").KNOWN_SETTINGS}
    # Newer gunicorns open a control socket at one path in the home directory, which
    # every server started by the same account would share.
    return ["--no-control-socket"] if "control_socket_disable" in names else []


class Gunicorn:
    """``gunicorn sample_site.wsgi:application --workers 2`` on a free port."""

    workers = 2

    def __init__(self, name: str, env: Mapping[str, str], directory: Path) -> None:
        self.name = name
        self.env = dict(env)
        self.log = directory / f"gunicorn-{name}.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        return f"<gunicorn {self.name} on port {self.port}>"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "sample_site.wsgi:application",
                    "--workers",
                    str(self.workers),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--graceful-timeout",
                    "3",
                    *gunicorn_options(),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def worker_pids(self) -> set[int]:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self!r} exited:\n{tail(self.log)}")
        return process_children(self.process.pid)

    def stop(self) -> None:
        stop_session(self.process)  # SIGTERM: the master stops its workers
        self.process = None


# HTTP ------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    set_cookies: list[str]
    body: bytes
    at: float  # time.time() when the response had been read

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def request(
    port: int,
    path: str,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10,
) -> Response:
    """One request on a new connection (so that gunicorn spreads them over its workers)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        content = response.read()
        return Response(
            status=response.status,
            headers={name.lower(): value for name, value in response.getheaders()},
            set_cookies=response.headers.get_all("Set-Cookie") or [],
            body=content,
            at=time.time(),
        )
    finally:
        connection.close()


class FormParser(html.parser.HTMLParser):
    """The fields of the first form containing ``marker`` (a field name), as a browser
    would submit them: checked checkboxes only, selected options, textarea text."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.forms: list[list[tuple[str, str]]] = []
        self._form: list[tuple[str, str]] | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = []
            self.forms.append(self._form)
        elif self._form is None or "name" not in attributes:
            pass
        elif tag == "input":
            kind = attributes.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self._form.append((attributes["name"], attributes.get("value", "on")))
        elif tag == "textarea":
            self._textarea = attributes["name"]
            self._text = ""
        elif tag == "select":
            self._select = attributes["name"]
        if (
            tag == "option"
            and self._form is not None
            and self._select is not None
            and "selected" in attributes
        ):
            self._form.append((self._select, attributes.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None

    def fields(self) -> dict[str, str]:
        for form in self.forms:
            names = [name for name, _ in form]
            if self.marker in names:
                return dict(form)
        raise LookupError(f"no form with a field {self.marker!r}")


def form_fields(page: str, marker: str = "csrfmiddlewaretoken") -> dict[str, str]:
    parser = FormParser(marker)
    parser.feed(page)
    return parser.fields()


@dataclass
class Browser:
    """Keeps cookies across requests, like a browser (one server or several)."""

    cookies: dict[str, str] = field(default_factory=dict)

    def _headers(self, port: int, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Host": f"127.0.0.1:{port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _keep(self, response: Response) -> Response:
        for header in response.set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, port: int, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return self._keep(request(port, path, headers=self._headers(port, headers)))

    def post(
        self,
        port: int,
        path: str,
        data: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        extra = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        body = urllib.parse.urlencode(data).encode()
        return self._keep(
            request(port, path, "POST", headers=self._headers(port, extra), body=body)
        )

    def submit(
        self,
        port: int,
        path: str,
        changes: Mapping[str, str | None] | None = None,
        marker: str = "csrfmiddlewaretoken",
    ) -> Response:
        """GET the page at ``path`` and POST its form (the first with a field named
        ``marker``) back to the same path, with ``changes`` applied (None removes a
        field, e.g. an unticked checkbox)."""
        page = self.get(port, path)
        if page.status != 200:
            raise AssertionError(f"GET {path}: {page.status}")
        data = form_fields(page.text, marker)
        for name, value in (changes or {}).items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return self.post(port, path, data)

    def login(self, port: int, username: str, password: str) -> None:
        response = self.submit(
            port, "/accounts/login/", {"username": username, "password": password}
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise AssertionError(f"login as {username}: {response.status} {response.text[:300]}")


# Watching every worker -------------------------------------------------------------------


@dataclass
class Observation:
    server: str
    pid: int
    maintenance_mode: bool
    site_wide: bool
    at: float


def observe(executor: ThreadPoolExecutor, servers: list[Gunicorn], rounds: int = 1) -> list[Any]:
    """``/status.json`` from every server, twice as many concurrent requests as it has
    workers (so that every worker is asked): Observations, or the exceptions raised."""

    def ask(server: Gunicorn) -> Observation:
        response = request(server.port, "/status.json")
        if response.status != 200:
            raise AssertionError(f"{server!r} /status.json: {response.status}")
        data = response.json()
        return Observation(
            server.name, data["pid"], data["maintenance_mode"], data["site_wide"], response.at
        )

    futures = [
        executor.submit(ask, server)
        for _ in range(rounds)
        for server in servers
        for _ in range(2 * server.workers)
    ]
    results: list[Any] = []
    for future in futures:
        try:
            results.append(future.result())
        except Exception as error:
            results.append(error)
    return results


def wait_for_workers(
    executor: ThreadPoolExecutor,
    servers: list[Gunicorn],
    maintenance: bool,
    timeout: float,
) -> dict[str, dict[int, float]]:
    """Poll until every worker of every server reports ``maintenance``; per server name,
    the time (epoch) at which each of its worker pids was first seen doing so."""
    seen: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    errors: list[Exception] = []
    while True:
        expected = {server.name: server.worker_pids() for server in servers}
        for result in observe(executor, servers):
            if isinstance(result, Exception):
                errors.append(result)
            elif result.maintenance_mode == maintenance and result.pid not in seen:
                seen[result.pid] = result.at
        if all(
            len(pids) == server.workers and pids <= seen.keys()
            for server, pids in zip(servers, expected.values(), strict=True)
        ):
            return {name: {pid: seen[pid] for pid in pids} for name, pids in expected.items()}
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"workers reporting maintenance_mode={maintenance} after {timeout} s: "
                f"{sorted(seen)} of {expected}; errors: {errors[:3]}"
            )
        time.sleep(0.02)


@contextlib.contextmanager
def thread_pool(workers: int = 16) -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=workers) as executor:
        yield executor


# The whole stack -------------------------------------------------------------------------


class Stack:
    """Our PostgreSQL and Redis, the sample site's schema and demo data in a database of
    this run, and the gunicorn servers started on them."""

    refresh_interval = 0.5
    max_staleness = 4.0
    allowlisted_ip = "10.9.8.7"

    def __init__(self, tools: Tools, directory: Path) -> None:
        self.directory = directory
        run = directory.name.rsplit("-", 1)[-1].lower()
        for name in ("pg", "redis", "logs"):
            (directory / name).mkdir()
        self.postgres = Postgres(tools.pg_bin, directory / "pg")
        self.redis = Redis(tools.redis_server, directory / "redis")
        self.database = f"sample_{run}"
        self.cache_prefix = f"mw-stack-{run}"
        self.servers: list[Gunicorn] = []
        self.executor = ThreadPoolExecutor(max_workers=16)

    def start(self) -> None:
        self.postgres.init()
        self.postgres.start()
        self.postgres.create_database(self.database)
        self.redis.start()
        self.manage("migrate", "--noinput", "--verbosity", "0")
        self.manage("load_demo", "--verbosity", "0")

    def close(self) -> None:
        """Stop everything started, whatever state it is in, then remove the files."""
        errors = []
        for stop in [*(server.stop for server in self.servers), self.redis.stop]:
            try:
                stop()
            except Exception as error:  # keep stopping the others
                errors.append(error)
        if self.postgres.running():
            try:
                self.postgres.stop()
            except Exception as error:
                errors.append(error)
        self.executor.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.directory, ignore_errors=True)
        if errors:
            raise errors[0]

    def env(
        self, *, cache: str = "redis", database: str | None = None, **settings: str
    ) -> dict[str, str]:
        """The environment of a sample-site process on this stack; ``settings`` are
        ``SAMPLE_*`` variables without the prefix (``FALLBACK="1"``)."""
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("SAMPLE_", "DJANGO_", "PYTEST_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="sample_site.settings",
            PYTHONPATH=str(ROOT),
            SAMPLE_DEBUG="0",
            SAMPLE_DB_ENGINE="postgresql",
            SAMPLE_DB_NAME=database or self.database,
            SAMPLE_DB_HOST="127.0.0.1",
            SAMPLE_DB_PORT=str(self.postgres.port),
            SAMPLE_DB_USER=self.postgres.user,
            SAMPLE_REFRESH_INTERVAL=str(self.refresh_interval),
            SAMPLE_MAX_STALENESS=str(self.max_staleness),
            SAMPLE_IGNORE_IPS=self.allowlisted_ip,
        )
        if cache == "redis":
            env.update(SAMPLE_REDIS_URL=self.redis.url, SAMPLE_CACHE_PREFIX=self.cache_prefix)
        env.update({f"SAMPLE_{name}": value for name, value in settings.items()})
        return env

    def manage(
        self, *args: str, database: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """``python sample_site/manage.py ARGS`` in a process of its own."""
        completed = subprocess.run(
            [sys.executable, str(MANAGE), *args],
            cwd=ROOT,
            env=self.env(database=database),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and completed.returncode:
            raise AssertionError(
                f"manage.py {' '.join(args)} exited {completed.returncode}:\n"
                f"{completed.stdout}{completed.stderr}"
            )
        return completed

    def status(self) -> dict[str, Any]:
        """``manage.py maintenance_mode status --json``."""
        return dict(json.loads(self.manage("maintenance_mode", "status", "--json").stdout))

    def serve(self, specs: Mapping[str, Mapping[str, str]]) -> list[Gunicorn]:
        """Start one gunicorn per ``{name: environment}``, together, and wait until every
        worker of each answers."""
        servers = [Gunicorn(name, env, self.directory / "logs") for name, env in specs.items()]
        self.servers.extend(servers)
        for server in servers:
            server.start()
        for server in servers:
            self.wait_ready(server)
        return servers

    def wait_ready(self, server: Gunicorn, timeout: float = 60) -> None:
        answered: set[int] = set()

        def ready() -> bool | None:
            pids = server.worker_pids()
            for result in observe(self.executor, [server]):
                if not isinstance(result, Exception):
                    answered.add(result.pid)
            return True if len(pids) == server.workers and pids <= answered else None

        try:
            wait_until(ready, timeout, f"{server!r} ready", interval=0.1)
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{tail(server.log)}") from None

    def server_errors(self) -> list[str]:
        """The 500s logged by every gunicorn started so far (Django logs each one)."""
        return [
            line
            for log in sorted((self.directory / "logs").glob("gunicorn-*.log"))
            for line in log.read_text(errors="replace").splitlines()
            if "Internal Server Error" in line
        ]

    def stop_servers(self, servers: list[Gunicorn]) -> None:
        for server in servers:
            server.stop()
            self.servers.remove(server)

    def switch_modified(self, database: str | None = None) -> float:
        """When the maintenance switch was last saved (waffle stamps every save), epoch."""
        rows = self.postgres.execute(
            database or self.database,
            "SELECT modified FROM waffle_switch WHERE name = %s",
            "maintenance_mode",
        )
        return float(rows[0][0].timestamp())

    def wait(
        self, servers: list[Gunicorn], maintenance: bool, timeout: float | None = None
    ) -> dict[str, dict[int, float]]:
        """Wait until every worker reports ``maintenance`` (see ``wait_for_workers``)."""
        if timeout is None:
            timeout = self.refresh_interval + 10
        return wait_for_workers(self.executor, servers, maintenance, timeout)
