"""The audit trail's tables on a 1280 px screen: every column, the reason too, is on the page
and readable, long reasons wrapped rather than cut off."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from model_bakery import baker

from maintenance_waffle.models import Channel, MaintenanceChange
from tests.browser.operator import CHANGES, DASHBOARD, log_in, operator_session

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REASON = (
    "Moving the primary database to a new server, see "
    "https://status.example.com/incidents/2026-12-04-primary-database-migration-and-reindexing"
)
#: Where each cell of a table ends, right of the table's visible area or not, and how
#: wide the reason column is.
MEASURE = """table => {
  const box = table.parentElement.getBoundingClientRect();
  const reason = table.querySelector("td.field-reason, td:last-child").getBoundingClientRect();
  return {
    overflow: table.parentElement.scrollWidth - table.parentElement.clientWidth,
    reasonRight: reason.right, visibleRight: Math.min(box.right, innerWidth),
    reasonWidth: reason.width,
  };
}"""


@pytest.mark.parametrize(
    ("path", "table"), [(CHANGES, "#result_list"), (DASHBOARD, "table.changes")]
)
def test_the_reason_column_is_readable_at_1280_px(
    live_server: Any,
    django_user_model: Any,
    new_page: Callable[..., Page],
    path: str,
    table: str,
) -> None:
    for number in range(3):
        baker.make(
            MaintenanceChange,
            actor="operator@example.com",
            channel=Channel.DASHBOARD,
            subject=f"window #{number}",
            old="2026-12-04T15:10:00+01:00 → 2026-12-04T17:10:00+01:00",
            new="removed",
            reason=REASON,
        )
    session = operator_session(live_server, django_user_model)
    page = new_page(width=1280, height=800)
    log_in(page, session)

    page.goto(live_server.url + path)

    found = page.locator(table).evaluate(MEASURE)
    assert found["overflow"] <= 0, found
    assert found["reasonRight"] <= found["visibleRight"], found
    # Wide enough to read: at least 16 em of the admin's 13 px text.
    assert found["reasonWidth"] >= 16 * 13, found
