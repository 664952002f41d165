from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from waffle.models import Flag

from maintenance_waffle import describe
from maintenance_waffle.models import MaintenanceWindow
from maintenance_waffle.store import FlagRule, rule_of

START = datetime(2099, 1, 1, 8, tzinfo=timezone.get_fixed_timezone(0))
END = START + timedelta(hours=1)


@pytest.mark.parametrize(
    ("fields", "description"),
    [
        ({"everyone": True, "staff": True}, "everyone"),
        ({"everyone": False, "staff": True}, "nobody"),
        ({"everyone": None}, "nobody"),
        ({"everyone": None, "superusers": True}, "superusers"),
        ({"everyone": None, "staff": True, "percent": Decimal(5)}, "staff; 5%"),
        ({"everyone": None, "percent": Decimal("12.5")}, "12.5%"),
        ({"everyone": None, "testing": True, "languages": "de"}, "testing; languages: de"),
        ({"everyone": None, "languages": "fr, de,,"}, "languages: de, fr"),
        # Nothing but what targets someone, and no separator left over.
        ({"everyone": None, "superusers": True, "languages": " , ,"}, "superusers"),
        (
            {"everyone": None, "superusers": True, "staff": True, "authenticated": True},
            "superusers; staff; logged-in users",
        ),
    ],
)
def test_flag(fields: dict[str, Any], description: str) -> None:
    flag = Flag(**{"name": "f", "superusers": False, **fields})

    assert describe.flag(rule_of(flag)) == description


def test_flag_with_the_names_of_its_groups_and_users() -> None:
    rule = FlagRule("f", percent=25.0)

    assert describe.flag(rule, groups=["ops", "beta"], users=["bob"]) == (
        "groups: beta, ops; users: bob; 25%"
    )


def test_a_missing_flag() -> None:
    assert describe.flag(None) == "missing (nobody)"


def test_a_flag_in_the_active_language() -> None:
    with translation.override("de"):
        assert describe.flag(FlagRule("f", staff=True, authenticated=True)) == (
            "Mitarbeiter; angemeldete Benutzer"
        )
        assert describe.flag(None) == "fehlt (niemand)"


def test_moment() -> None:
    assert describe.moment(START) == "2099-01-01 08:00 UTC"
    # To the minute: seconds and microseconds are left out, not rounded.
    assert describe.moment(START.replace(second=59, microsecond=999999)) == "2099-01-01 08:00 UTC"


@override_settings(TIME_ZONE="Europe/Berlin")
def test_moment_in_the_projects_time_zone_named() -> None:
    assert describe.moment(START) == "2099-01-01 09:00 Europe/Berlin"
    # Not in a time zone a request activated: the project's is the one named.
    with timezone.override("Asia/Tokyo"):
        assert describe.moment(START) == "2099-01-01 09:00 Europe/Berlin"


def test_until() -> None:
    assert describe.until(END) == "until 2099-01-01 09:00 UTC"
    assert describe.until(None) == "until turned off"


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (START, END, "from 2099-01-01 08:00 to 09:00 UTC"),
        (START, START + timedelta(days=1), "from 2099-01-01 08:00 to 2099-01-02 08:00 UTC"),
        (None, END, "from now until 2099-01-01 09:00 UTC"),
        (START, None, "from 2099-01-01 08:00 UTC until turned off"),
        (None, None, "from now until turned off"),
        (
            START.replace(second=30, microsecond=123456),
            END.replace(second=59, microsecond=1),
            "from 2099-01-01 08:00 to 09:00 UTC",
        ),
    ],
)
def test_window(start: datetime | None, end: datetime | None, words: str) -> None:
    assert describe.window(start, end) == words


@override_settings(TIME_ZONE="America/Chicago")
def test_window_in_the_projects_time_zone() -> None:
    # 08:00 UTC is 02:00 in Chicago; 23:00 UTC is 17:00 there, the same day.
    assert describe.window(START, START + timedelta(hours=15)) == (
        "from 2099-01-01 02:00 to 17:00 America/Chicago"
    )
    assert describe.window(START, None) == "from 2099-01-01 02:00 America/Chicago until turned off"
    # 05:00 UTC is the day before in Chicago.
    assert describe.window(START - timedelta(hours=3), END) == (
        "from 2098-12-31 23:00 to 2099-01-01 03:00 America/Chicago"
    )


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_window_of_naive_times() -> None:
    naive = datetime(2099, 1, 1, 2)

    assert describe.window(naive, naive + timedelta(hours=1)) == (
        "from 2099-01-01 02:00 to 03:00 America/Chicago"
    )


def test_window_in_the_active_language() -> None:
    with translation.override("de"):
        assert describe.window(START, END) == "von 2099-01-01 08:00 bis 09:00 UTC"
        assert describe.window(None, None) == "ab jetzt bis zum Ausschalten"
        assert describe.until(END) == "bis 2099-01-01 09:00 UTC"


def test_a_stored_window_is_described_the_same() -> None:
    assert str(MaintenanceWindow(start=None, end=END)) == describe.window(None, END)
