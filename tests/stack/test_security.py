"""Against the real servers: forged cookies, query strings and headers neither bypass
maintenance nor change it, and only a superuser's CSRF-checked POST changes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from maintenance_waffle.decision import bucket
from tests.stack.services import Browser, Gunicorn, Stack, form_fields, request

pytestmark = pytest.mark.stack

EXEMPT_FLAG = "maintenance_mode_exempt"

FORGERIES = {
    "waffle's percentage cookie": {"Cookie": f"dwf_{EXEMPT_FLAG}=True"},
    "waffle's testing cookie": {"Cookie": f"dwft_{EXEMPT_FLAG}=True"},
    "waffle's testing header": {f"DWFT-{EXEMPT_FLAG.replace('_', '-')}": "1"},
    "waffle's testing query": f"?dwft_{EXEMPT_FLAG}=1",
    "WAFFLE_OVERRIDE query": f"?{EXEMPT_FLAG}=1",
    "X-Forwarded-For of an allowlisted address": {"X-Forwarded-For": Stack.allowlisted_ip},
    "X-Real-IP of an allowlisted address": {"X-Real-IP": Stack.allowlisted_ip},
}


@pytest.fixture(scope="module")
def allowlisted(stack: Stack) -> Iterator[Gunicorn]:
    """A server whose MAINTENANCE_MODE_IGNORE_IP_ADDRESSES lists 127.0.0.1 (REMOTE_ADDR)."""
    [server] = stack.serve({"allowlisted": stack.env(IGNORE_IPS="127.0.0.1")})
    yield server
    stack.stop_servers([server])


@pytest.fixture
def cookie_bait(stack: Stack) -> Iterator[None]:
    """Let waffle's own evaluation honour dwf_/dwft_ cookies for the exempt flag
    (testing mode, and a percentage that leaves out this client's address), so that
    the forgeries would work if waffle decided."""
    percent = bucket(EXEMPT_FLAG, "ip:127.0.0.1") or None
    stack.postgres.execute(
        stack.database,
        "UPDATE waffle_flag SET testing = true, percent = %s WHERE name = %s",
        percent,
        EXEMPT_FLAG,
    )
    yield
    stack.postgres.execute(
        stack.database,
        "UPDATE waffle_flag SET testing = false, percent = NULL WHERE name = %s",
        EXEMPT_FLAG,
    )


@pytest.fixture
def alice(stack: Stack, every_server: list[Gunicorn], switch) -> tuple[Browser, str]:
    """A user who is not a superuser, logged in, with a CSRF token from a real form."""
    switch(False)
    browser = Browser()
    browser.login(every_server[0].port, "alice", "alice-pass-123")
    page = browser.get(every_server[0].port, "/notes/")
    return browser, form_fields(page.text)["csrfmiddlewaretoken"]


def attempts(
    port: int, admin: Browser, alice: tuple[Browser, str], url: str
) -> dict[str, tuple[int, str]]:
    """Every way of asking ``url`` to change the state that must not work:
    (status, Location or the start of the body) for each."""
    user, token = alice
    anonymous = Browser()
    results = {
        "anonymous GET": anonymous.get(port, url),
        "anonymous POST without CSRF": anonymous.post(port, url, {"reason": "x"}),
        "superuser GET": admin.get(port, url),
        "superuser POST without CSRF": admin.post(port, url, {"reason": "x"}),
        "non-superuser GET": user.get(port, url),
        "non-superuser POST with CSRF": user.post(
            port, url, {"csrfmiddlewaretoken": token, "reason": "x"}
        ),
    }
    return {
        name: (response.status, response.headers.get("location") or response.text)
        for name, response in results.items()
    }


@pytest.mark.usefixtures("cookie_bait")
def test_nothing_forged_bypasses_or_changes_maintenance(
    stack: Stack,
    every_server: list[Gunicorn],
    allowlisted: Gunicorn,
    admin: Browser,
    alice: tuple[Browser, str],
    switch,
) -> None:
    switch(True)
    forged = {
        (name, server.name): request(
            server.port,
            "/about/" + (forgery if isinstance(forgery, str) else ""),
            headers=forgery if isinstance(forgery, dict) else None,
        ).status
        for name, forgery in FORGERIES.items()
        for server in every_server
    }
    # The exemptions that are real do work, on the same servers.
    genuine = {
        "allowlisted REMOTE_ADDR": request(allowlisted.port, "/about/").status,
        "superuser": admin.get(every_server[1].port, "/about/").status,
    }
    port = every_server[2].port
    to_off = attempts(port, admin, alice, "/maintenance-mode/off/")
    off_site = {
        url: admin.submit(port, "/maintenance-mode/on/", {"next": url}).headers["location"]
        for url in ("https://evil.example/", "//evil.example/", "/\\evil.example/")
    }
    while_on = stack.status()
    about_on = {request(server.port, "/about/").status for server in every_server}

    switch(False)
    to_on = attempts(port, admin, alice, "/maintenance-mode/on/")
    while_off = stack.status()
    about_off = {request(server.port, "/about/").status for server in every_server}

    assert set(forged.values()) == {503}, forged
    assert genuine == {"allowlisted REMOTE_ADDR": 200, "superuser": 200}
    assert off_site == dict.fromkeys(off_site, "/")
    assert while_on["maintenance_mode"] is True
    assert while_on["exempt_flag"]["percent"] == (bucket(EXEMPT_FLAG, "ip:127.0.0.1") or 0.0)
    assert about_on == {503}
    assert while_off["maintenance_mode"] is False
    assert about_off == {200}
    for url, results in (("/maintenance-mode/off/", to_off), ("/maintenance-mode/on/", to_on)):
        statuses = {name: status for name, (status, _) in results.items()}
        assert statuses == {
            "anonymous GET": 302,
            "anonymous POST without CSRF": 403,
            "superuser GET": 200,
            "superuser POST without CSRF": 403,
            "non-superuser GET": 403,
            "non-superuser POST with CSRF": 403,
        }, url
        assert results["anonymous GET"][1].startswith("/accounts/login/?next=")
        assert "CSRF verification failed" in results["superuser POST without CSRF"][1]
        # Refused for not being a superuser: the token itself was accepted.
        assert "CSRF" not in results["non-superuser POST with CSRF"][1]
