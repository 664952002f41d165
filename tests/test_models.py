from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from maintenance_waffle.models import MaintenanceReason, MaintenanceWindow

pytestmark = pytest.mark.django_db

START = datetime(2099, 1, 1, 8, 0, tzinfo=dt_timezone.utc)
END = datetime(2099, 1, 1, 10, 30, tzinfo=dt_timezone.utc)


# clean() -------------------------------------------------------------------------------


def test_clean_needs_a_start_or_an_end() -> None:
    with pytest.raises(ValidationError) as info:
        MaintenanceWindow().clean()

    assert info.value.messages == ["Give a start, an end, or both."]


@pytest.mark.parametrize("end", [START, START - timedelta(seconds=1)])
def test_clean_needs_the_end_after_the_start(end: datetime) -> None:
    with pytest.raises(ValidationError) as info:
        MaintenanceWindow(start=START, end=end).clean()

    assert info.value.message_dict == {"end": ["The end must come after the start."]}


@pytest.mark.parametrize(
    ("start", "end"), [(START, None), (None, END), (START, END), (START, START + timedelta(1))]
)
def test_clean_accepts_open_and_closed_windows(
    start: datetime | None, end: datetime | None
) -> None:
    window = MaintenanceWindow(start=start, end=end, reason="")

    window.full_clean()

    assert (window.start, window.end) == (start, end)


def test_full_clean_reports_the_end_on_its_field() -> None:
    with pytest.raises(ValidationError) as info:
        MaintenanceWindow(start=END, end=START).full_clean()

    assert info.value.message_dict == {"end": ["The end must come after the start."]}


@pytest.mark.parametrize("scope", ["", "read-only", "area:checkout"])
def test_clean_accepts_the_scopes_of_the_settings(settings, scope: str) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/checkout/"]}

    MaintenanceWindow(start=START, scope=scope).full_clean()


@pytest.mark.parametrize("scope", ["area:reports", "read_only", "checkout"])
def test_clean_refuses_other_scopes(settings, scope: str) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = {"checkout": [r"^/checkout/"]}

    with pytest.raises(ValidationError) as info:
        MaintenanceWindow(start=START, scope=scope).clean()

    assert info.value.message_dict == {
        "scope": ["Not a scope of maintenance here: use one of '', 'read-only', 'area:checkout'."]
    }


# Database constraints ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, None), (START, START), (END, START)],
    ids=["neither", "equal", "reversed"],
)
def test_the_database_refuses_what_clean_refuses(
    start: datetime | None, end: datetime | None
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceWindow.objects.create(start=start, end=end)

    assert not MaintenanceWindow.objects.exists()


@pytest.mark.parametrize(("start", "end"), [(START, None), (None, END), (START, END)])
def test_the_database_accepts_valid_windows(start: datetime | None, end: datetime | None) -> None:
    MaintenanceWindow.objects.create(start=start, end=end)

    stored = MaintenanceWindow.objects.get()
    assert (stored.start, stored.end) == (start, end)
    assert stored.reason == ""
    assert stored.created is not None


# __str__ -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (START, END, "from 2099-01-01 08:00 to 10:30 UTC"),
        (START, None, "from 2099-01-01 08:00 UTC until turned off"),
        (None, END, "from now until 2099-01-01 10:30 UTC"),
        (None, None, "from now until turned off"),
    ],
)
def test_str(start: datetime | None, end: datetime | None, text: str) -> None:
    assert str(MaintenanceWindow(start=start, end=end)) == text


# Ordering ------------------------------------------------------------------------------


def test_windows_are_ordered_by_start_then_end() -> None:
    now = timezone.now()
    later = MaintenanceWindow.objects.create(start=now + timedelta(days=2), end=None)
    long = MaintenanceWindow.objects.create(start=now, end=now + timedelta(hours=3))
    short = MaintenanceWindow.objects.create(start=now, end=now + timedelta(hours=1))
    middle = MaintenanceWindow.objects.create(start=now + timedelta(days=1), end=None)

    assert list(MaintenanceWindow.objects.all()) == [short, long, middle, later]


def test_verbose_names() -> None:
    assert str(MaintenanceWindow._meta.verbose_name) == "maintenance window"
    assert str(MaintenanceWindow._meta.verbose_name_plural) == "maintenance windows"


def test_the_migrations_match_the_model() -> None:
    output = StringIO()

    # Exits with status 1 when a migration is missing.
    call_command("makemigrations", "maintenance_waffle", check=True, dry_run=True, stdout=output)

    assert output.getvalue() == "No changes detected in app 'maintenance_waffle'\n"


def test_a_reason_reads_as_its_text() -> None:
    assert str(MaintenanceReason(scope="maintenance_mode", text="Moving servers")) == (
        "Moving servers"
    )
