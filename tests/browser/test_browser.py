"""The 503 page and the admin dashboard in a real browser (Chromium, through Playwright).

The screenshots land in docs/screenshots/ with `make screenshots`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import pytest

from maintenance_waffle.core import set_maintenance_mode
from tests.browser.conftest import DOCS, screenshot_folder

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The live server sees what the test commits, hence transaction=True. serialized_rollback,
# as in the suite's other transactional tests: after the flush, the migrations' rows
# (content types, the switch) are restored rather than recreated with new keys, which
# the next test with serialized_rollback could not load over.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REASON = "Upgrading the database"
PASSWORD = "operator-pass-123"

# The colours an element's text is drawn in and on (the first ancestor with a background).
COLORS = """element => {
  let node = element;
  while (node && getComputedStyle(node).backgroundColor === "rgba(0, 0, 0, 0)") {
    node = node.parentElement;
  }
  return [getComputedStyle(element).color, getComputedStyle(node || document.body).backgroundColor];
}"""


def status(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def luminance(css_color: str) -> float:
    """WCAG 2.2 relative luminance of an ``rgb(...)`` colour."""
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css_color)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(page: Page, selector: str) -> float:
    foreground, background = page.locator(selector).evaluate(COLORS)
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    ("name", "width", "height", "scheme"),
    [
        ("503-phone", 390, 844, "light"),
        ("503-desktop", 1280, 800, "light"),
        ("503-dark", 390, 844, "dark"),
    ],
)
def test_maintenance_page_is_readable(
    live_server: Any,
    new_page: Callable[..., Page],
    screenshot: Callable[..., None],
    name: str,
    width: int,
    height: int,
    scheme: Literal["light", "dark"],
) -> None:
    set_maintenance_mode(True, reason=REASON)
    page = new_page(width=width, height=height)
    page.emulate_media(color_scheme=scheme)

    assert status(page, live_server.url + "/") == 503
    heading = page.get_by_role("heading", level=1)
    heading.wait_for(state="visible")
    assert heading.inner_text().strip()
    page.get_by_text(REASON).wait_for(state="visible")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    # No horizontal scrolling, even on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The heading and the body copy: at least 16 px, and WCAG AA contrast (4.5:1).
    for selector in ("main h1", "main h1 + p", "main .reason"):
        size = page.locator(selector).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 16, (selector, size)
        assert contrast(page, selector) >= 4.5, selector
    screenshot(page, name)


def test_operator_flow(
    live_server: Any,
    django_user_model: Any,
    new_page: Callable[..., Page],
    screenshot: Callable[..., None],
) -> None:
    django_user_model.objects.create_superuser("operator", "operator@example.com", PASSWORD)
    home = live_server.url + "/"

    # The operator logs in and opens the dashboard from the admin index.
    operator = new_page()
    operator.goto(live_server.url + "/admin/login/")
    operator.get_by_label("Username").fill("operator")
    operator.get_by_label("Password").fill(PASSWORD)
    operator.get_by_role("button", name="Log in").click()
    operator.wait_for_url(live_server.url + "/admin/")
    operator.locator(".app-maintenance_waffle").get_by_role(
        "link", name="Maintenance", exact=True
    ).click()
    operator.wait_for_url("**/admin/maintenance_waffle/maintenance/")
    banner = operator.locator(".maintenance-banner")
    success = operator.locator(".messagelist .success")
    assert banner.count() == 0

    # On, with a reason, after a confirmation page.
    operator.get_by_label("Reason shown to visitors", exact=True).fill(REASON)
    operator.get_by_role("button", name="Turn maintenance on").click()
    operator.get_by_text("Please confirm:").wait_for()
    assert REASON in operator.locator("#content-main").inner_text()
    screenshot(operator, "admin-confirm")
    operator.get_by_role("button", name="Confirm").click()
    assert success.inner_text() == "Maintenance mode is on."
    assert "Maintenance mode is on." in banner.inner_text()
    screenshot(operator, "admin-dashboard-on", full_page=True)

    # The banner is on every admin page.
    operator.locator(".breadcrumbs").get_by_role("link", name="Home").click()
    operator.wait_for_url(live_server.url + "/admin/")
    assert "Maintenance mode is on." in banner.inner_text()
    screenshot(operator, "admin-banner")

    anonymous = new_page()
    assert status(anonymous, home) == 503
    anonymous.get_by_text(REASON).wait_for(state="visible")

    # A secret bypass link, shown once in a field of its own.
    banner.get_by_role("link", name="Open the maintenance dashboard").click()
    operator.wait_for_url("**/admin/maintenance_waffle/maintenance/")
    operator.get_by_label("valid for").select_option("30m")
    operator.get_by_role("button", name="Create a secret bypass link").click()
    operator.get_by_role("button", name="Confirm").click()
    message = success.inner_text()
    assert message.startswith("Secret bypass link created, valid until "), message
    link = operator.get_by_label("New secret bypass link").input_value()
    assert link.startswith(live_server.url + "/maintenance-mode/"), link

    insider = new_page()
    assert status(insider, link) == 200
    assert insider.url == home
    assert insider.locator("body").inner_text() == "home"
    assert status(insider, live_server.url + "/page/") == 200
    assert insider.locator("body").inner_text() == "maintenance_mode=True"
    screenshot(insider, "bypass-through")
    assert status(anonymous, home) == 503

    # Off again: everybody gets through.
    operator.get_by_role("button", name="Turn maintenance off").click()
    operator.get_by_role("button", name="Confirm").click()
    assert success.inner_text() == "Maintenance mode is off."
    assert banner.count() == 0
    assert status(anonymous, home) == 200
    assert anonymous.locator("body").inner_text() == "home"


def test_screenshots_go_to_docs_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.delenv("MAINTENANCE_WAFFLE_SCREENSHOTS", raising=False)
    assert screenshot_folder(tmp_path_factory) != DOCS

    monkeypatch.setenv("MAINTENANCE_WAFFLE_SCREENSHOTS", "1")

    assert screenshot_folder(tmp_path_factory) == DOCS
