from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from waffle import get_waffle_flag_model, get_waffle_switch_model

from maintenance_waffle import bypass
from maintenance_waffle.audit import changing
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode, settable
from maintenance_waffle.models import (
    BypassKey,
    Channel,
    Maintenance,
    MaintenanceChange,
    MaintenanceWindow,
)
from maintenance_waffle.state import Window, aware, current_time, for_database
from maintenance_waffle.utils import parse_aware_datetime


def window_status(obj: MaintenanceWindow) -> str:
    now = current_time()
    window = Window(start=aware(obj.start), end=aware(obj.end))
    if window.covers(now):
        return str(_("active"))
    if window.end is not None and window.end <= now:
        return str(_("ended"))
    return str(_("upcoming"))


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("start", "end", "reason", "status")
    search_fields = ("reason",)
    date_hierarchy = "start"
    ordering = ("-start",)

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj: MaintenanceWindow) -> str:
        return window_status(obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with changing(Channel.DASHBOARD, user=request.user):
            super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with changing(Channel.DASHBOARD, user=request.user):
            super().delete_model(request, obj)


@admin.register(MaintenanceChange)
class MaintenanceChangeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The audit trail, read-only."""

    list_display = ("at", "actor", "channel", "subject", "old", "new", "reason")
    list_filter = ("channel", "at")
    search_fields = ("actor", "subject", "reason")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


ACTIONS = {
    "on": gettext_lazy("Turn maintenance on"),
    "off": gettext_lazy("Turn maintenance off"),
    "schedule": gettext_lazy("Schedule a maintenance window"),
    "end_window": gettext_lazy("End this window now"),
    "bypass": gettext_lazy("Create a secret bypass link"),
    "revoke": gettext_lazy("Revoke every bypass link"),
}


@admin.register(Maintenance)
class MaintenanceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The "Maintenance" page: what is on, for whom, until when, who changed it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._act(request)
        return TemplateResponse(
            request, "admin/maintenance_waffle/dashboard.html", self._context(request)
        )

    def _context(self, request: HttpRequest) -> dict[str, Any]:
        config = get_config()
        # timezone.now(): naive with USE_TZ = False, as the database then expects.
        now = timezone.now()
        flag_model = get_waffle_flag_model()
        switch = get_waffle_switch_model()._default_manager.filter(name=config.switch_name).first()
        flags = {
            flag.name: flag
            for flag in flag_model._default_manager.filter(
                name__in=(config.flag_name, config.exempt_flag_name)
            ).prefetch_related("groups", "users")
        }
        windows = [
            (window, window_status(window))
            for window in MaintenanceWindow.objects.filter(
                Q(end__isnull=True) | Q(end__gt=now)
            ).order_by("start")
        ]
        return {
            **self.admin_site.each_context(request),
            "title": _("Maintenance"),
            "opts": self.model._meta,
            "site_wide": get_maintenance_mode(),
            "setting": config.override,
            "switch": switch,
            "flag": flags.get(config.flag_name),
            "exempt": flags.get(config.exempt_flag_name),
            "config": config,
            "windows": windows,
            "changes": MaintenanceChange.objects.all()[:10],
            "bypass_keys": BypassKey.objects.filter(revoked=False, expires__gt=now),
            "can_change": self.has_change_permission(request),
            "settings_exemptions": _settings_exemptions(),
            "actions": ACTIONS,
        }

    def _act(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("Unknown action."))
            return HttpResponseRedirect(request.path)
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": ACTIONS[action],
                "opts": self.model._meta,
                "action": action,
                "fields": {
                    name: value
                    for name, value in request.POST.items()
                    if name not in ("csrfmiddlewaretoken", "action", "confirm")
                },
            }
            return TemplateResponse(
                request, "admin/maintenance_waffle/confirm_action.html", context
            )
        try:
            with changing(Channel.DASHBOARD, user=request.user):
                self._perform(request, action)
        except (TypeError, ValueError) as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(request.path)

    def _perform(self, request: HttpRequest, action: str) -> None:
        post = request.POST
        reason = post.get("reason", "").strip()
        if action in ("on", "off", "schedule") and not settable():
            raise ValueError(_("Maintenance mode is set by settings.MAINTENANCE_MODE."))
        if action == "on":
            set_maintenance_mode(True, reason=reason, user=request.user)
            messages.success(request, _("Maintenance mode is on."))
        elif action == "off":
            set_maintenance_mode(False, user=request.user)
            messages.success(request, _("Maintenance mode is off."))
        elif action == "schedule":
            start = parse_aware_datetime(post.get("start") or None)
            end = parse_aware_datetime(post.get("end") or None)
            window = MaintenanceWindow(
                start=for_database(start), end=for_database(end), reason=reason
            )
            if end is not None and end <= current_time():
                raise ValueError(_("The end must be in the future."))
            try:
                window.clean()  # a start or an end, the start before the end
            except ValidationError as error:
                raise ValueError(error.messages[0]) from error
            window.save()
            messages.success(request, _("The window is scheduled."))
        elif action == "end_window":
            window = MaintenanceWindow.objects.filter(pk=post.get("window") or 0).first()
            if window is None:
                raise ValueError(_("This window no longer exists."))
            now = timezone.now()  # comparable with, and storable as, the window's times
            if window.start is not None and window.start > now:
                window.delete()  # not started yet: cancel it
            else:
                window.end = now
                # This change's own record says the window ended; the schedule must not
                # record its end a second time.
                window.end_recorded = True
                window.save()
            messages.success(request, _("The window is over."))
        elif action == "bypass":
            ttl = bypass.parse_ttl(post.get("ttl") or "1h")
            token, key = bypass.create_link(ttl, Channel.DASHBOARD, request.user)
            url = request.build_absolute_uri(reverse("maintenance_mode_bypass", args=[token]))
            messages.success(
                request,
                _("Secret bypass link, valid until %(expires)s: %(url)s")
                % {"expires": key.expires.isoformat(timespec="minutes"), "url": url},
            )
        else:  # revoke
            count = bypass.revoke_all(Channel.DASHBOARD, request.user)
            messages.success(request, _("%(count)d bypass link(s) revoked.") % {"count": count})


def _settings_exemptions() -> list[str]:
    """The exemptions that come from settings rather than the exempt flag."""
    config = get_config()
    found = []
    for name, on in (
        ("MAINTENANCE_MODE_IGNORE_ADMIN_SITE", config.ignore_admin_site),
        ("MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER", config.ignore_anonymous_user),
        ("MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER", config.ignore_authenticated_user),
        ("MAINTENANCE_MODE_IGNORE_STAFF", config.ignore_staff),
        ("MAINTENANCE_MODE_IGNORE_SUPERUSER", config.ignore_superuser),
        ("MAINTENANCE_MODE_IGNORE_TESTS", config.ignore_tests),
    ):
        if on:
            found.append(name)
    if config.ignore_url_patterns:
        patterns = ", ".join(pattern.pattern for pattern in config.ignore_url_patterns)
        found.append(f"MAINTENANCE_MODE_IGNORE_URLS: {patterns}")
    if config.ignore_ip_networks or config.ignore_ip_patterns:
        entries = [str(network) for network in config.ignore_ip_networks]
        entries += [pattern.pattern for pattern in config.ignore_ip_patterns]
        found.append(f"MAINTENANCE_MODE_IGNORE_IP_ADDRESSES: {', '.join(entries)}")
    return found


# waffle's own admin pages for the switch and flags: attribute their changes in the
# audit trail and point to the dashboard.
import waffle.admin as waffle_admin  # noqa: E402 - registers waffle's admin first


def _waffle_admin(base: Any) -> Any:
    class WaffleAdmin(base):  # type: ignore[misc]
        change_form_template = "admin/maintenance_waffle/waffle_change_form.html"
        change_list_template = "admin/maintenance_waffle/waffle_change_list.html"

        def get_actions(self, request: HttpRequest, action_location: Any = None) -> Any:
            # waffle's override predates Django 6.1's action_location (a deprecation
            # warning there); do what it does: no bulk delete, which skips its flush.
            where = {} if action_location is None else {"action_location": action_location}
            actions = admin.ModelAdmin.get_actions(self, request, **where)
            actions.pop("delete_selected", None)
            return actions

        def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            with changing(Channel.WAFFLE_ADMIN, user=request.user):
                return super().changeform_view(request, *args, **kwargs)

        def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            with changing(Channel.WAFFLE_ADMIN, user=request.user):
                return super().changelist_view(request, *args, **kwargs)

        def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            with changing(Channel.WAFFLE_ADMIN, user=request.user):
                return super().delete_view(request, *args, **kwargs)

    WaffleAdmin.__name__ = WaffleAdmin.__qualname__ = base.__name__
    return WaffleAdmin


def _replace_waffle_admins(site: admin.AdminSite) -> None:
    """Put ours in place of waffle's Switch and Flag admins, unless the project has
    taken those off ``site``."""
    for model, base in (
        (get_waffle_switch_model(), waffle_admin.SwitchAdmin),
        (get_waffle_flag_model(), waffle_admin.FlagAdmin),
    ):
        if site.is_registered(model):
            site.unregister(model)
            site.register(model, _waffle_admin(base))


_replace_waffle_admins(admin.site)

__all__ = ["MaintenanceAdmin", "MaintenanceChangeAdmin", "MaintenanceWindowAdmin"]
