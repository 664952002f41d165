"""Under load, while maintenance is toggled: every response is a 200 or a 503."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from tests.stack.figures import FIGURES
from tests.stack.services import Browser, Gunicorn, Stack, request

pytestmark = pytest.mark.stack

TOGGLES = 20
CLIENTS = 4
# Bounds of the load loop: per client, and for the whole test.
MAX_REQUESTS_PER_CLIENT = 20_000
MAX_SECONDS = 90


@pytest.mark.usefixtures("switch")
def test_every_response_is_200_or_503_while_toggling(
    stack: Stack, every_server: list[Gunicorn], admin: Browser
) -> None:
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    done = threading.Event()
    deadline = time.monotonic() + MAX_SECONDS

    def client(index: int) -> None:
        for number in range(MAX_REQUESTS_PER_CLIENT):
            if done.is_set() or time.monotonic() > deadline:
                return
            server = every_server[(index + number) % len(every_server)]
            try:
                status = request(server.port, "/about/").status
            except Exception as error:  # a lost request: refused, reset, timed out
                with lock:
                    failures.append(f"{server!r}: {error!r}")
            else:
                with lock:
                    statuses[status] += 1

    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    slowest: list[float] = []
    try:
        for toggle in range(TOGGLES):
            on = toggle % 2 == 0
            port = every_server[toggle % len(every_server)].port
            response = admin.submit(port, f"/maintenance-mode/{'on' if on else 'off'}/")
            assert response.status == 302, response.text[:300]
            seen = stack.wait(every_server, on)
            changed_at = stack.switch_modified()
            slowest.append(max(at - changed_at for pids in seen.values() for at in pids.values()))
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=30)

    FIGURES["load: /about/ responses while toggling 20 times"] = {
        "clients": CLIENTS,
        "servers": len(every_server),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "lost": len(failures),
        "slowest worker per toggle, max seconds": round(max(slowest), 3),
    }
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert set(statuses) == {200, 503}, statuses
    assert max(slowest) <= stack.refresh_interval + 1, slowest
    # Toggled an even number of times: off again, on every server.
    assert {request(server.port, "/about/").status for server in every_server * 4} == {200}
