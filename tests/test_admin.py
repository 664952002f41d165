from __future__ import annotations

import html
import re
import zoneinfo
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import waffle.admin as waffle_admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group, Permission, User
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.text import capfirst
from model_bakery import baker
from waffle.models import Flag, Switch

import maintenance_waffle
from maintenance_waffle import admin as admin_module
from maintenance_waffle import describe
from maintenance_waffle.admin import STYLE, replace_waffle_admins
from maintenance_waffle.bypass import create_link, key_of
from maintenance_waffle.models import BypassKey, Channel, MaintenanceChange, MaintenanceWindow
from tests.rows import reason, set_switch, switch

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/maintenance_waffle/maintenancewindow/"
ADD = CHANGELIST + "add/"


def statuses(client: Client) -> dict[str, str]:
    """The changelist's status column, by reason."""
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", response.content.decode(), flags=re.DOTALL)
    found = {}
    for row in rows:
        reason = re.search(r'<td class="field-reason">(.*?)</td>', row)
        status = re.search(r'<td class="field-status">(.*?)</td>', row)
        if reason and status:
            found[reason.group(1)] = status.group(1)
    return found


def make_windows(now: datetime) -> None:
    hour = timedelta(hours=1)
    MaintenanceWindow.objects.create(start=now - hour, end=now + hour, reason="running")
    MaintenanceWindow.objects.create(start=now + hour, end=now + 2 * hour, reason="planned")
    MaintenanceWindow.objects.create(start=now - 2 * hour, end=now - hour, reason="over")
    MaintenanceWindow.objects.create(start=None, end=now + hour, reason="from now")
    MaintenanceWindow.objects.create(start=now - hour, end=None, reason="until off")
    MaintenanceWindow.objects.create(start=now + hour, end=None, reason="later, until off")


EXPECTED_STATUSES = {
    "running": "active",
    "planned": "upcoming",
    "over": "ended",
    "from now": "active",
    "until off": "active",
    "later, until off": "upcoming",
}


def test_changelist_shows_each_windows_status(admin_client: Client) -> None:
    make_windows(timezone.now())

    assert statuses(admin_client) == EXPECTED_STATUSES


@override_settings(USE_TZ=False)
def test_changelist_shows_each_windows_status_without_time_zone_support(
    admin_client: Client,
) -> None:
    make_windows(timezone.now())

    assert statuses(admin_client) == EXPECTED_STATUSES


def test_changelist_search_by_reason(admin_client: Client) -> None:
    make_windows(timezone.now())

    response = admin_client.get(CHANGELIST, {"q": "planned"})

    assert response.status_code == 200
    assert b"planned" in response.content
    assert b"running" not in response.content


def split(value: datetime) -> tuple[str, str]:
    local = timezone.localtime(value)
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")


def add_form(start: datetime | None, end: datetime | None, reason: str) -> dict[str, str]:
    data = {"reason": reason, "start_0": "", "start_1": "", "end_0": "", "end_1": ""}
    if start is not None:
        data["start_0"], data["start_1"] = split(start)
    if end is not None:
        data["end_0"], data["end_1"] = split(end)
    return data


def test_a_window_added_in_the_admin_starts_maintenance_at_once(
    admin_client: Client, client: Client
) -> None:
    assert client.get("/").status_code == 200
    now = timezone.now()

    response = admin_client.post(
        ADD, add_form(now - timedelta(hours=1), now + timedelta(hours=1), "Reindexing")
    )

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
    window = MaintenanceWindow.objects.get()
    assert window.reason == "Reindexing"
    assert window.start is not None
    assert window.end is not None
    assert window.start < now < window.end
    visitor = client.get("/")
    assert visitor.status_code == 503
    assert b"Reindexing" in visitor.content
    # The admin stays reachable, to end the window.
    assert client.get("/admin/login/").status_code == 200
    assert statuses(admin_client) == {"Reindexing": "active"}


def test_a_window_for_an_area_added_in_the_admin(
    admin_client: Client, client: Client, settings: Any
) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/page/"]}
    now = timezone.now()
    form = add_form(now - timedelta(hours=1), now + timedelta(hours=1), "Payments")

    refused = admin_client.post(ADD, {**form, "scope": "area:reports"})
    response = admin_client.post(ADD, {**form, "scope": "area:checkout"})

    assert refused.status_code == 200  # the form again, with the error
    assert "Select a valid choice." in refused.content.decode()
    assert response.status_code == 302
    assert MaintenanceWindow.objects.get().scope == "area:checkout"
    assert client.get("/page/").status_code == 503
    assert client.get("/").status_code == 200
    assert "area checkout" in admin_client.get(CHANGELIST).content.decode()


def test_deleting_the_window_in_the_admin_ends_maintenance_at_once(
    admin_client: Client, client: Client
) -> None:
    now = timezone.now()
    window = MaintenanceWindow.objects.create(start=None, end=now + timedelta(hours=1))
    assert client.get("/").status_code == 503

    response = admin_client.post(f"{CHANGELIST}{window.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not MaintenanceWindow.objects.exists()
    assert client.get("/").status_code == 200


def test_a_future_window_added_in_the_admin_waits(admin_client: Client, client: Client) -> None:
    now = timezone.now()

    response = admin_client.post(ADD, add_form(now + timedelta(hours=1), None, ""))

    assert response.status_code == 302
    assert MaintenanceWindow.objects.count() == 1
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("offsets", "error"),
    [
        ((None, None), "Give a start, an end, or both."),
        ((2, 1), "The end must come after the start."),
    ],
)
def test_the_add_form_refuses_invalid_windows(
    admin_client: Client, client: Client, offsets: tuple[int | None, int | None], error: str
) -> None:
    now = timezone.now()
    start, end = (None if hours is None else now + timedelta(hours=hours) for hours in offsets)

    response = admin_client.post(ADD, add_form(start, end, "refused"))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_windows_added_and_deleted_in_the_admin_are_recorded(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    start, end = now + timedelta(hours=1), now + timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(ADD, add_form(start, end, "Upgrade"))
    window = MaintenanceWindow.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"{CHANGELIST}{window.pk}/delete/", {"post": "yes"})

    assert changes() == [
        ("dashboard", "admin", f"window #{window.pk}", "", str(window), "Upgrade"),
        ("dashboard", "admin", f"window #{window.pk}", str(window), "removed", ""),
    ]


# The audit trail's admin ----------------------------------------------------------------

CHANGES = "/admin/maintenance_waffle/maintenancechange/"


def changes() -> list[tuple[str, str, str, str, str, str]]:
    return list(
        MaintenanceChange.objects.order_by("id").values_list(
            "channel", "actor", "subject", "old", "new", "reason"
        )
    )


def test_the_audit_trail_is_listed(admin_client: Client) -> None:
    baker.make(MaintenanceChange, actor="alice", subject="switch maintenance_mode", new="on")

    response = admin_client.get(CHANGES)

    assert response.status_code == 200
    assert "alice" in response.content.decode()
    assert "switch maintenance_mode" in response.content.decode()
    assert f'href="{CHANGES}add/"' not in response.content.decode()


def test_the_audit_trail_is_read_only(admin_client: Client) -> None:
    change = baker.make(MaintenanceChange, actor="alice", subject="switch maintenance_mode")
    url = f"{CHANGES}{change.pk}/change/"

    page = admin_client.get(url)

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(f"{CHANGES}add/").status_code == 403
    assert admin_client.post(url, {"actor": "mallory"}).status_code == 403
    assert admin_client.post(f"{CHANGES}{change.pk}/delete/", {"post": "yes"}).status_code == 403
    # No bulk deletion either.
    admin_client.post(
        CHANGES, {"action": "delete_selected", "_selected_action": [change.pk], "post": "yes"}
    )
    change.refresh_from_db()
    assert change.actor == "alice"


# The dashboard ----------------------------------------------------------------------------

DASHBOARD = "/admin/maintenance_waffle/maintenance/"
SWITCH = "switch maintenance_mode"


def staff(*codenames: str) -> User:
    user: User = baker.make(User, username="staffer", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="maintenance_waffle", codename__in=codenames
        )
    )
    return user


def page(client: Client) -> str:
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response.content.decode()


def messages_in(response: Any) -> list[tuple[str, str]]:
    return re.findall(
        r'<li class="(success|error|warning|info)">(.*?)</li>', response.content.decode()
    )


def act(client: Client, action: str, **fields: Any) -> Any:
    """Post an action to the dashboard, confirmed, and follow the redirect."""
    return client.post(DASHBOARD, {"action": action, "confirm": "yes", **fields}, follow=True)


def ask(client: Client, action: str, **fields: Any) -> Any:
    """Post an action to the dashboard without the confirmation."""
    return client.post(DASHBOARD, {"action": action, **fields}, follow=True)


def local_input(value: datetime) -> str:
    """As a browser's datetime-local input sends it (local time)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%Y-%m-%dT%H:%M")


def minutes(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def test_the_dashboard_sends_anonymous_visitors_to_the_login_page(client: Client) -> None:
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={DASHBOARD}"


def test_the_dashboard_needs_the_view_permission(client: Client) -> None:
    client.force_login(staff())

    assert client.get(DASHBOARD).status_code == 403
    assert client.post(DASHBOARD, {"action": "on", "confirm": "yes"}).status_code == 403
    assert switch().active is False


def test_the_view_permission_shows_the_dashboard_without_buttons(client: Client) -> None:
    client.force_login(staff("view_maintenance"))
    MaintenanceWindow.objects.create(start=None, end=timezone.now() + timedelta(hours=1))
    create_link(timedelta(hours=1), Channel.API)

    content = page(client)

    assert "Maintenance mode is on." in content
    assert 'name="action"' not in content


def test_the_dashboard_links_only_to_pages_the_user_may_open(client: Client) -> None:
    client.force_login(staff("view_maintenance"))
    set_switch(True)
    baker.make(MaintenanceChange, reason="Disks")

    content = page(client)

    assert "Disks" in content
    # Neither waffle's switch page nor the audit list: those need their own permissions.
    assert "/admin/waffle/switch/" not in content
    assert "/admin/maintenance_waffle/maintenancechange/" not in content
    assert client.get("/admin/maintenance_waffle/maintenancechange/").status_code == 403


def test_the_dashboard_links_to_waffles_switch_and_the_audit_list_with_permission(
    client: Client,
) -> None:
    user = staff("view_maintenance", "view_maintenancechange")
    user.user_permissions.add(Permission.objects.get(codename="change_switch"))
    client.force_login(user)
    set_switch(True)
    baker.make(MaintenanceChange, reason="Disks")

    content = page(client)

    assert f'<a href="/admin/waffle/switch/{switch().pk}/change/">edit</a>' in content
    assert '<a href="/admin/maintenance_waffle/maintenancechange/">All changes</a>' in content


def test_acting_needs_the_change_permission(client: Client) -> None:
    client.force_login(staff("view_maintenance"))

    assert client.post(DASHBOARD, {"action": "on"}).status_code == 403
    assert client.post(DASHBOARD, {"action": "on", "confirm": "yes"}).status_code == 403
    assert switch().active is False


def test_the_change_permission_shows_the_buttons_and_acts(client: Client) -> None:
    client.force_login(staff("view_maintenance", "change_maintenance"))

    assert 'value="on"' in page(client)
    assert act(client, "on").status_code == 200
    assert switch().active is True


def test_a_superuser_sees_every_button(admin_client: Client) -> None:
    create_link(timedelta(hours=1), Channel.API)
    MaintenanceWindow.objects.create(start=timezone.now() + timedelta(hours=1), end=None)

    content = page(admin_client)

    for action in ("on", "schedule", "end_window", "bypass", "revoke"):
        assert f'name="action" value="{action}"' in content
    assert 'name="action" value="off"' not in content


def test_the_dashboard_offers_off_while_on(admin_client: Client) -> None:
    set_switch(True, "Disk swap")

    content = page(admin_client)

    assert '<p class="state on">Maintenance mode is on. Until turned off.</p>' in content
    assert "— Disk swap" in content
    assert 'name="action" value="off"' in content
    assert 'name="action" value="on"' not in content
    # Nothing to revoke.
    assert 'name="action" value="revoke"' not in content


def test_the_dashboard_says_until_when_a_window_holds_maintenance_on(
    admin_client: Client,
) -> None:
    MaintenanceWindow.objects.create(
        start=None, end=datetime(2099, 1, 1, 9, 30, tzinfo=dt_timezone.utc)
    )

    content = page(admin_client)

    assert '<p class="state on">Maintenance mode is on. Until 2099-01-01 09:30 UTC.</p>' in content


def test_the_dashboard_shows_the_state_and_the_switch(admin_client: Client) -> None:
    content = page(admin_client)

    assert '<p class="state off">Maintenance mode is off.</p>' in content
    assert "<code>maintenance_mode</code>: off" in content
    assert f'href="/admin/waffle/switch/{switch().pk}/change/"' in content
    assert "No window is scheduled." in content
    assert "No change recorded yet." in content
    assert "0 links in force." in content


def test_the_dashboard_without_a_switch(admin_client: Client) -> None:
    switch().delete()

    content = page(admin_client)

    assert "<code>maintenance_mode</code>: off" in content
    site_wide = content.split('id="scopes-heading"', 1)[0]  # read-only mode's switch follows
    assert not re.search(r"/admin/waffle/switch/\d+/change/", site_wide)


def test_the_dashboard_lists_active_and_upcoming_windows(admin_client: Client) -> None:
    now = timezone.now()
    hour = timedelta(hours=1)
    MaintenanceWindow.objects.create(start=now - hour, end=now + hour, reason="running")
    MaintenanceWindow.objects.create(start=now + hour, end=None, reason="planned")
    MaintenanceWindow.objects.create(
        start=now - 2 * hour, end=now - hour, reason="finished long ago", end_recorded=True
    )

    content = page(admin_client)

    rows = re.findall(r"<tr><td>.*?</tr>", content, flags=re.DOTALL)
    assert [re.findall(r"<td>([^<]*)</td>", row)[2:4] for row in rows] == [
        ["running", "active"],
        ["planned", "upcoming"],
    ]
    assert "until turned off" in rows[1]
    assert "finished long ago" not in content


def test_the_dashboard_describes_the_targeted_flag(admin_client: Client) -> None:
    flag: Flag = Flag.objects.get(name="maintenance_mode")
    flag.everyone = None
    flag.staff = True
    flag.percent = Decimal("12.5")
    flag.languages = "de"
    flag.save()
    flag.groups.add(baker.make(Group, name="ops"), baker.make(Group, name="dev"))
    flag.users.add(baker.make(User, username="carol"))

    content = page(admin_client)

    section = content.split('id="flag-heading"', 1)[1].split("</section>", 1)[0]
    assert f'href="/admin/waffle/flag/{flag.pk}/change/"' in section
    # As the audit trail and the command word it (maintenance_waffle.describe).
    assert "staff; languages: de; groups: dev, ops; users: carol; 12.5%" in section


@pytest.mark.parametrize(("everyone", "text"), [(True, "everyone"), (False, "nobody")])
def test_the_dashboard_shows_everyone_or_nobody(
    admin_client: Client, everyone: bool, text: str
) -> None:
    Flag.objects.filter(name="maintenance_mode").update(everyone=everyone)

    section = page(admin_client).split('id="flag-heading"', 1)[1].split("</section>", 1)[0]

    assert text in section


def test_the_dashboard_shows_a_missing_flag(admin_client: Client) -> None:
    Flag.objects.filter(name="maintenance_mode").delete()

    assert "There is no flag named maintenance_mode: nobody." in page(admin_client)


def test_the_dashboard_shows_who_gets_through(admin_client: Client, settings: Any) -> None:
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    settings.MAINTENANCE_MODE_IGNORE_URLS = [r"^/status/"]
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ["10.0.0.0/8", r"^192\.168\."]
    for _ in range(2):
        create_link(timedelta(hours=1), Channel.API)

    content = page(admin_client)

    section = content.split('id="exempt-heading"', 1)[1].split("</section>", 1)[0]
    assert "superusers</p>" in section
    assert "<code>MAINTENANCE_MODE_IGNORE_ADMIN_SITE</code>" in section
    assert "<code>MAINTENANCE_MODE_IGNORE_STAFF</code>" in section
    assert "<code>MAINTENANCE_MODE_IGNORE_URLS: ^/status/</code>" in section
    assert r"<code>MAINTENANCE_MODE_IGNORE_IP_ADDRESSES: 10.0.0.0/8, ^192\.168\.</code>" in section
    assert "2 links in force." in section


@pytest.mark.parametrize(
    ("name", "item"),
    [
        ("MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER", "MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER"),
        (
            "MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER",
            "MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER",
        ),
        ("MAINTENANCE_MODE_IGNORE_SUPERUSER", "MAINTENANCE_MODE_IGNORE_SUPERUSER"),
        ("MAINTENANCE_MODE_IGNORE_TESTS", "MAINTENANCE_MODE_IGNORE_TESTS"),
    ],
)
def test_the_dashboard_lists_each_user_exemption(
    admin_client: Client, settings: Any, name: str, item: str
) -> None:
    setattr(settings, name, True)

    assert f"<code>{item}</code>" in page(admin_client)


def test_the_dashboard_without_settings_exemptions(admin_client: Client, settings: Any) -> None:
    settings.MAINTENANCE_MODE_IGNORE_ADMIN_SITE = False

    assert "Also, from settings:" not in page(admin_client)


def test_the_dashboard_shows_the_last_changes(admin_client: Client) -> None:
    for number in range(12):
        baker.make(MaintenanceChange, actor="alice", subject=f"change number {number}")

    content = page(admin_client)

    assert "change number 11" in content
    assert "change number 2<" in content
    # The ten last ones, and a link to the rest.
    assert "change number 1<" not in content
    assert f'href="{CHANGES}"' in content


def test_the_dashboard_with_the_setting(admin_client: Client, settings: Any) -> None:
    settings.MAINTENANCE_MODE = True

    content = page(admin_client)

    assert "Fixed by settings.MAINTENANCE_MODE: it cannot be changed here." in content
    assert '<p class="state on">' in content
    for action in ("on", "off"):
        assert f'name="action" value="{action}"' not in content
    assert 'name="action" value="bypass"' in content
    # Windows of read-only mode and areas only (tests/test_admin_scopes.py).
    assert '<option value="">' not in form_of(content, "schedule")


def test_the_dashboard_names_the_time_zone(admin_client: Client, settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"

    content = page(admin_client)

    help_text = "Times are in the Europe/Berlin time zone."
    assert f'<p class="help" id="time-zone-help">{help_text}</p>' in content
    for name in ("start", "end"):
        assert 'aria-describedby="time-zone-help"' in field(form_of(content, "schedule"), name)


def test_every_column_of_the_windows_has_a_header(admin_client: Client) -> None:
    MaintenanceWindow.objects.create(start=None, end=timezone.now() + timedelta(hours=1))

    content = page(admin_client)

    table = content.split('id="windows-heading"', 1)[1].split("</table>", 1)[0]
    headers = re.findall(r"<th[^>]*>(.*?)</th>", table)
    cells = re.findall(r"<td>", table)
    assert len(headers) == len(cells) == 6
    assert all(re.sub(r"<[^>]+>", "", header).strip() for header in headers)
    assert headers[-1] == '<span class="visually-hidden">actions</span>'


def test_the_dashboards_tables_scroll_in_regions_the_keyboard_reaches(
    admin_client: Client,
) -> None:
    MaintenanceWindow.objects.create(start=None, end=timezone.now() + timedelta(hours=1))
    baker.make(MaintenanceChange, reason="Disks")

    content = page(admin_client)

    wrappers = re.findall(r'<div class="table-wrap"[^>]*>', content)
    assert wrappers == [
        f'<div class="table-wrap" role="region" aria-labelledby="{heading}" tabindex="0">'
        for heading in ("windows-heading", "changes-heading")
    ]


# Dashboard actions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "fields", "title", "summary"),
    [
        (
            "on",
            {"reason": "Upgrade"},
            "Turn maintenance on",
            ["Reason shown to visitors", "Upgrade"],
        ),
        ("off", {}, "Turn maintenance off", []),
        (
            "schedule",
            {"start": "2099-01-01T08:00", "end": "", "reason": ""},
            "Schedule a maintenance window",
            ["When", "From "],
        ),
        ("end_window", {"window": "{window}"}, "End this window now", ["Window", "From now until"]),
        ("bypass", {"ttl": "2h"}, "Create a secret bypass link", ["Valid for", "2\xa0hours"]),
        ("revoke", {}, "Revoke every bypass link", ["Links in force", "1"]),
    ],
)
def test_each_action_asks_for_confirmation_first(
    admin_client: Client,
    django_capture_on_commit_callbacks: Any,
    action: str,
    fields: dict[str, str],
    title: str,
    summary: list[str],
) -> None:
    set_switch(action == "off")
    window = MaintenanceWindow.objects.create(start=None, end=timezone.now() + timedelta(hours=1))
    create_link(timedelta(hours=1), Channel.API)
    fields = {name: value.format(window=window.pk) for name, value in fields.items()}

    with django_capture_on_commit_callbacks(execute=True):
        response = ask(admin_client, action, csrfmiddlewaretoken="x", **fields)

    assert response.status_code == 200
    assert response.redirect_chain == []
    content = response.content.decode()
    assert f"Please confirm: <strong>{title}</strong>" in content
    assert f'<input type="hidden" name="action" value="{action}">' in content
    assert '<input type="hidden" name="confirm" value="yes">' in content
    # The form gets a fresh CSRF token, not the one posted.
    assert 'value="x"' not in content
    for name, value in fields.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in content
    # What will happen, in words, rather than the fields as posted.
    found = summary_of(content)
    assert len(found) == len(summary)
    assert all(text.startswith(start) for text, start in zip(found, summary, strict=True)), found
    # Nothing changed.
    assert switch().active is (action == "off")
    assert list(MaintenanceWindow.objects.all()) == [window]
    assert BypassKey.objects.filter(revoked=False).count() == 1
    assert not MaintenanceChange.objects.exists()


def summary_of(content: str) -> list[str]:
    """The confirmation page's summary: labels and values, in order."""
    found = re.search(r'<dl class="summary">(.*?)</dl>', content, flags=re.DOTALL)
    if found is None:
        return []
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", found.group(1), flags=re.DOTALL)
    return [html.unescape(text) for pair in pairs for text in pair]


def in_words(start: datetime | None, end: datetime | None) -> str:
    """A window as the audit trail and the command put it (maintenance_waffle.describe),
    capitalized to stand alone."""
    return capfirst(describe.window(start, end))


def test_the_confirmation_puts_a_window_in_words_in_the_named_time_zone(
    admin_client: Client, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")

    response = ask(
        admin_client, "schedule", start="2099-12-04T15:10", end="2099-12-04T17:00", reason="Disks"
    )

    content = response.content.decode()
    words = in_words(
        datetime(2099, 12, 4, 15, 10, tzinfo=berlin), datetime(2099, 12, 4, 17, tzinfo=berlin)
    )
    assert summary_of(content) == ["When", words, "Reason shown to visitors", "Disks"]
    assert words.startswith("From ")
    assert "Europe/Berlin" in words
    # The times as given are only in the hidden fields that are posted again.
    assert content.count("2099-12-04T15:10") == 1
    assert '<input type="hidden" name="start" value="2099-12-04T15:10">' in content


@pytest.mark.parametrize("offsets", [(None, 2), (1, None), (1, 2)])
def test_the_confirmation_puts_the_window_to_end_in_words(
    admin_client: Client, offsets: tuple[int | None, int | None]
) -> None:
    midnight = datetime(2099, 1, 1, tzinfo=dt_timezone.utc)
    start, end = (None if hours is None else midnight + timedelta(hours=hours) for hours in offsets)
    window = MaintenanceWindow.objects.create(start=start, end=end, reason="Disks")

    content = ask(admin_client, "end_window", window=window.pk).content.decode()

    words = in_words(start, end)
    assert summary_of(content) == ["Window", words, "Reason shown to visitors", "Disks"]
    assert "UTC" in words
    assert "window: " not in content


@override_settings(USE_TZ=False, TIME_ZONE="Europe/Berlin")
def test_the_confirmation_in_words_without_time_zone_support(admin_client: Client) -> None:
    window = MaintenanceWindow.objects.create(start=datetime(2099, 1, 1, 1), end=None)

    content = ask(admin_client, "end_window", window=window.pk).content.decode()

    words = in_words(datetime(2099, 1, 1, 1), None)
    assert summary_of(content) == ["Window", words]
    assert "Europe/Berlin" in words


def test_on_with_a_reason(admin_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "on", reason="  Moving servers ")

    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert messages_in(response) == [("success", "Maintenance mode is on.")]
    assert (switch().active, reason()) == (True, "Moving servers")
    assert changes() == [("dashboard", "admin", SWITCH, "off", "on", "Moving servers")]
    assert '<p class="state on">' in response.content.decode()


def test_off(admin_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    set_switch(True, "Moving servers")

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "off")

    assert messages_in(response) == [("success", "Maintenance mode is off.")]
    assert switch().active is False
    assert changes() == [("dashboard", "admin", SWITCH, "on", "off", "")]


def test_schedule(admin_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    start, end = now + timedelta(hours=1), now + timedelta(hours=3)

    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            admin_client,
            "schedule",
            start=local_input(start),
            end=local_input(end),
            reason="Reindexing",
        )

    assert messages_in(response) == [("success", "The window is scheduled.")]
    window = MaintenanceWindow.objects.get()
    assert (window.start, window.end, window.reason) == (minutes(start), minutes(end), "Reindexing")
    assert changes() == [
        ("dashboard", "admin", f"window #{window.pk}", "", str(window), "Reindexing")
    ]
    assert "upcoming" in response.content.decode()


def test_schedule_in_the_projects_time_zone(admin_client: Client, settings: Any) -> None:
    settings.TIME_ZONE = "America/Chicago"

    act(admin_client, "schedule", start="2099-01-01T08:00")

    window = MaintenanceWindow.objects.get()
    assert window.start == datetime(2099, 1, 1, 14, tzinfo=dt_timezone.utc)
    assert window.end is None


def test_schedule_an_end_only_starts_at_once(admin_client: Client, client: Client) -> None:
    end = timezone.now() + timedelta(hours=2)

    act(admin_client, "schedule", end=local_input(end))

    window = MaintenanceWindow.objects.get()
    assert (window.start, window.end) == (None, minutes(end))
    assert client.get("/").status_code == 503


@override_settings(USE_TZ=False)
def test_schedule_and_end_without_time_zone_support(admin_client: Client) -> None:
    now = timezone.now()

    act(admin_client, "schedule", end=local_input(now + timedelta(hours=2)))
    window = MaintenanceWindow.objects.get()
    response = act(admin_client, "end_window", window=window.pk)

    assert messages_in(response) == [("success", "The window is over.")]
    window.refresh_from_db()
    assert window.end is not None
    assert now <= window.end <= timezone.now()


def form_of(content: str, action: str) -> str:
    """The dashboard's form for ``action``."""
    found = re.search(
        rf'<form method="post"[^>]*>(?:(?!</form>).)*?name="action" value="{action}">.*?</form>',
        content,
        flags=re.DOTALL,
    )
    assert found is not None, f"no {action} form"
    return found.group(0)


def errors_in(form: str) -> dict[str, list[str]]:
    """A form's lists of errors, by id."""
    return {
        list_id: [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", items)]
        for list_id, items in re.findall(
            r'<ul class="errorlist[^"]*" id="([^"]+)">(.*?)</ul>', form, flags=re.DOTALL
        )
    }


def field(form: str, name: str) -> str:
    """The tag of a form's field ``name``."""
    found = re.search(rf'<(?:input|select)[^>]* name="{name}"[^>]*>', form)
    assert found is not None, f"no field {name}"
    return found.group(0)


@pytest.mark.parametrize("confirm", [False, True])
@pytest.mark.parametrize(
    ("offsets", "errors", "focus"),
    [
        ((None, None), {"id_window_errors": ["Give a start, an end, or both."]}, "start"),
        ((None, -1), {"id_window_end_error": ["The end must be in the future."]}, "end"),
        ((-3, -1), {"id_window_end_error": ["The end must be in the future."]}, "end"),
        ((2, 1), {"id_window_end_error": ["The end must come after the start."]}, "end"),
        ((2, 2), {"id_window_end_error": ["The end must come after the start."]}, "end"),
    ],
)
def test_schedule_shows_the_errors_beside_the_values_given(
    admin_client: Client,
    offsets: tuple[int | None, int | None],
    errors: dict[str, list[str]],
    focus: str,
    confirm: bool,
) -> None:
    now = timezone.now()
    start, end = (
        "" if hours is None else local_input(now + timedelta(hours=hours)) for hours in offsets
    )

    # Checked when first submitted, before the confirmation page, and again on confirming.
    response = (act if confirm else ask)(
        admin_client, "schedule", start=start, end=end, reason="Disks"
    )

    assert response.status_code == 200
    assert response.redirect_chain == []
    content = response.content.decode()
    assert "Please confirm:" not in content
    assert messages_in(response) == []
    form = form_of(content, "schedule")
    assert errors_in(form) == errors
    # The values given are kept.
    assert f'value="{start}"' in field(form, "start")
    assert f'value="{end}"' in field(form, "end")
    assert 'value="Disks"' in field(form, "reason")
    # The first field in error gets the focus and is described by its errors.
    wrong = field(form, focus)
    assert "autofocus" in wrong
    assert re.search(rf'aria-describedby="{" ".join(errors)} time-zone-help"', wrong)
    assert content.count("autofocus") == 1
    # The other forms are shown empty.
    assert 'value=""' in field(form_of(content, "on"), "reason")
    assert not MaintenanceWindow.objects.exists()


def test_schedule_refuses_a_date_it_cannot_read(admin_client: Client) -> None:
    response = ask(admin_client, "schedule", start="next tuesday")

    form = form_of(response.content.decode(), "schedule")
    assert errors_in(form) == {"id_window_start_error": ["Enter a valid date/time."]}
    assert 'value="next tuesday"' in field(form, "start")
    assert 'aria-invalid="true"' in field(form, "start")
    assert not MaintenanceWindow.objects.exists()


def test_schedule_refuses_a_time_the_clocks_skip(admin_client: Client, settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Berlin"

    response = ask(admin_client, "schedule", start="2099-03-29T02:30")

    (error,) = errors_in(form_of(response.content.decode(), "schedule"))["id_window_start_error"]
    assert "be interpreted in time zone Europe/Berlin" in error


def test_on_shows_the_errors_beside_the_reason_given(admin_client: Client) -> None:
    reason = "x" * 501

    response = ask(admin_client, "on", reason=reason)

    form = form_of(response.content.decode(), "on")
    assert errors_in(form) == {
        "id_on_reason_error": ["Ensure this value has at most 500 characters (it has 501)."]
    }
    assert f'value="{reason}"' in field(form, "reason")
    assert 'aria-describedby="id_on_reason_error"' in field(form, "reason")
    assert switch().active is False


def test_on_is_offered_again_with_its_errors_even_when_maintenance_is_on(
    admin_client: Client,
) -> None:
    set_switch(True)

    response = act(admin_client, "on", reason="x" * 501)

    content = response.content.decode()
    assert "at most 500 characters" in form_of(content, "on")
    assert 'name="action" value="off"' in content


def test_an_error_of_the_api_on_confirming_is_shown_in_the_form(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ValueError("end argument value must be in the future")

    monkeypatch.setattr("maintenance_waffle.core.set_maintenance_mode", refuse)
    end = local_input(timezone.now() + timedelta(minutes=2))

    response = act(admin_client, "schedule", end=end)

    form = form_of(response.content.decode(), "schedule")
    assert errors_in(form) == {"id_window_errors": ["end argument value must be in the future"]}
    assert f'value="{end}"' in field(form, "end")
    assert 'aria-describedby="id_window_errors time-zone-help"' in field(form, "start")


def test_end_a_running_window(
    admin_client: Client, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    window = MaintenanceWindow.objects.create(start=now - timedelta(hours=1), end=None)
    assert client.get("/").status_code == 503
    old = str(window)

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "end_window", window=window.pk)
    with django_capture_on_commit_callbacks(execute=True):
        # Another look at the windows: their end is already on record.
        assert client.get("/").status_code == 200

    assert messages_in(response) == [("success", "The window is over.")]
    window.refresh_from_db()
    assert window.end is not None
    assert now <= window.end <= timezone.now()
    assert changes() == [("dashboard", "admin", f"window #{window.pk}", old, str(window), "")]


def test_end_an_upcoming_window_cancels_it(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    start = timezone.now() + timedelta(hours=1)
    window = MaintenanceWindow.objects.create(start=start, end=None, reason="Later")

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "end_window", window=window.pk)

    assert messages_in(response) == [("success", "The window is cancelled.")]
    assert not MaintenanceWindow.objects.exists()
    assert changes() == [("dashboard", "admin", f"window #{window.pk}", str(window), "removed", "")]


def window_button(content: str, window: MaintenanceWindow) -> str:
    found = re.search(
        rf'name="window" value="{window.pk}"><button type="submit" class="button">(.*?)</button>',
        content,
    )
    assert found is not None
    return found.group(1)


def test_an_upcoming_window_is_cancelled_and_a_running_one_ended(admin_client: Client) -> None:
    now = timezone.now()
    running = MaintenanceWindow.objects.create(start=now - timedelta(hours=1), end=None)
    later = MaintenanceWindow.objects.create(start=now + timedelta(hours=1), end=None)

    content = page(admin_client)
    cancel = ask(admin_client, "end_window", window=later.pk).content.decode()
    end = ask(admin_client, "end_window", window=running.pk).content.decode()

    assert window_button(content, running) == "End now"
    assert window_button(content, later) == "Cancel window"
    assert "Please confirm: <strong>Cancel this upcoming window</strong>" in cancel
    assert "<h1>Cancel this upcoming window</h1>" in cancel
    assert "Please confirm: <strong>End this window now</strong>" in end
    # The way back is not called "Cancel", which would read as cancelling the window.
    for confirmation in (cancel, end):
        assert ">Go back</a>" in confirmation
        assert ">Cancel</a>" not in confirmation


@pytest.mark.parametrize("confirm", [False, True])
@pytest.mark.parametrize("fields", [{"window": "9999"}, {"window": ""}, {"window": "x"}, {}])
def test_end_a_missing_window(admin_client: Client, fields: dict[str, str], confirm: bool) -> None:
    window = MaintenanceWindow.objects.create(start=None, end=timezone.now() + timedelta(hours=1))

    response = (act if confirm else ask)(admin_client, "end_window", **fields)

    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert messages_in(response) == [("error", "This window no longer exists.")]
    assert list(MaintenanceWindow.objects.all()) == [window]


def test_end_a_window_that_has_ended(admin_client: Client) -> None:
    now = timezone.now()
    window = MaintenanceWindow.objects.create(start=now - timedelta(hours=2), end=now)

    response = ask(admin_client, "end_window", window=window.pk)

    assert messages_in(response) == [("error", "This window no longer exists.")]


def test_end_a_window_removed_while_confirming(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MaintenanceWindow.objects.create(start=None, end=timezone.now() + timedelta(hours=1))
    checked = admin_module.upcoming

    def removed_meanwhile(*args: Any) -> bool:
        # Another operator removes the window after it was checked, before it is ended.
        MaintenanceWindow.objects.filter(pk=window.pk).delete()
        return checked(*args)

    monkeypatch.setattr(admin_module, "upcoming", removed_meanwhile)

    response = act(admin_client, "end_window", window=window.pk)

    assert messages_in(response) == [("error", "This window no longer exists.")]


NEW_LINK = re.compile(
    r'<input type="text" id="id_new_bypass_link" '
    r'value="(http://testserver/maintenance-mode/bypass/([^/"]+)/)" size="(\d+)" readonly'
)


def test_create_a_bypass_link(
    admin_client: Client, client: Client, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"
    set_switch(True)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "bypass", ttl="30m")

    key = BypassKey.objects.get()
    assert before + timedelta(minutes=30) <= key.expires <= timezone.now() + timedelta(minutes=30)
    assert key.created_by == "admin"
    assert messages_in(response) == [
        ("success", f"Secret bypass link created, valid until {describe.moment(key.expires)}.")
    ]
    # The link, whole in a read-only field to select or copy, with a button that copies
    # it (shown by the script, which is a static file).
    content = response.content.decode()
    match = NEW_LINK.search(content)
    assert match is not None
    assert key_of(match.group(2)) == key.pk
    assert int(match.group(3)) == len(match.group(1))
    assert match.group(1) not in messages_in(response)[0][1]
    assert '<label for="id_new_bypass_link">New secret bypass link</label>' in content
    assert re.search(
        r'<button type="button" class="button" data-copy="id_new_bypass_link"', content
    )
    assert re.search(
        r'<button [^>]*data-copy="id_new_bypass_link"[^>]* hidden>Copy</button>', content
    )
    assert '<script src="/static/maintenance_waffle/dashboard.js" defer></script>' in content
    assert "1 link in force." in content
    assert changes()[0][:3] == ("dashboard", "admin", f"bypass link #{key.pk}")
    # Shown once.
    assert NEW_LINK.search(page(admin_client)) is None
    # The link works.
    assert client.get(match.group(1)).status_code == 302
    assert client.get("/").status_code == 200


def test_create_a_bypass_link_valid_one_hour_by_default(admin_client: Client) -> None:
    before = timezone.now()

    act(admin_client, "bypass")

    key = BypassKey.objects.get()
    assert before + timedelta(hours=1) <= key.expires <= timezone.now() + timedelta(hours=1)


def test_the_bypass_durations_are_in_words(admin_client: Client) -> None:
    select = field(form_of(page(admin_client), "bypass"), "ttl")
    options = re.findall(
        r'<option value="([^"]+)"( selected)?>([^<]+)</option>',
        form_of(page(admin_client), "bypass"),
    )

    assert 'id="id_ttl"' in select
    assert options == [
        ("30m", "", "30\xa0minutes"),
        ("1h", " selected", "1\xa0hour"),
        ("2h", "", "2\xa0hours"),
        ("8h", "", "8\xa0hours"),
        ("1d", "", "1\xa0day"),
    ]


@pytest.mark.parametrize("confirm", [False, True])
def test_create_a_bypass_link_with_a_bad_duration(admin_client: Client, confirm: bool) -> None:
    response = (act if confirm else ask)(admin_client, "bypass", ttl="1w")

    assert response.redirect_chain == []
    form = form_of(response.content.decode(), "bypass")
    assert errors_in(form) == {"id_ttl_error": ["Invalid duration: '1w'; use e.g. 30m, 2h or 1d."]}
    assert "autofocus" in field(form, "ttl")
    # No option is the value given: none is selected.
    assert " selected" not in form
    assert not BypassKey.objects.exists()


def test_revoke_the_bypass_links(admin_client: Client, client: Client) -> None:
    set_switch(True)
    token, _ = create_link(timedelta(hours=1), Channel.API)
    create_link(timedelta(hours=1), Channel.API)
    client.get(f"/maintenance-mode/bypass/{token}/")
    assert client.get("/").status_code == 200

    response = act(admin_client, "revoke")

    assert messages_in(response) == [("success", "2 bypass link(s) revoked.")]
    assert not BypassKey.objects.filter(revoked=False).exists()
    assert client.get("/").status_code == 503


@pytest.mark.parametrize("confirm", [True, False])
@pytest.mark.parametrize("action", ["", "explode", "delete_selected"])
def test_an_unknown_action(admin_client: Client, action: str, confirm: bool) -> None:
    response = (act if confirm else ask)(admin_client, action)

    assert response.redirect_chain == [(DASHBOARD, 302)]
    assert messages_in(response) == [("error", "Unknown action.")]
    assert switch().active is False


@pytest.mark.parametrize(
    ("action", "fields"),
    [("on", {"reason": "x"}), ("off", {}), ("schedule", {"end": "2099-01-01T00:00"})],
)
@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("confirm", [False, True])
def test_the_setting_locks_on_off_and_schedule(
    admin_client: Client,
    settings: Any,
    action: str,
    fields: dict[str, str],
    value: bool,
    confirm: bool,
) -> None:
    set_switch(action == "off")
    settings.MAINTENANCE_MODE = value

    # Said before the confirmation page too.
    response = (act if confirm else ask)(admin_client, action, **fields)

    assert messages_in(response) == [
        ("error", "Maintenance mode is set by settings.MAINTENANCE_MODE.")
    ]
    assert switch().active is (action == "off")
    assert not MaintenanceWindow.objects.exists()


# waffle's admin pages ---------------------------------------------------------------------


@pytest.mark.parametrize("model", ["switch", "flag"])
def test_waffles_pages_link_to_the_dashboard(admin_client: Client, model: str) -> None:
    row = switch() if model == "switch" else Flag.objects.get(name="maintenance_mode")
    link = f'<a href="{DASHBOARD}">Maintenance dashboard</a>'

    listing = admin_client.get(f"/admin/waffle/{model}/")
    form = admin_client.get(f"/admin/waffle/{model}/{row.pk}/change/")

    assert (listing.status_code, form.status_code) == (200, 200)
    assert link in listing.content.decode()
    assert link in form.content.decode()
    assert "maintenance_mode" in form.content.decode()


@pytest.mark.parametrize("model", ["switch", "flag"])
def test_waffles_pages_link_to_the_dashboard_only_for_who_may_open_it(
    client: Client, model: str
) -> None:
    # May edit waffle's rows, not view the dashboard: the link would lead to a 403.
    user = staff()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="waffle", codename__endswith=model)
    )
    client.force_login(user)
    row = switch() if model == "switch" else Flag.objects.get(name="maintenance_mode")

    listing = client.get(f"/admin/waffle/{model}/")
    form = client.get(f"/admin/waffle/{model}/{row.pk}/change/")

    assert (listing.status_code, form.status_code) == (200, 200)
    assert DASHBOARD not in listing.content.decode()
    assert DASHBOARD not in form.content.decode()


def test_waffles_delete_page_is_recorded(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    set_switch(True)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/waffle/switch/{switch().pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert changes() == [("waffle-admin", "admin", SWITCH, "on", "missing", "")]


def test_waffles_admins_are_replaced_where_registered() -> None:
    site = AdminSite()
    site.register(Switch, waffle_admin.SwitchAdmin)

    replace_waffle_admins(site)

    replaced = site._registry[Switch]
    assert isinstance(replaced, waffle_admin.SwitchAdmin)
    assert type(replaced) is not waffle_admin.SwitchAdmin
    assert replaced.change_list_template == "admin/maintenance_waffle/waffle_change_list.html"
    # A project that took waffle's Flag admin off its site keeps it off.
    assert not site.is_registered(Flag)


def test_an_invalid_setting_locks_nothing(admin_client: Client, settings: Any) -> None:
    # "yes" is check E003 and ignored, here as everywhere: the switch decides.
    settings.MAINTENANCE_MODE = "yes"
    set_switch(True)

    assert "Turn maintenance off" in admin_client.get(DASHBOARD).content.decode()
    response = act(admin_client, "off")

    assert messages_in(response) == [("success", "Maintenance mode is off.")]
    assert switch().active is False


def test_schedule_replaces_the_switch_and_every_window(admin_client: Client) -> None:
    """As the API and the command do: every change replaces what was set before."""
    now = timezone.now()
    set_switch(True, "Moving servers")
    MaintenanceWindow.objects.create(start=now + timedelta(hours=5), end=None, reason="old")

    act(admin_client, "schedule", end=local_input(now + timedelta(hours=2)), reason="new")

    assert switch().active is False
    assert list(MaintenanceWindow.objects.values_list("start", "reason")) == [(None, "new")]


# Content-Security-Policy: styles and scripts come from static files ----------------------

PACKAGE = Path(maintenance_waffle.__file__).parent
#: This app's templates for the admin, its banner and the on/off URLs (the 503 page and
#: the invalid bypass link's page carry their style inline, with the request's nonce:
#: tests/test_page.py, tests/test_bypass.py).
OUR_TEMPLATES = [
    *sorted((PACKAGE / "templates" / "admin").rglob("*.html")),
    PACKAGE / "templates" / "maintenance_waffle" / "admin" / "banner.html",
    PACKAGE / "templates" / "maintenance_waffle" / "confirm.html",
]
#: What a policy without 'unsafe-inline' refuses: style attributes, <style> elements,
#: scripts without src (none of ours carries a nonce, so none needs one).
INLINE = re.compile(r"\sstyle=|<style|<script(?![^>]*\ssrc=)|\son[a-z]+=", flags=re.IGNORECASE)


@pytest.mark.parametrize("template", OUR_TEMPLATES, ids=lambda path: path.name)
def test_our_templates_have_no_inline_style_or_script(template: Path) -> None:
    assert INLINE.findall(template.read_text(encoding="utf-8")) == []


def test_the_static_files_they_load_are_in_the_package() -> None:
    loaded = {STYLE}
    for template in OUR_TEMPLATES:
        loaded.update(re.findall(r"{% static '([^']+)' %}", template.read_text(encoding="utf-8")))

    assert loaded == {
        "maintenance_waffle/admin.css",
        "maintenance_waffle/banner.css",
        "maintenance_waffle/confirm.css",
        "maintenance_waffle/dashboard.js",
    }
    for path in loaded:
        assert (PACKAGE / "static" / path).is_file(), path


def pages_of_every_kind(client: Client) -> dict[str, str]:
    """Every page of ours, each in its fullest state."""
    now = timezone.now()
    window = MaintenanceWindow.objects.create(start=now + timedelta(hours=1), end=None)
    baker.make(MaintenanceChange, reason="Disks")
    pages = {
        "dashboard": act(client, "bypass").content.decode(),
        "dashboard with errors": ask(client, "schedule", end="2000-01-01T00:00").content.decode(),
        "audit list": client.get(CHANGES).content.decode(),
        "window list": client.get(CHANGELIST).content.decode(),
        "on/off URL": client.get("/maintenance-mode/on/").content.decode(),
    }
    for action, fields in [
        ("on", {"reason": "Disks"}),
        ("off", {}),
        ("schedule", {"end": local_input(now + timedelta(hours=2))}),
        ("end_window", {"window": window.pk}),
        ("bypass", {}),
        ("revoke", {}),
    ]:
        pages[f"confirm {action}"] = ask(client, action, **fields).content.decode()
    return pages


def test_no_page_of_ours_has_inline_style_or_script(admin_client: Client) -> None:
    for name, content in pages_of_every_kind(admin_client).items():
        if name != "on/off URL":  # not an admin page
            assert "maintenance-banner" in content, name  # an upcoming window: a banner too
        assert INLINE.findall(content) == [], name


@pytest.mark.parametrize(("path", "model"), [(CHANGES, "change"), (CHANGELIST, "window")])
def test_the_lists_load_our_style_sheet(admin_client: Client, path: str, model: str) -> None:
    content = admin_client.get(path).content.decode()

    assert '<link href="/static/maintenance_waffle/admin.css" media="all" rel="stylesheet">' in (
        content
    )
