"""The packaged 503 page under a strict Content Security Policy (Django 6.0's own)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import django
import pytest
from django.utils import timezone
from pytest_django import Settings

from maintenance_waffle.core import set_maintenance_mode
from tests.test_page import STRICT_CSP

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

pytestmark = pytest.mark.skipif(
    django.VERSION < (6, 0), reason="Django's own Content Security Policy came with 6.0"
)


@pytest.mark.django_db
def test_the_policy_header_names_the_pages_nonce(client: Any, settings: Settings) -> None:
    settings.SECURE_CSP = STRICT_CSP
    set_maintenance_mode(True)

    response = client.get("/")

    assert response.status_code == 503
    nonces = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
    assert len(nonces) == 1
    (nonce,) = nonces
    policy = response["Content-Security-Policy"]
    assert f"style-src 'self' 'nonce-{nonce}'" in policy
    assert f"script-src 'self' 'nonce-{nonce}'" in policy


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_page_is_styled_and_scripted_under_a_strict_policy(
    live_server: Any, new_page: Callable[..., Page], settings: Settings
) -> None:
    settings.SECURE_CSP = STRICT_CSP
    set_maintenance_mode(True, end=timezone.now() + timedelta(minutes=10), reason="Upgrading")
    page = new_page()
    refused: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", console)
    response = page.goto(live_server.url + "/")

    assert response is not None
    assert response.status == 503
    assert "'nonce-" in response.headers["content-security-policy"]
    # The inline stylesheet applies (the page's own background, not the browser's white),
    # and the reload script ran: it shows the line that counts down.
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 247, 249)"
    page.locator("#reload").wait_for(state="visible")
    assert refused == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_invalid_bypass_link_page_is_styled_under_a_strict_policy(
    live_server: Any, new_page: Callable[..., Page], settings: Settings
) -> None:
    settings.SECURE_CSP = STRICT_CSP
    page = new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    response = page.goto(live_server.url + "/maintenance-mode/bypass/not-a-token/")

    assert response is not None
    assert response.status == 403
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "576px"
    assert refused == []
