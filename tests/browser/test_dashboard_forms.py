"""The dashboard's forms in a real browser: errors before the confirmation, the bypass link
and its copy button, cancelling an upcoming window, and a strict Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from maintenance_waffle.models import MaintenanceWindow
from tests.browser.operator import DASHBOARD, log_in, operator_session

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

#: As Django 6's SECURE_CSP builds it from {"default-src": [CSP.SELF], "script-src":
#: [CSP.SELF, CSP.NONCE], "style-src": [CSP.SELF, CSP.NONCE]}; the nonce is one the
#: pages cannot know, so nothing inline of theirs may run or apply.
POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-not-given-to-pages'; "
    "style-src 'self' 'nonce-not-given-to-pages'"
)
#: Collects what the policy blocks (an init script: not subject to the policy itself).
WATCH_POLICY = """
window.blocked = [];
document.addEventListener("securitypolicyviolation", event => {
  window.blocked.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def operator(
    live_server: Any, django_user_model: Any, new_page: Callable[..., Page]
) -> Callable[[], Page]:
    """Opens the dashboard as a superuser, with the policy above on every page."""
    session = operator_session(live_server, django_user_model)

    def operator() -> Page:
        page = new_page()
        log_in(page, session)
        page.context.add_init_script(WATCH_POLICY)
        page.route("**/*", add_policy)
        page.goto(live_server.url + DASHBOARD)
        return page

    return operator


def add_policy(route: Route) -> None:
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)
    route.fulfill(
        response=response, headers={**response.headers, "content-security-policy": POLICY}
    )


def blocked(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.blocked")
    return found


def local_input(hours: int) -> str:
    """As the datetime-local inputs take it, in the project's time zone (UTC here)."""
    return (timezone.localtime() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_schedule_errors_are_shown_before_the_confirmation_with_the_values_kept(
    operator: Callable[[], Page],
) -> None:
    start, end = local_input(3), local_input(2)
    page = operator()

    page.get_by_label("start").fill(start)
    page.get_by_label("end", exact=True).fill(end)
    page.get_by_label("reason", exact=True).fill("Moving the database")
    page.get_by_role("button", name="Schedule a window").click()

    # The dashboard again, not the confirmation page: the error beside the values given.
    page.wait_for_url("**" + DASHBOARD)
    assert page.get_by_text("Please confirm:").count() == 0
    error = page.locator("#id_window_end_error")
    assert error.inner_text() == "The end must come after the start."
    assert page.get_by_label("start").input_value() == start
    assert page.get_by_label("end", exact=True).input_value() == end
    assert page.get_by_label("reason", exact=True).input_value() == "Moving the database"
    # The wrong field has the focus, is marked invalid and is described by its error.
    assert page.evaluate("document.activeElement.id") == "id_window_end"
    wrong = page.get_by_label("end", exact=True)
    assert wrong.get_attribute("aria-invalid") == "true"
    assert "The end must come after the start." in wrong.evaluate(
        "e => e.ariaDescribedByElements ? e.ariaDescribedByElements.map(d => d.textContent).join()"
        " : document.getElementById(e.getAttribute('aria-describedby').split(' ')[0]).textContent"
    )

    # Corrected, it goes on to the confirmation page, which says when in words.
    page.get_by_label("end", exact=True).fill(local_input(5))
    page.get_by_role("button", name="Schedule a window").click()
    page.get_by_text("Please confirm:").wait_for()
    when = page.locator("dl.summary dd").first.inner_text()
    assert when.startswith("From "), when
    assert when.endswith(" UTC"), when
    assert re.search(r"\dT\d", when) is None, when
    page.get_by_role("button", name="Confirm").click()
    assert page.locator(".messagelist .success").inner_text() == "The window is scheduled."
    assert blocked(page) == []


def test_the_copy_button_copies_the_new_bypass_link(
    live_server: Any, operator: Callable[[], Page]
) -> None:
    page = operator()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    page.get_by_label("valid for").select_option("2h")
    page.get_by_role("button", name="Create a secret bypass link").click()
    page.get_by_text("2\xa0hours").wait_for()
    page.get_by_role("button", name="Confirm").click()

    link = page.get_by_label("New secret bypass link")
    url = link.input_value()
    assert url.startswith(live_server.url + "/maintenance-mode/bypass/"), url
    assert link.get_attribute("readonly") is not None
    # Whole on one line, not cut: the field is wide enough for all of it.
    assert link.evaluate("e => e.scrollWidth <= e.clientWidth")
    # The field has the focus, the link selected.
    assert page.evaluate("document.activeElement.id") == "id_new_bypass_link"
    assert page.evaluate("getSelection().toString() || document.activeElement.value") == url

    page.get_by_role("button", name="Copy", exact=True).click()

    page.get_by_role("status").filter(has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == url
    assert blocked(page) == []
    # Shown once.
    page.reload()
    assert page.get_by_label("New secret bypass link").count() == 0


def test_without_javascript_the_link_is_there_to_copy_by_hand(
    live_server: Any, django_user_model: Any, new_page: Callable[..., Page]
) -> None:
    session = operator_session(live_server, django_user_model)
    browser = new_page().context.browser
    assert browser is not None
    page = browser.new_context(java_script_enabled=False, locale="en-US").new_page()
    log_in(page, session)
    page.goto(live_server.url + DASHBOARD)

    page.get_by_role("button", name="Create a secret bypass link").click()
    page.get_by_role("button", name="Confirm").click()

    link = page.get_by_label("New secret bypass link")
    assert link.input_value().startswith(live_server.url + "/maintenance-mode/bypass/")
    # No button that would do nothing.
    assert page.get_by_role("button", name="Copy", exact=True).count() == 0
    page.context.close()


def test_an_upcoming_window_is_cancelled_and_a_running_one_ended(
    operator: Callable[[], Page],
) -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - timedelta(hours=1), end=None, reason="Running")
    MaintenanceWindow.objects.create(start=now + timedelta(hours=1), end=None, reason="Later")
    page = operator()
    rows = page.locator("section[aria-labelledby=windows-heading] tbody tr")

    later = rows.filter(has_text="Later")
    assert later.get_by_role("button").inner_text() == "Cancel window"
    assert rows.filter(has_text="Running").get_by_role("button").inner_text() == "End now"

    later.get_by_role("button", name="Cancel window").click()
    page.get_by_role("heading", name="Cancel this upcoming window").wait_for()
    assert "From " in page.locator("dl.summary").inner_text()
    # Going back is not called "Cancel" here.
    assert page.get_by_role("link", name="Cancel").count() == 0
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url("**" + DASHBOARD)
    later.get_by_role("button", name="Cancel window").click()
    page.get_by_role("button", name="Confirm").click()
    assert page.locator(".messagelist .success").inner_text() == "The window is cancelled."
    assert rows.filter(has_text="Later").count() == 0

    rows.filter(has_text="Running").get_by_role("button", name="End now").click()
    page.get_by_role("heading", name="End this window now").wait_for()
    page.get_by_role("button", name="Confirm").click()
    assert page.locator(".messagelist .success").inner_text() == "The window is over."
    assert blocked(page) == []


def test_the_banner_is_styled_under_the_strict_policy(
    live_server: Any, operator: Callable[[], Page]
) -> None:
    MaintenanceWindow.objects.create(start=None, end=timezone.now() + timedelta(hours=1))
    page = operator()
    page.goto(live_server.url + "/admin/")

    banner = page.locator(".maintenance-banner")
    assert "Maintenance mode is on. Until " in banner.inner_text()
    # Its style sheet applies: the amber edge, the admin's warning background, padding.
    style = banner.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.borderLeftColor, s.borderLeftWidth, s.paddingLeft]; }"
    )
    assert style == ["rgb(180, 83, 9)", "4px", "16px"]
    link = banner.get_by_role("link", name="Open the maintenance dashboard")
    assert link.evaluate("e => getComputedStyle(e).textDecorationLine") == "underline"
    assert blocked(page) == []
