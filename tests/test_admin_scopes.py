"""The dashboard's read-only mode and areas (DESIGN §10): their state, their buttons, and
windows scheduled for them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from waffle.models import Switch

from maintenance_waffle.core import (
    get_maintenance_mode,
    get_read_only,
    set_maintenance_mode,
    set_read_only,
)
from maintenance_waffle.models import MaintenanceChange, MaintenanceWindow
from tests.conftest import Commit
from tests.rows import set_switch, switch
from tests.test_admin import (
    DASHBOARD,
    act,
    ask,
    errors_in,
    field,
    form_of,
    local_input,
    messages_in,
    page,
    staff,
    summary_of,
)

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
AREAS = {"checkout": [r"^/checkout/"], "reports": [r"^/reports/"]}
READ_ONLY_SWITCH = "switch maintenance_mode_read_only"
CHECKOUT_SWITCH = "switch maintenance_mode:checkout"


@pytest.fixture
def areas(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = AREAS


def changes() -> list[tuple[str, str, str, str, str, str]]:
    return list(
        MaintenanceChange.objects.order_by("id").values_list(
            "channel", "actor", "subject", "old", "new", "reason"
        )
    )


def section(content: str) -> str:
    """The dashboard's section on read-only mode and areas."""
    return content.split('id="scopes-heading"', 1)[1].split("</section>", 1)[0]


def states(content: str) -> list[str]:
    return re.findall(r'<p class="state (?:on|off)">(.*?)</p>', section(content))


def buttons(content: str) -> list[tuple[str, str]]:
    """The section's forms: (action, scope)."""
    return re.findall(
        r'name="action" value="([^"]+)"><input type="hidden" name="scope" value="([^"]*)">',
        section(content),
    )


def windows_rows(content: str) -> list[list[str]]:
    table = content.split('id="windows-heading"', 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<td>([^<]*)</td>", row)
        for row in re.findall(r"<tr><td>.*?</tr>", table, flags=re.DOTALL)
    ]


# The state -------------------------------------------------------------------------------


def test_read_only_mode_is_listed_without_areas(admin_client: Client) -> None:
    content = page(admin_client)

    assert '<h2 id="scopes-heading">Read-only mode and areas</h2>' in content
    assert states(content) == ["Read-only mode is off."]
    assert "<code>maintenance_mode_read_only</code>: off" in section(content)
    assert buttons(content) == [("scope_on", "read-only")]
    # Told apart from the site-wide field by screen readers, which read the hidden part.
    assert (
        '<label for="id_read-only_reason">Reason shown to visitors'
        '<span class="visually-hidden"> (read-only mode)</span></label>'
    ) in content
    assert '<button type="submit" class="button">Turn read-only mode on</button>' in content


def test_each_area_is_listed_in_order(admin_client: Client, areas: None) -> None:
    set_maintenance_mode(True, area="reports", reason="Rebuilding")

    content = page(admin_client)

    assert states(content) == [
        "Read-only mode is off.",
        "Area checkout is not in maintenance.",
        "Area reports is down for maintenance. Until turned off.",
    ]
    assert "<code>maintenance_mode:reports</code>: on — Rebuilding" in section(content)
    assert buttons(content) == [
        ("scope_on", "read-only"),
        ("scope_on", "area:checkout"),
        ("scope_off", "area:reports"),
    ]
    assert "Put area checkout into maintenance</button>" in content
    assert "End the maintenance of area reports</button>" in content
    # The edit link of the switch that exists; the switch of checkout does not yet.
    reports = Switch.objects.get(name="maintenance_mode:reports")
    assert f'href="/admin/waffle/switch/{reports.pk}/change/"' in section(content)
    assert not Switch.objects.filter(name="maintenance_mode:checkout").exists()
    # The schedule form offers every scope, the whole site first and chosen.
    options = re.findall(r"<option [^>]*>[^<]*</option>", form_of(content, "schedule"))
    assert options == [
        '<option value="" selected>whole site</option>',
        '<option value="read-only">read-only mode</option>',
        '<option value="area:checkout">area checkout</option>',
        '<option value="area:reports">area reports</option>',
    ]


def test_read_only_mode_on_shows_its_reason_and_off(admin_client: Client) -> None:
    set_read_only(True, reason="Migrating")

    content = page(admin_client)

    assert states(content) == ["Read-only mode is on. Until turned off."]
    assert "<code>maintenance_mode_read_only</code>: on — Migrating" in section(content)
    assert buttons(content) == [("scope_off", "read-only")]
    assert '<button type="submit" class="button">Turn read-only mode off</button>' in content


def test_a_window_holding_a_scope_on_says_until_when_and_why(
    admin_client: Client, areas: None
) -> None:
    end = datetime(2099, 1, 1, 9, 30, tzinfo=dt_timezone.utc)
    set_read_only(True, end=end, reason="Reindexing")
    set_maintenance_mode(True, end=end, area="checkout", reason="Payments")

    content = page(admin_client)

    assert states(content) == [
        "Read-only mode is on. Until 2099-01-01 09:30 UTC.",
        "Area checkout is down for maintenance. Until 2099-01-01 09:30 UTC.",
        "Area reports is not in maintenance.",
    ]
    # The window's reason; the switch itself is off.
    assert "<code>maintenance_mode_read_only</code>: off — Reindexing" in section(content)
    assert "<code>maintenance_mode:checkout</code>: off — Payments" in section(content)
    assert buttons(content)[:2] == [("scope_off", "read-only"), ("scope_off", "area:checkout")]
    # The windows table says what each is for.
    assert [row[4] for row in windows_rows(content)] == ["read-only mode", "area checkout"]


def test_the_view_permission_shows_the_state_without_buttons(client: Client, areas: None) -> None:
    client.force_login(staff("view_maintenance"))
    set_read_only(True)

    content = page(client)

    assert states(content)[:2] == [
        "Read-only mode is on. Until turned off.",
        "Area checkout is not in maintenance.",
    ]
    assert 'name="action"' not in content
    assert client.post(DASHBOARD, {"action": "scope_off", "scope": "read-only"}).status_code == 403
    assert get_read_only() is True


# Turning read-only mode and areas on and off ---------------------------------------------


def test_read_only_mode_on_asks_for_confirmation_first(admin_client: Client) -> None:
    response = ask(admin_client, "scope_on", scope="read-only", reason="Migrating")

    assert response.redirect_chain == []
    content = response.content.decode()
    assert "Please confirm: <strong>Turn read-only mode on</strong>" in content
    assert '<input type="hidden" name="action" value="scope_on">' in content
    assert '<input type="hidden" name="scope" value="read-only">' in content
    assert '<input type="hidden" name="reason" value="Migrating">' in content
    assert summary_of(content) == ["Reason shown to visitors", "Migrating"]
    assert get_read_only() is False
    assert not MaintenanceChange.objects.exists()


def test_read_only_mode_on(admin_client: Client, commit: Commit) -> None:
    with commit():
        response = act(admin_client, "scope_on", scope="read-only", reason=" Migrating ")

    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert messages_in(response) == [("success", "Read-only mode is on.")]
    assert get_read_only() is True
    assert switch().active is False  # the whole site is untouched
    assert changes() == [("dashboard", "admin", READ_ONLY_SWITCH, "off", "on", "Migrating")]
    assert "— Migrating" in section(response.content.decode())


def test_read_only_mode_off(admin_client: Client, commit: Commit) -> None:
    set_read_only(True, reason="Migrating")
    MaintenanceChange.objects.all().delete()

    response = ask(admin_client, "scope_off", scope="read-only")
    assert "Please confirm: <strong>Turn read-only mode off</strong>" in response.content.decode()
    assert summary_of(response.content.decode()) == []
    assert get_read_only() is True

    with commit():
        response = act(admin_client, "scope_off", scope="read-only")

    assert messages_in(response) == [("success", "Read-only mode is off.")]
    assert get_read_only() is False
    assert changes() == [("dashboard", "admin", READ_ONLY_SWITCH, "on", "off", "")]


def test_an_area_on_and_off(admin_client: Client, areas: None, commit: Commit) -> None:
    response = ask(admin_client, "scope_on", scope="area:checkout", reason="")
    content = response.content.decode()
    assert "Please confirm: <strong>Put area checkout into maintenance</strong>" in content
    assert summary_of(content) == []

    with commit():
        response = act(admin_client, "scope_on", scope="area:checkout", reason="Payments")

    assert messages_in(response) == [("success", "Area checkout is down for maintenance.")]
    assert get_maintenance_mode(area="checkout") is True
    assert get_maintenance_mode(area="reports") is False
    assert get_read_only() is False
    # The area's switch did not exist yet (migrate creates it, for the areas it knows).
    assert changes() == [("dashboard", "admin", CHECKOUT_SWITCH, "missing", "on", "Payments")]

    response = ask(admin_client, "scope_off", scope="area:checkout")
    content = response.content.decode()
    assert "Please confirm: <strong>End the maintenance of area checkout</strong>" in content

    with commit():
        response = act(admin_client, "scope_off", scope="area:checkout")

    assert messages_in(response) == [("success", "The maintenance of area checkout is over.")]
    assert get_maintenance_mode(area="checkout") is False
    assert changes()[1:] == [("dashboard", "admin", CHECKOUT_SWITCH, "on", "off", "")]


def test_the_setting_does_not_lock_read_only_mode_and_areas(
    admin_client: Client, settings: Any, areas: None
) -> None:
    settings.MAINTENANCE_MODE = True

    content = page(admin_client)
    assert buttons(content)[:2] == [("scope_on", "read-only"), ("scope_on", "area:checkout")]

    act(admin_client, "scope_on", scope="read-only")
    act(admin_client, "scope_on", scope="area:reports")

    assert get_read_only() is True
    assert get_maintenance_mode(area="reports") is True


@pytest.mark.parametrize("confirm", [False, True])
@pytest.mark.parametrize("action", ["scope_on", "scope_off"])
@pytest.mark.parametrize("scope", ["", "bogus", "area:", "area:nowhere", "AREA:checkout"])
def test_a_bad_scope_is_an_error(
    admin_client: Client, areas: None, action: str, scope: str, confirm: bool
) -> None:
    response = (act if confirm else ask)(admin_client, action, scope=scope, reason="x")

    assert response.status_code == 200
    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert messages_in(response) == [("error", "Unknown maintenance scope.")]
    assert get_read_only() is False
    assert switch().active is False
    assert not MaintenanceChange.objects.exists()


def test_a_missing_scope_is_an_error(admin_client: Client) -> None:
    response = admin_client.post(DASHBOARD, {"action": "scope_on", "confirm": "yes"})

    assert response.status_code == 302
    assert get_read_only() is False


def test_a_too_long_reason_is_an_error(admin_client: Client) -> None:
    response = act(admin_client, "scope_on", scope="read-only", reason="x" * 501)

    assert messages_in(response) == [
        ("error", "Ensure this value has at most 500 characters (it has 501).")
    ]
    assert get_read_only() is False


def test_an_area_removed_before_confirming(
    admin_client: Client, settings: Any, areas: None
) -> None:
    assert ask(admin_client, "scope_on", scope="area:reports").redirect_chain == []
    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/checkout/"]}

    response = act(admin_client, "scope_on", scope="area:reports")

    assert messages_in(response) == [("error", "Unknown maintenance scope.")]
    assert not Switch.objects.filter(name="maintenance_mode:reports").exists()


# Scheduling ------------------------------------------------------------------------------


def test_schedule_read_only_mode(admin_client: Client, commit: Commit) -> None:
    end = timezone.now() + 2 * HOUR
    fields = {"scope": "read-only", "end": local_input(end), "reason": "Reindexing"}

    response = ask(admin_client, "schedule", **fields)
    content = response.content.decode()
    assert summary_of(content)[:3] == ["For", "Read-only mode", "When"]
    assert '<input type="hidden" name="scope" value="read-only">' in content
    assert not MaintenanceWindow.objects.exists()

    with commit():
        response = act(admin_client, "schedule", **fields)

    assert messages_in(response) == [("success", "The window is scheduled.")]
    window = MaintenanceWindow.objects.get()
    assert (window.scope, window.start, window.reason) == ("read-only", None, "Reindexing")
    assert get_read_only() is True
    assert switch().active is False
    assert changes()[-1][:3] == ("dashboard", "admin", f"read-only window #{window.pk}")
    assert windows_rows(response.content.decode())[0][4] == "read-only mode"


def test_schedule_an_area_keeps_the_other_scopes_windows(
    admin_client: Client, areas: None, commit: Commit
) -> None:
    later = timezone.now() + HOUR
    set_maintenance_mode(True, later, later + HOUR, reason="Site")
    set_read_only(True, later, later + HOUR)

    with commit():
        response = act(
            admin_client,
            "schedule",
            scope="area:checkout",
            start=local_input(later),
            end=local_input(later + HOUR),
        )

    assert messages_in(response) == [("success", "The window is scheduled.")]
    assert sorted(MaintenanceWindow.objects.values_list("scope", flat=True)) == [
        "",
        "area:checkout",
        "read-only",
    ]
    window = MaintenanceWindow.objects.get(scope="area:checkout")
    assert ("dashboard", "admin", f"area:checkout window #{window.pk}") in [
        change[:3] for change in changes()
    ]
    assert get_maintenance_mode(area="checkout") is False  # not yet
    assert sorted(row[4] for row in windows_rows(response.content.decode())) == [
        "area checkout",
        "read-only mode",
        "whole site",
    ]


def test_schedule_refuses_an_unknown_scope_beside_the_field(admin_client: Client) -> None:
    end = local_input(timezone.now() + HOUR)

    response = ask(admin_client, "schedule", scope="area:nowhere", end=end)

    assert response.status_code == 200
    form = form_of(response.content.decode(), "schedule")
    assert errors_in(form) == {
        "id_window_scope_error": [
            "Select a valid choice. area:nowhere is not one of the available choices."
        ]
    }
    select = field(form, "scope")
    assert 'aria-invalid="true"' in select
    assert 'aria-describedby="id_window_scope_error"' in select
    assert "autofocus" in select
    assert not MaintenanceWindow.objects.exists()


def test_schedule_keeps_the_scope_chosen_when_showing_errors(admin_client: Client) -> None:
    response = ask(admin_client, "schedule", scope="read-only")

    form = form_of(response.content.decode(), "schedule")
    assert errors_in(form) == {"id_window_errors": ["Give a start, an end, or both."]}
    assert '<option value="read-only" selected>read-only mode</option>' in form
    assert "autofocus" in field(form, "start")


def test_the_setting_leaves_scheduling_read_only_mode(admin_client: Client, settings: Any) -> None:
    settings.MAINTENANCE_MODE = False
    set_switch(False)
    end = local_input(timezone.now() + HOUR)

    form = form_of(page(admin_client), "schedule")
    assert re.findall(r'<option value="([^"]*)"', form) == ["read-only"]

    response = act(admin_client, "schedule", scope="read-only", end=end)

    assert messages_in(response) == [("success", "The window is scheduled.")]
    assert get_read_only() is True
    # The whole site stays locked, whatever scope is posted with on and off.
    for action, fields in [
        ("schedule", {"scope": "", "end": end}),
        ("on", {"scope": "read-only"}),
        ("off", {"scope": "read-only"}),
    ]:
        response = act(admin_client, action, **fields)
        assert messages_in(response) == [
            ("error", "Maintenance mode is set by settings.MAINTENANCE_MODE.")
        ]
    assert switch().active is False


def test_end_a_read_only_window(admin_client: Client, commit: Commit) -> None:
    set_read_only(True, end=timezone.now() + HOUR, reason="Reindexing")
    window = MaintenanceWindow.objects.get()

    response = ask(admin_client, "end_window", window=window.pk)
    summary = summary_of(response.content.decode())
    assert summary[:3] == ["For", "Read-only mode", "Window"]
    assert summary[4:] == ["Reason shown to visitors", "Reindexing"]

    with commit():
        response = act(admin_client, "end_window", window=window.pk)

    assert messages_in(response) == [("success", "The window is over.")]
    assert get_read_only() is False
