"""How long a change takes to reach every serving process.

Starts PROCESSES serving processes (each calls Django's WSGI handler in a loop, one
request every millisecond, like a busy worker) sharing one database, then switches
maintenance on and off from another process with ``manage.py maintenance_mode`` and
records when each server first answers the new status. Run once with Django's default
per-process cache (LocMem) and once with Redis as the cache.

    python benchmarks/propagation.py [--processes 4] [--flips 6]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SERVE = """
import io, json, sys, time, django
django.setup()
from django.core.wsgi import get_wsgi_application
handler = get_wsgi_application()
statuses = []
def start_response(status, headers, exc_info=None):
    statuses.append(int(status.split()[0]))
environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "testserver",
           "SERVER_PORT": "80", "HTTP_HOST": "testserver", "REMOTE_ADDR": "10.0.0.1",
           "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr}
last = None
deadline = time.time() + float(sys.argv[1])
while time.time() < deadline:
    response = handler({**environ, "wsgi.input": io.BytesIO()}, start_response)
    response.close()
    status = statuses.pop()
    if status != last:
        print(json.dumps({"status": status, "at": time.time()}), flush=True)
        last = status
    time.sleep(0.001)
"""

FLIP = """
import sys, time, django
django.setup()
from maintenance_waffle.core import set_maintenance_mode
set_maintenance_mode(sys.argv[1] == "on")
print(time.time(), flush=True)
"""


def environment(directory: Path, cache: str) -> dict[str, str]:
    return {
        **os.environ,
        "BENCH_VARIANT": "mw-off",
        "BENCH_DIRECTORY": str(directory),
        "BENCH_CACHE": cache,
        "BENCH_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "PYTHONPATH": str(ROOT),
    }


def run(cache: str, processes: int, flips: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        env = environment(Path(directory), cache)
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--verbosity", "0"], env=env, check=True
        )
        duration = 3 + flips * 4
        servers = [
            subprocess.Popen(
                [sys.executable, "-c", SERVE, str(duration)],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        delays: list[float] = []
        try:
            for server in servers:  # each reports its first 200
                assert server.stdout is not None
                json.loads(server.stdout.readline())
            time.sleep(1.5)
            for flip in range(flips):
                wanted = 503 if flip % 2 == 0 else 200
                done = subprocess.run(
                    [sys.executable, "-c", FLIP, "on" if wanted == 503 else "off"],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                switched = float(done.stdout)
                seen = []
                for server in servers:
                    assert server.stdout is not None
                    event = json.loads(server.stdout.readline())
                    assert event["status"] == wanted, event
                    seen.append(event["at"] - switched)
                delays.append(max(seen))
                # A random pause, so that flips fall anywhere in the refresh cycle.
                time.sleep(random.uniform(0.3, 1.3))
        finally:
            for server in servers:
                server.kill()
                server.wait()
                if server.stdout is not None:
                    server.stdout.close()
    return {
        "cache": cache.rsplit(".", 1)[-1],
        "processes": processes,
        "flips": flips,
        "slowest_process_seconds": delays,
        "median_seconds": statistics.median(delays),
        "max_seconds": max(delays),
    }


def redis_reachable() -> bool:
    try:
        import redis
    except ImportError:
        return False
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--flips", type=int, default=6)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "propagation.json"
    )
    options = parser.parse_args()
    caches = ["django.core.cache.backends.locmem.LocMemCache"]
    if redis_reachable():
        caches.append("django.core.cache.backends.redis.RedisCache")
    else:
        print("Redis is not reachable on BENCH_REDIS_URL: measuring LocMem only.")
    results = []
    for cache in caches:
        result = run(cache, options.processes, options.flips)
        results.append(result)
        print(
            f"{result['cache']:<12} {options.processes} processes: every process followed "
            f"within {result['max_seconds']:.2f} s (median {result['median_seconds']:.2f} s) "
            f"over {options.flips} flips; MAINTENANCE_WAFFLE_REFRESH_INTERVAL = 1.0 s"
        )
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
