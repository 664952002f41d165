from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from waffle import get_waffle_flag_model, get_waffle_switch_model

from maintenance_waffle import bypass, describe, store
from maintenance_waffle.audit import changing
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode, settable
from maintenance_waffle.models import (
    Channel,
    Maintenance,
    MaintenanceChange,
    MaintenanceWindow,
)
from maintenance_waffle.store import Window, aware, current_time


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


# The dashboard's actions: each takes the request, changes the state and returns the
# message that says what it did (a ValueError or TypeError is shown as the error).


def _turn_on(request: HttpRequest) -> str:
    reason = request.POST.get("reason", "").strip()
    set_maintenance_mode(True, reason=reason, user=request.user)
    return _("Maintenance mode is on.")


def _turn_off(request: HttpRequest) -> str:
    set_maintenance_mode(False, user=request.user)
    return _("Maintenance mode is off.")


def _schedule(request: HttpRequest) -> str:
    start = request.POST.get("start") or None
    end = request.POST.get("end") or None
    if start is None and end is None:
        raise ValueError(_("Give a start, an end, or both."))
    reason = request.POST.get("reason", "").strip()
    # The API's rules: the window replaces the switch and every other window.
    set_maintenance_mode(True, start, end, reason=reason, user=request.user)
    return _("The window is scheduled.")


def _end_window(request: HttpRequest) -> str:
    if not store.end_window(request.POST.get("window") or 0):
        raise ValueError(_("This window no longer exists."))
    return _("The window is over.")


def _create_bypass_link(request: HttpRequest) -> str:
    ttl = bypass.parse_ttl(request.POST.get("ttl") or "1h")
    token, key = bypass.create_link(ttl, Channel.DASHBOARD, request.user)
    url = request.build_absolute_uri(reverse("maintenance_mode_bypass", args=[token]))
    return _("Secret bypass link, valid until %(expires)s: %(url)s") % {
        "expires": key.expires.isoformat(timespec="minutes"),
        "url": url,
    }


def _revoke_bypass_links(request: HttpRequest) -> str:
    count = bypass.revoke_all(Channel.DASHBOARD, request.user)
    return _("%(count)d bypass link(s) revoked.") % {"count": count}


class Action(NamedTuple):
    label: Promise
    perform: Callable[[HttpRequest], str]
    #: Changes the site-wide state, which settings.MAINTENANCE_MODE may fix.
    site_wide: bool = False


ACTIONS = {
    "on": Action(gettext_lazy("Turn maintenance on"), _turn_on, site_wide=True),
    "off": Action(gettext_lazy("Turn maintenance off"), _turn_off, site_wide=True),
    "schedule": Action(gettext_lazy("Schedule a maintenance window"), _schedule, site_wide=True),
    "end_window": Action(gettext_lazy("End this window now"), _end_window),
    "bypass": Action(gettext_lazy("Create a secret bypass link"), _create_bypass_link),
    "revoke": Action(gettext_lazy("Revoke every bypass link"), _revoke_bypass_links),
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
        using = store.read_alias()
        now = current_time()
        flags = store.flags(config.flag_names, using)
        return {
            **self.admin_site.each_context(request),
            "title": _("Maintenance"),
            "opts": self.model._meta,
            "site_wide": get_maintenance_mode(),
            "setting": config.override,
            "switch": store.switch(config.switch_name, using),
            "reason": store.reason(config.switch_name, using),
            "flag": flags.get(config.flag_name),
            "exempt": flags.get(config.exempt_flag_name or ""),
            "flag_description": _description(flags.get(config.flag_name)),
            "exempt_description": _description(flags.get(config.exempt_flag_name or "")),
            "config": config,
            "windows": [
                (window, window_status(window)) for window in store.pending_windows(using, now)
            ],
            "changes": store.last_changes(using, 10),
            "bypass_keys": store.bypass_keys_in_force(using, now),
            "can_change": self.has_change_permission(request),
            "settings_exemptions": _settings_exemptions(),
        }

    def _act(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, _("Unknown action."))
            return HttpResponseRedirect(request.path)
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": action.label,
                "opts": self.model._meta,
                "action": request.POST["action"],
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
            if action.site_wide and not settable():
                raise ValueError(_("Maintenance mode is set by settings.MAINTENANCE_MODE."))
            with changing(Channel.DASHBOARD, user=request.user):
                messages.success(request, action.perform(request))
        except (TypeError, ValueError) as error:
            messages.error(request, str(error))
        return HttpResponseRedirect(request.path)


def _description(flag: Any) -> str:
    # The flag comes with its users and groups prefetched.
    if flag is None:
        return describe.flag(None)
    return describe.flag(
        store.rule_of(flag),
        groups=[group.name for group in flag.groups.all()],
        users=[user.get_username() for user in flag.users.all()],
    )


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


def replace_waffle_admins(site: admin.AdminSite) -> None:
    """Put ours in place of waffle's Switch and Flag admins, unless the project has
    taken those off ``site`` (called by ``AppConfig.ready`` when waffle is installed:
    importing waffle's admin without it would stop ``manage.py check`` from saying so,
    check E001)."""
    import waffle.admin as waffle_admin

    for model, base in (
        (get_waffle_switch_model(), waffle_admin.SwitchAdmin),
        (get_waffle_flag_model(), waffle_admin.FlagAdmin),
    ):
        if site.is_registered(model):
            site.unregister(model)
            site.register(model, _waffle_admin(base))


__all__ = ["MaintenanceAdmin", "MaintenanceChangeAdmin", "MaintenanceWindowAdmin"]
