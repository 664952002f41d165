"""axe-core over every page an operator or a visitor sees: no serious or critical finding.

axe-core comes from npm (tests/browser/package.json pins it; `make axe` installs it) and
is loaded into each page as an init script, which no Content-Security-Policy blocks.
Each page is checked in the light and in the dark colour scheme.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone
from model_bakery import baker
from waffle.models import Flag

from maintenance_waffle.bypass import create_link
from maintenance_waffle.core import set_maintenance_mode
from maintenance_waffle.models import Channel, MaintenanceChange, MaintenanceWindow
from tests.browser.availability import axe_source
from tests.browser.operator import CHANGES, DASHBOARD, WINDOWS, log_in, operator_session

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
  }));
}"""
LONG_REASON = (
    "Moving the primary database to a new server, see "
    "https://status.example.com/incidents/2026-12-04-primary-database-migration-and-reindexing"
)


def findings(page: Page) -> list[dict[str, Any]]:
    """axe's serious and critical violations on ``page``, in both colour schemes."""
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        # The admin's links fade to their new colour (a CSS transition): end it first.
        page.evaluate("document.getAnimations().forEach(animation => animation.finish())")
        found += [
            {"scheme": scheme, **violation}
            for violation in page.evaluate(RUN_AXE)
            if violation["impact"] in BLOCKING
        ]
    return found


@pytest.fixture
def audited_page(new_page: Callable[..., Page]) -> Callable[..., Page]:
    """A new page with axe-core loaded in every document it opens."""
    source = axe_source()

    def audited_page(**kwargs: Any) -> Page:
        page = new_page(**kwargs)
        page.context.add_init_script(source)
        return page

    return audited_page


def test_the_maintenance_page(live_server: Any, audited_page: Callable[..., Page]) -> None:
    set_maintenance_mode(True, reason="Upgrading the database")
    page = audited_page()

    response = page.goto(live_server.url + "/")

    assert response is not None
    assert response.status == 503
    found = findings(page)
    assert not found, json.dumps(found, indent=1)


# The admin's pages, reached as an operator does: two walks through every page, one
# from a quiet state, one with everything going on. A browser per walk, not per page:
# Chromium's start is most of a browser test's time.


class Audit:
    """The findings on each page seen, by page."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: dict[str, list[dict[str, Any]]] = {}

    def __call__(self, name: str) -> None:
        self.page.wait_for_load_state()
        if found := findings(self.page):
            self.found[name] = found

    def confirmation(self, name: str, button: str) -> None:
        """Audit the confirmation page behind ``button``, then go back."""
        self.page.get_by_role("button", name=button, exact=True).first.click()
        self.page.get_by_text("Please confirm:").wait_for()
        self(name)
        self.page.get_by_role("link", name="Go back").click()
        self.page.wait_for_url("**" + DASHBOARD)


@pytest.fixture
def audit(
    live_server: Any, django_user_model: Any, audited_page: Callable[..., Page]
) -> Callable[[], Audit]:
    """Logs an operator in on a new page; data is to be saved before."""

    def audit() -> Audit:
        session = operator_session(live_server, django_user_model)
        page = audited_page()
        log_in(page, session)
        page.goto(live_server.url + DASHBOARD)
        return Audit(page)

    return audit


def fill_window(page: Page, start: int, end: int) -> None:
    now = timezone.localtime()
    for label, hours in (("start", start), ("end", end)):
        moment = (now + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
        page.get_by_label(label, exact=True).fill(moment)
    page.get_by_label("reason", exact=True).fill(LONG_REASON)


def test_the_admin_pages_from_a_quiet_state(audit: Callable[[], Audit]) -> None:
    check = audit()
    page = check.page
    check("dashboard")

    page.get_by_label("Reason shown to visitors", exact=True).fill("Upgrading the database")
    check.confirmation("confirm on", "Turn maintenance on")
    fill_window(page, 1, 2)
    check.confirmation("confirm schedule", "Schedule a window")
    fill_window(page, 3, 2)
    page.get_by_role("button", name="Schedule a window").click()
    page.locator("#id_window_end_error").wait_for()
    check("dashboard with errors")
    check.confirmation("confirm bypass", "Create a secret bypass link")
    page.get_by_role("button", name="Create a secret bypass link").click()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("New secret bypass link").wait_for()
    check("dashboard with a new bypass link")
    check.confirmation("confirm revoke", "Revoke every bypass link")

    assert not check.found, json.dumps(check.found, indent=1)


def everything() -> None:
    """A running and an upcoming window, a bypass link, a targeted group, changes."""
    now = timezone.now()
    hour = timedelta(hours=1)
    MaintenanceWindow.objects.create(start=now - hour, end=now + hour, reason="Reindexing")
    MaintenanceWindow.objects.create(start=now + 2 * hour, end=None, reason=LONG_REASON)
    create_link(timedelta(hours=1), Channel.API)
    Flag.objects.filter(name="maintenance_mode").update(everyone=None, staff=True, percent=5)
    for number in range(3):
        baker.make(
            MaintenanceChange,
            actor="operator",
            channel=Channel.DASHBOARD,
            subject="switch maintenance_mode",
            old="off",
            new="on",
            reason=f"{number}: {LONG_REASON}",
        )


def test_the_admin_pages_with_everything_going_on(
    live_server: Any, audit: Callable[[], Audit]
) -> None:
    everything()
    check = audit()
    page = check.page
    check("dashboard")

    check.confirmation("confirm off", "Turn maintenance off")
    check.confirmation("confirm end", "End now")
    check.confirmation("confirm cancel", "Cancel window")
    page.goto(live_server.url + CHANGES)
    check("audit list")
    page.goto(live_server.url + WINDOWS)
    check("window list")

    assert not check.found, json.dumps(check.found, indent=1)
