"""A change made anywhere reaches every worker of every server within the refresh
interval (plus the request that triggers the refresh), with Redis or LocMem as cache."""

from __future__ import annotations

import pytest

from tests.stack.figures import FIGURES
from tests.stack.services import Browser, Gunicorn, Stack, request

pytestmark = pytest.mark.stack


def command(stack: Stack, admin: Browser, on: bool) -> None:
    stack.manage("maintenance_mode", "on" if on else "off")


def waffle_switch(stack: Stack, admin: Browser, on: bool) -> None:
    stack.manage("waffle_switch", "maintenance_mode", "on" if on else "off")


def admin_forms(stack: Stack, admin: Browser, on: bool, port: int) -> None:
    if on:
        # Our confirmation form.
        response = admin.submit(port, "/maintenance-mode/on/", {"reason": "Upgrading"})
    else:
        # Waffle's own admin: untick "Active" on the switch's change form.
        [(switch_id,)] = stack.postgres.execute(
            stack.database, "SELECT id FROM waffle_switch WHERE name = %s", "maintenance_mode"
        )
        response = admin.submit(
            port, f"/admin/waffle/switch/{switch_id}/change/", {"active": None}, marker="name"
        )
    assert response.status == 302, response.text[:500]


def delays(stack: Stack, main_servers: dict[str, list[Gunicorn]], on: bool) -> dict[str, float]:
    """Wait for every worker; the slowest worker's delay after the save, per cache."""
    every_server = [server for servers in main_servers.values() for server in servers]
    seen = stack.wait(every_server, on)
    changed_at = stack.switch_modified()
    return {
        cache: round(max(at - changed_at for s in servers for at in seen[s.name].values()), 3)
        for cache, servers in main_servers.items()
    }


@pytest.mark.usefixtures("switch")
@pytest.mark.parametrize("channel", ["maintenance_mode command", "waffle_switch command", "admin"])
def test_every_worker_follows_within_the_interval(
    channel: str, stack: Stack, main_servers: dict[str, list[Gunicorn]], admin: Browser
) -> None:
    every_server = [server for servers in main_servers.values() for server in servers]

    def change(on: bool) -> None:
        if channel == "maintenance_mode command":
            command(stack, admin, on)
        elif channel == "waffle_switch command":
            waffle_switch(stack, admin, on)
        else:
            # Through a server that is not the one the others are compared with.
            admin_forms(stack, admin, on, every_server[-1].port)

    assert stack.status()["maintenance_mode"] is False
    change(True)
    on = delays(stack, main_servers, True)
    about_on = {request(server.port, "/about/").status for server in every_server * 4}
    change(False)
    off = delays(stack, main_servers, False)
    about_off = {request(server.port, "/about/").status for server in every_server * 4}

    FIGURES.setdefault("propagation seconds, slowest worker (refresh interval 0.5 s)", {})[
        channel
    ] = {"on": on, "off": off}
    bound = stack.refresh_interval + 1
    assert max(on.values()) <= bound, on
    assert max(off.values()) <= bound, off
    assert about_on == {503}
    assert about_off == {200}
