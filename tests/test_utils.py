from __future__ import annotations

import re
from datetime import date, datetime
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone

from maintenance_waffle import core
from maintenance_waffle.utils import get_client_ip_address, get_now_datetime, parse_aware_datetime

UTC = dt_timezone.utc
CHICAGO = ZoneInfo("America/Chicago")


def test_get_client_ip_address_is_remote_addr(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert get_client_ip_address(request) == "203.0.113.5"


def test_get_client_ip_address_without_remote_addr(rf: RequestFactory) -> None:
    request = rf.get("/")
    del request.META["REMOTE_ADDR"]

    assert get_client_ip_address(request) is None


def test_get_now_datetime_is_aware() -> None:
    before = timezone.now()
    now = get_now_datetime()

    assert timezone.is_aware(now)
    assert before <= now <= timezone.now()


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_get_now_datetime_is_aware_without_time_zone_support() -> None:
    before = timezone.now()
    now = get_now_datetime()

    assert now.tzinfo == CHICAGO
    assert before <= now.replace(tzinfo=None) <= timezone.now()


def test_parse_aware_datetime_none() -> None:
    assert parse_aware_datetime(None) is None


def test_parse_aware_datetime_keeps_aware_datetimes() -> None:
    moment = datetime(2099, 1, 1, 3, tzinfo=CHICAGO)

    assert parse_aware_datetime(moment) is moment


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2099, 1, 1, 3), datetime(2099, 1, 1, 9, tzinfo=UTC)),
        ("2099-01-01T03:00:00", datetime(2099, 1, 1, 9, tzinfo=UTC)),
        ("2099-01-01 03:00", datetime(2099, 1, 1, 9, tzinfo=UTC)),
        ("2099-01-01", datetime(2099, 1, 1, 6, tzinfo=UTC)),
        ("2099-01-01T03:00:00+01:00", datetime(2099, 1, 1, 2, tzinfo=UTC)),
        ("2099-01-01T03:00:00Z", datetime(2099, 1, 1, 3, tzinfo=UTC)),
    ],
)
def test_parse_aware_datetime_in_the_current_time_zone(
    value: datetime | str, expected: datetime
) -> None:
    with timezone.override(CHICAGO):
        parsed = parse_aware_datetime(value)

    assert parsed == expected
    assert parsed is not None
    assert timezone.is_aware(parsed)


@pytest.mark.parametrize("value", ["", "garbage", "2031-02-30", "2099-01-01T25:00"])
def test_parse_aware_datetime_refuses_unparsable_strings(value: str) -> None:
    with pytest.raises(ValueError, match=rf"^Invalid datetime value: '{re.escape(value)}'$"):
        parse_aware_datetime(value)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(date(2099, 1, 1), "datetime.date"), (0, "int"), (1.5, "float"), (b"2099-01-01", "bytes")],
)
def test_parse_aware_datetime_refuses_other_types(value: object, type_name: str) -> None:
    with pytest.raises(TypeError) as info:
        parse_aware_datetime(value)  # type: ignore[arg-type]

    assert str(info.value) == (
        f"Datetime value type is not datetime | str | None: <class '{type_name}'>"
    )


def test_core_offers_the_same_parse_aware_datetime() -> None:
    assert core.parse_aware_datetime is parse_aware_datetime
