from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from maintenance_waffle.models import MaintenanceWindow

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
