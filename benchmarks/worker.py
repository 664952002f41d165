"""One benchmark variant in its own process, driven by bench.py over stdin/stdout.

Commands, one per line: ``run wsgi N`` or ``run asgi N`` (N requests through Django's
handler, in process), ``quit``. Each run prints one JSON line: seconds, SQL queries and
cache operations made by the requests themselves, queries made by snapshot refreshes,
and the status codes seen.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

import django

if os.environ.get("BENCH_SWITCH_INTERVAL"):
    sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402

from benchmarks.app import CountingCache  # noqa: E402

VARIANT = os.environ["BENCH_VARIANT"]
counts = Counter[str]()
refreshing = False


def count_query(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    counts["refresh_queries" if refreshing else "queries"] += 1
    return execute(sql, params, many, context)


def instrument(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    if count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(count_query)


def set_up() -> str:
    """Prepare the variant's state; return the Cookie header its requests send."""
    global refreshing
    call_command("migrate", verbosity=0, interactive=False)
    cookie = ""
    if VARIANT.startswith("dmm") and VARIANT.endswith("-on"):
        from maintenance_mode.core import set_maintenance_mode as dmm_set

        dmm_set(True)
    elif VARIANT.startswith("dmm"):
        from maintenance_mode.core import set_maintenance_mode as dmm_set

        dmm_set(False)
    if VARIANT.startswith("mw"):
        from waffle.models import Flag

        from maintenance_waffle import state
        from maintenance_waffle.core import set_maintenance_mode

        if VARIANT in ("mw-on", "mw-on-exempt", "mw-sync-on"):
            set_maintenance_mode(True)
        if VARIANT == "mw-flag50":
            flag = Flag.objects.get(name="maintenance_mode")
            flag.everyone = None
            flag.percent = 50
            flag.save()

        original = state.refresh

        def counted_refresh(config: Any, previous: Any, full: bool) -> Any:
            global refreshing
            refreshing = True
            try:
                return original(config, previous, full)
            finally:
                refreshing = False

        state.refresh = counted_refresh
    if VARIANT == "mw-on-exempt":
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore

        user = User.objects.create_superuser("admin", "admin@example.com", "admin")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    connection_created.connect(instrument)
    for connection in connections.all():
        instrument(connection=connection)
    return cookie


def client_address(index: int) -> str:
    # Visitors from many addresses, so that a percentage splits them.
    return f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"


def run_wsgi(count: int, cookie: str) -> float:
    handler = get_wsgi_application()
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookie:
        base["HTTP_COOKIE"] = cookie
    started = time.perf_counter()
    for index in range(count):
        environ = {**base, "REMOTE_ADDR": client_address(index), "wsgi.input": io.BytesIO()}
        response = handler(environ, start_response)
        b"".join(response)
        response.close()
    seconds = time.perf_counter() - started
    counts.update(status.split()[0] for status in statuses)
    return seconds


def run_asgi(count: int, cookie: str) -> float:
    handler = get_asgi_application()
    headers = [(b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))

    async def one(index: int) -> None:
        done = asyncio.Event()
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                counts[str(message["status"])] += 1
            elif not message.get("more_body"):
                done.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": (client_address(index), 50000),
            "server": ("testserver", 80),
        }
        await handler(scope, receive, send)

    async def all_requests() -> float:
        started = time.perf_counter()
        for index in range(count):
            await one(index)
        return time.perf_counter() - started

    return asyncio.run(all_requests())


def main() -> None:
    # One core for the event loop and its worker threads: hops between cores make the
    # ASGI figures bimodal on small machines. Every variant is pinned alike.
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cookie = set_up()
    CountingCache.operations = 0
    print(json.dumps({"ready": VARIANT}), flush=True)
    for line in sys.stdin:
        command = line.split()
        if not command or command[0] == "quit":
            break
        _, mode, count = command
        counts.clear()
        CountingCache.operations = 0
        runner = run_wsgi if mode == "wsgi" else run_asgi
        seconds = runner(int(count), cookie)
        result = {
            "seconds": seconds,
            "queries": counts.pop("queries", 0),
            "refresh_queries": counts.pop("refresh_queries", 0),
            "cache": CountingCache.operations,
            "statuses": dict(counts),
        }
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
