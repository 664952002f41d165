from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from maintenance_waffle.http import get_maintenance_response, need_maintenance_response
from maintenance_waffle.middleware import MaintenanceModeMiddleware

PARTNER_KEY = "partner-key"


class SiteMaintenanceMiddleware(MaintenanceModeMiddleware):
    """Partners keep their access during maintenance; everyone else as the package decides."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        request.seen_by_project = True  # type: ignore[attr-defined]
        if request.headers.get("X-Partner-Key") == PARTNER_KEY:
            return None
        if need_maintenance_response(request):
            return get_maintenance_response(request)
        return None
