"""Helpers of django-maintenance-mode's ``maintenance_mode.utils`` that still apply."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.dateparse import parse_datetime

from maintenance_waffle.state import aware
from maintenance_waffle.state import current_time as get_now_datetime

__all__ = ["get_client_ip_address", "get_now_datetime", "parse_aware_datetime"]


def get_client_ip_address(request: HttpRequest) -> str | None:
    """The client's address as the server saw it (``REMOTE_ADDR``); behind a proxy,
    point ``MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS`` at a function you trust instead."""
    return request.META.get("REMOTE_ADDR")


def parse_aware_datetime(value: datetime | str | None) -> datetime | None:
    """A ``datetime`` or an ISO 8601 string (a date alone means midnight) as an aware
    datetime; naive values are taken in the current time zone."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValueError(f"Invalid datetime value: '{value}'")
        value = parsed
    elif not isinstance(value, datetime):
        raise TypeError(f"Datetime value type is not datetime | str | None: {type(value)}")
    return aware(value)
