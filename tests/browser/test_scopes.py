"""The 503 pages of a maintenance area and of read-only mode in a real browser.

The screenshots land in docs/screenshots/ with `make screenshots`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from pytest_django import Settings

from maintenance_waffle.core import set_maintenance_mode, set_read_only

if TYPE_CHECKING:
    from playwright.sync_api import Page

# As in test_browser.py: the live server sees what the test commits.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AREA_REASON = "Switching payment providers"
READ_ONLY_REASON = "Moving the database to a new server"

# A form on the page, sent to the page itself, as a visitor's click would send it.
SUBMIT = """() => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = location.pathname;
  const field = document.createElement("input");
  field.name = "message";
  field.value = "Hello";
  form.append(field);
  document.body.append(form);
  form.submit();
}"""


def test_area_page(
    settings: Settings,
    live_server: Any,
    new_page: Callable[..., Page],
    screenshot: Callable[..., None],
) -> None:
    # The test project's /page/ stands in for a checkout.
    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/page/"]}
    set_maintenance_mode(True, area="checkout", reason=AREA_REASON)
    page = new_page()

    response = page.goto(live_server.url + "/page/")

    assert response is not None
    assert response.status == 503
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().strip() == "This part of the site is down for maintenance"
    page.get_by_text(AREA_REASON).wait_for(state="visible")
    screenshot(page, "area-503")
    # The rest of the site is up.
    home = page.goto(live_server.url + "/")
    assert home is not None
    assert home.status == 200


def test_read_only_page_after_a_form_post(
    live_server: Any,
    new_page: Callable[..., Page],
    screenshot: Callable[..., None],
) -> None:
    set_read_only(True, reason=READ_ONLY_REASON)
    page = new_page()
    opened = page.goto(live_server.url + "/page/")
    assert opened is not None
    assert opened.status == 200  # reading goes on

    with page.expect_response(lambda response: response.request.method == "POST") as sent:
        page.evaluate(SUBMIT)
    page.wait_for_load_state()

    assert sent.value.status == 503
    assert sent.value.url == live_server.url + "/page/"
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().strip() == "Changes are paused for a while"
    page.get_by_text(READ_ONLY_REASON).wait_for(state="visible")
    screenshot(page, "read-only-503")
