from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maintenance_waffle import describe


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
    #: What the window puts in maintenance: "" the whole site, "read-only" read-only
    #: mode, "area:<name>" one area (MAINTENANCE_WAFFLE_AREAS).
    scope = models.CharField(
        _("scope"),
        max_length=60,
        blank=True,
        default="",
        help_text=_('Empty: the whole site; "read-only"; or "area:" and an area\'s name.'),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    # Set once, by whichever process first sees the window start or end, so that the
    # audit trail records each transition exactly once.
    start_recorded = models.BooleanField(default=False, editable=False)
    end_recorded = models.BooleanField(default=False, editable=False)

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
        return describe.window(self.start, self.end)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and (self.start is None or self.start <= timezone.now()):
            # Starting at once: the record of its creation says so.
            self.start_recorded = True
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from maintenance_waffle.conf import get_config

        scopes = get_config().scopes
        if self.scope not in scopes:
            raise ValidationError(
                {
                    "scope": _("Not a scope of maintenance here: use one of %(scopes)s.")
                    % {"scopes": ", ".join(repr(scope) for scope in scopes)}
                }
            )
        if self.start is None and self.end is None:
            raise ValidationError(_("Give a start, an end, or both."))
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError({"end": _("The end must come after the start.")})


class Maintenance(MaintenanceWindow):
    """The admin's "Maintenance" page: a dashboard rather than a list of rows."""

    class Meta:
        proxy = True
        verbose_name = _("maintenance")
        verbose_name_plural = _("maintenance")


class Channel:
    """Through what a change was made."""

    COMMAND = "command"
    API = "api"
    DASHBOARD = "dashboard"
    URL = "url"
    WAFFLE_ADMIN = "waffle-admin"
    WAFFLE_COMMAND = "waffle-command"
    SCHEDULE = "schedule"
    OTHER = "other"
    CHOICES = (
        (COMMAND, _("manage.py maintenance_mode")),
        (API, _("Python API")),
        (DASHBOARD, _("admin dashboard")),
        (URL, _("on/off URL")),
        (WAFFLE_ADMIN, _("waffle admin")),
        (WAFFLE_COMMAND, _("waffle command")),
        (SCHEDULE, _("schedule")),
        (OTHER, _("other")),
    )


class MaintenanceChange(models.Model):
    """One change of the maintenance state: the audit trail."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.CharField(_("who"), max_length=150, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.CHOICES)
    subject = models.CharField(_("what"), max_length=200)
    old = models.CharField(_("before"), max_length=500, blank=True)
    new = models.CharField(_("after"), max_length=500, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("maintenance change")
        verbose_name_plural = _("maintenance changes")

    def __str__(self) -> str:
        return f"{self.subject}: {self.old} → {self.new}"


class BypassKey(models.Model):
    """A key behind secret bypass links; revoking it invalidates its links and cookies."""

    created = models.DateTimeField(_("created"), auto_now_add=True)
    expires = models.DateTimeField(_("expires"))
    revoked = models.BooleanField(_("revoked"), default=False)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)

    class Meta:
        ordering = ("-created",)
        verbose_name = _("bypass key")
        verbose_name_plural = _("bypass keys")

    def __str__(self) -> str:
        return f"#{self.pk} until {self.expires.isoformat()}"


class MaintenanceReason(models.Model):
    """Why maintenance is on, for one period of maintenance of one scope.

    ``scope`` is the name of the switch that turns it on (the site-wide switch by
    default). The reason is set with the maintenance (``--reason``, the dashboard, the
    on/off URL, the API) and deleted when the switch is turned off, however it is turned
    off, so turning it on again without a reason shows the default sentence. waffle's
    Switch *Note* is waffle's and is never shown to visitors.
    """

    scope = models.CharField(_("scope"), max_length=100, unique=True)
    text = models.TextField(_("reason"), blank=True)
    since = models.DateTimeField(_("since"), auto_now=True)

    class Meta:
        verbose_name = _("maintenance reason")
        verbose_name_plural = _("maintenance reasons")

    def __str__(self) -> str:
        return self.text


class ChangeStamp(models.Model):
    """One row whose ``value`` moves with every change of the maintenance data, in the
    same transaction: a refresh reads it alone, and reads everything only when it moved."""

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("change stamp")
        verbose_name_plural = _("change stamps")

    def __str__(self) -> str:
        return str(self.value)
