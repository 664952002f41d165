from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class MaintenanceWindow(models.Model):
    """A scheduled maintenance window: the site is in maintenance from start to end.

    No start means "from now", no end means "until turned off". The window switches
    maintenance on and off by itself, with no cron job and no restart.
    """

    start = models.DateTimeField(
        _("start"), null=True, blank=True, help_text=_("Empty: starts at once.")
    )
    end = models.DateTimeField(
        _("end"), null=True, blank=True, help_text=_("Empty: lasts until turned off.")
    )
    reason = models.TextField(
        _("reason"), blank=True, help_text=_("Shown to visitors on the maintenance page.")
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("start", "end")
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints = (
            models.CheckConstraint(
                condition=Q(start__isnull=False) | Q(end__isnull=False),
                name="maintenance_window_start_or_end",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(end__isnull=True) | Q(start__lt=F("end")),
                name="maintenance_window_start_before_end",
            ),
        )

    def __str__(self) -> str:
        start = self.start.isoformat() if self.start else _("now")
        end = self.end.isoformat() if self.end else _("until turned off")
        return f"{start} → {end}"

    def clean(self) -> None:
        if self.start is None and self.end is None:
            raise ValidationError(_("Give a start, an end, or both."))
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError({"end": _("The end must come after the start.")})
