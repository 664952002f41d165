"""maintenance_waffle's middleware declared sync-only, as django-maintenance-mode's is.

Under ASGI, Django then runs a stack of MiddlewareMixin middleware in one worker thread
instead of one thread hop per middleware hook: the comparison shows that this, not the
maintenance check, is what the ASGI figures of django-maintenance-mode reflect.
"""

from __future__ import annotations

from maintenance_waffle.middleware import MaintenanceModeMiddleware


class SyncOnlyMaintenanceModeMiddleware(MaintenanceModeMiddleware):
    async_capable = False
