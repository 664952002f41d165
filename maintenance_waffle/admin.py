from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from maintenance_waffle.models import MaintenanceWindow
from maintenance_waffle.state import Window, aware, current_time


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("start", "end", "reason", "status")
    search_fields = ("reason",)
    date_hierarchy = "start"
    ordering = ("-start",)

    @admin.display(description=_("status"))
    def status(self, obj: MaintenanceWindow) -> str:
        now = current_time()
        window = Window(start=aware(obj.start), end=aware(obj.end))
        if window.covers(now):
            return str(_("active"))
        if window.end is not None and window.end <= now:
            return str(_("ended"))
        return str(_("upcoming"))
