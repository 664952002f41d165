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


def test_window() -> None:
    assert describe.window(START, END) == "2099-01-01T08:00:00+00:00 → 2099-01-01T09:00:00+00:00"
    assert describe.window(None, END) == "now → 2099-01-01T09:00:00+00:00"
    assert describe.window(START, None) == "2099-01-01T08:00:00+00:00 → until turned off"


@override_settings(TIME_ZONE="America/Chicago")
def test_window_in_the_current_time_zone() -> None:
    assert describe.window(START, None) == "2099-01-01T02:00:00-06:00 → until turned off"


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_window_of_naive_times() -> None:
    naive = datetime(2099, 1, 1, 2)

    assert describe.window(naive, None) == "2099-01-01T02:00:00-06:00 → until turned off"


def test_a_stored_window_is_described_the_same() -> None:
    assert str(MaintenanceWindow(start=None, end=END)) == describe.window(None, END)
