"""A logging filter that keeps maintenance responses out of error reports."""

from __future__ import annotations

import logging

from maintenance_waffle.conf import get_config


class RequireNotMaintenanceMode503(logging.Filter):
    """Drop the log records of maintenance responses (e.g. before ``mail_admins``).

    Django logs every 5xx on ``django.request``; while maintenance is on (site-wide,
    targeted, in read-only mode for a change, or in an area) those records are expected
    and not worth an email.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the record of a response with status 503 (or
        ``MAINTENANCE_MODE_STATUS_CODE``) given while its request was in maintenance, or
        while site-wide maintenance is on; True for every other record."""
        status_code = getattr(record, "status_code", None)
        if status_code not in (503, get_config().status_code):
            return True
        # Imported here: LOGGING is configured before the app registry is ready.
        from maintenance_waffle.core import get_maintenance_mode
        from maintenance_waffle.decision import SAFE_METHODS

        request = getattr(record, "request", None)
        if getattr(request, "maintenance_mode", False):
            return False
        # An area down, or a change refused in read-only mode.
        if getattr(request, "maintenance_area", None) is not None:
            return False
        if getattr(request, "maintenance_read_only", False) and (
            getattr(request, "method", None) not in SAFE_METHODS
        ):
            return False
        return not get_maintenance_mode()
