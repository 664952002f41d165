from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, NamedTuple, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from waffle import get_waffle_flag_model, get_waffle_switch_model

from maintenance_waffle import bypass, decision, describe, store
from maintenance_waffle.audit import changing, flag_description
from maintenance_waffle.conf import AREA_PREFIX, READ_ONLY, get_config
from maintenance_waffle.core import set_maintenance_mode, set_scope, settable
from maintenance_waffle.models import (
    Channel,
    Maintenance,
    MaintenanceChange,
    MaintenanceWindow,
)
from maintenance_waffle.state import Snapshot, state
from maintenance_waffle.store import Window, aware, current_time


def scopes() -> list[str]:
    """The scopes besides the whole site: read-only mode, then each configured area."""
    return list(get_config().scopes[1:])


def scope_in_words(scope: str) -> str:
    """E.g. "whole site", "read-only mode", "area checkout"."""
    if scope == "":
        return _("whole site")
    if scope == READ_ONLY:
        return _("read-only mode")
    return _("area %(area)s") % {"area": scope.removeprefix(AREA_PREFIX)}


def scope_choices() -> list[tuple[str, str]]:
    """What a window may be for: the whole site (""), read-only mode, each area."""
    return [("", _("whole site")), *((scope, scope_in_words(scope)) for scope in scopes())]


def window_status(obj: MaintenanceWindow) -> str:
    now = current_time()
    window = Window(start=aware(obj.start), end=aware(obj.end))
    if window.covers(now):
        return str(_("active"))
    if window.end is not None and window.end <= now:
        return str(_("ended"))
    return str(_("upcoming"))


#: The app's style sheet for its admin pages: readable tables, links told apart from text.
STYLE = "maintenance_waffle/admin.css"


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    class Media:
        css = {"all": [STYLE]}

    list_display = ("start", "end", "reason", "scope_in_words", "status")
    search_fields = ("reason",)
    date_hierarchy = "start"
    ordering = ("-start",)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "scope":
            # The scopes of this project's settings (the model cannot list them).
            return forms.ChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=scope_choices(),
                required=False,
                initial="",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=gettext_lazy("for"))
    def scope_in_words(self, obj: MaintenanceWindow) -> str:
        return scope_in_words(obj.scope)

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

    class Media:
        css = {"all": [STYLE]}

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


def time_zone_name() -> str:
    """The time zone the dashboard's times are shown and read in."""
    return timezone.get_current_timezone_name()


def upcoming(window: MaintenanceWindow, now: datetime) -> bool:
    """Whether ``window`` has not started at ``now`` (ending it cancels it)."""
    return window.start is not None and aware(window.start) > now


def duration_in_words(ttl: timedelta) -> str:
    """E.g. "2 hours" (localized)."""
    now = current_time()
    return timesince(now, now + ttl)


#: The bypass link's durations offered on the dashboard (any bypass.parse_ttl value works).
TTL_CHOICES = ("30m", "1h", "2h", "8h", "1d")
DEFAULT_TTL = "1h"
#: Where a new bypass link waits, in the session, for the dashboard that shows it once.
NEW_BYPASS_LINK = "maintenance_waffle.new_bypass_link"


# The dashboard's actions. Each has a form, checked when the operator first submits it
# (errors are shown at once, beside the values given) and again on confirming; its
# summary is what the confirmation page shows. Then ``perform`` changes the state and
# returns the message that says what it did (a ValueError or TypeError is the error).


class ActionForm(forms.Form):
    """An action without fields of its own."""

    #: Whether the dashboard shows this form's fields, and so its errors beside them;
    #: otherwise they are shown as messages.
    on_dashboard: ClassVar[bool] = False
    #: The ids of its fields, told apart from those of the dashboard's other forms.
    ids: ClassVar[str] = "id_%s"

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, auto_id=self.ids)

    def title(self, label: Promise) -> str:
        """The confirmation page's title."""
        return str(label)

    def summary(self) -> list[tuple[str, str]]:
        """What the action will do, as (label, value) pairs in words."""
        return []

    def focus(self) -> str | None:
        """The field to focus when the form is shown again with errors: the first wrong
        one (the first one for an error of the whole form)."""
        if not self.errors:
            return None
        return next((name for name in self.fields if name in self.errors), next(iter(self.fields)))

    def described_by(self) -> dict[str, str]:
        """For each field with errors, the ids of the lists of errors that describe it
        (the form's own errors describe the field that gets the focus)."""
        found = {name: f"{self[name].auto_id}_error" for name in self.fields if name in self.errors}
        if self.non_field_errors():
            focus = cast(str, self.focus())
            found[focus] = " ".join(filter(None, [found.get(focus), self.ids % "errors"]))
        return found


class ReasonForm(ActionForm):
    reason = forms.CharField(required=False, max_length=500)
    on_dashboard = True
    ids = "id_on_%s"

    def summary(self) -> list[tuple[str, str]]:
        reason = self.cleaned_data["reason"]
        return [(_("Reason shown to visitors"), reason)] if reason else []


class ScheduleForm(ReasonForm):
    start = forms.DateTimeField(required=False)
    end = forms.DateTimeField(required=False)
    #: "" (the whole site, by default), read-only mode or an area.
    scope = forms.ChoiceField(required=False)
    # Last: the form's own errors (about the start and end) focus the start.
    field_order = ("start", "end", "reason", "scope")
    ids = "id_window_%s"

    def __init__(self, data: Any = None) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["scope"]).choices = scope_choices()

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        if self.errors:
            return data
        start, end = aware(data["start"]), aware(data["end"])
        if start is None and end is None:
            raise ValidationError(_("Give a start, an end, or both."))
        # The API's rules (set_maintenance_mode checks them again), worded for a form.
        if start is not None and end is not None and start >= end:
            self.add_error("end", _("The end must come after the start."))
        elif end is not None and end <= current_time():
            self.add_error("end", _("The end must be in the future."))
        data["start"], data["end"] = start, end
        return data

    def summary(self) -> list[tuple[str, str]]:
        window = describe.window(self.cleaned_data["start"], self.cleaned_data["end"])
        found = [(_("When"), capfirst(window)), *super().summary()]
        if self.cleaned_data["scope"]:
            found.insert(0, (_("For"), capfirst(scope_in_words(self.cleaned_data["scope"]))))
        return found


class WindowForm(ActionForm):
    window = forms.CharField(required=False)

    def clean_window(self) -> MaintenanceWindow:
        try:
            pk = int(self.cleaned_data["window"])
        except ValueError:
            window = None
        else:
            pending = store.pending_windows(store.write_alias(), current_time())
            window = pending.filter(pk=pk).first()
        if window is None:
            raise ValidationError(_("This window no longer exists."))
        return cast(MaintenanceWindow, window)

    def title(self, label: Promise) -> str:
        if upcoming(self.cleaned_data["window"], current_time()):
            return _("Cancel this upcoming window")
        return str(label)

    def summary(self) -> list[tuple[str, str]]:
        window = self.cleaned_data["window"]
        found = [(_("Window"), capfirst(describe.window(window.start, window.end)))]
        if window.scope:
            found.insert(0, (_("For"), capfirst(scope_in_words(window.scope))))
        if window.reason:
            found.append((_("Reason shown to visitors"), window.reason))
        return found


class BypassForm(ActionForm):
    ttl = forms.CharField(required=False)
    on_dashboard = True

    def clean_ttl(self) -> timedelta:
        try:
            return bypass.parse_ttl(self.cleaned_data["ttl"] or DEFAULT_TTL)
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def summary(self) -> list[tuple[str, str]]:
        return [(_("Valid for"), duration_in_words(self.cleaned_data["ttl"]))]


class RevokeForm(ActionForm):
    def summary(self) -> list[tuple[str, str]]:
        count = store.bypass_keys_in_force(store.read_alias(), current_time()).count()
        return [(_("Links in force"), str(count))]


def scope_action(scope: str, *, on: bool) -> str:
    """The button, and the title of its confirmation, that turns ``scope`` on or off."""
    if scope == READ_ONLY:
        return _("Turn read-only mode on") if on else _("Turn read-only mode off")
    area = {"area": scope.removeprefix(AREA_PREFIX)}
    if on:
        return _("Put area %(area)s into maintenance") % area
    return _("End the maintenance of area %(area)s") % area


class ScopeForm(ActionForm):
    """Read-only mode's or an area's button: the scope it is for, as a hidden field."""

    scope = forms.CharField(required=False)

    def clean_scope(self) -> str:
        scope = str(self.cleaned_data["scope"])
        if scope not in scopes():
            raise ValidationError(_("Unknown maintenance scope."))
        return scope

    def title(self, label: Promise) -> str:
        return scope_action(self.cleaned_data["scope"], on=False)


class ScopeReasonForm(ScopeForm):
    reason = forms.CharField(required=False, max_length=500)

    def title(self, label: Promise) -> str:
        return scope_action(self.cleaned_data["scope"], on=True)

    def summary(self) -> list[tuple[str, str]]:
        reason = self.cleaned_data["reason"]
        return [(_("Reason shown to visitors"), reason)] if reason else []


def _scope_on(request: HttpRequest, data: dict[str, Any]) -> str:
    set_scope(data["scope"], True, reason=data["reason"], user=request.user)
    if data["scope"] == READ_ONLY:
        return _("Read-only mode is on.")
    return _("Area %(area)s is down for maintenance.") % {
        "area": data["scope"].removeprefix(AREA_PREFIX)
    }


def _scope_off(request: HttpRequest, data: dict[str, Any]) -> str:
    set_scope(data["scope"], False, user=request.user)
    if data["scope"] == READ_ONLY:
        return _("Read-only mode is off.")
    return _("The maintenance of area %(area)s is over.") % {
        "area": data["scope"].removeprefix(AREA_PREFIX)
    }


def _turn_on(request: HttpRequest, data: dict[str, Any]) -> str:
    set_maintenance_mode(True, reason=data["reason"], user=request.user)
    return _("Maintenance mode is on.")


def _turn_off(request: HttpRequest, data: dict[str, Any]) -> str:
    set_maintenance_mode(False, user=request.user)
    return _("Maintenance mode is off.")


def _schedule(request: HttpRequest, data: dict[str, Any]) -> str:
    # The API's rules: the window replaces the switch and every other window of its scope.
    set_scope(
        data["scope"], True, data["start"], data["end"], reason=data["reason"], user=request.user
    )
    return _("The window is scheduled.")


def _end_window(request: HttpRequest, data: dict[str, Any]) -> str:
    window = data["window"]
    cancelled = upcoming(window, current_time())  # store.end_window decides alike
    if not store.end_window(window.pk):
        raise ValueError(_("This window no longer exists."))
    return _("The window is cancelled.") if cancelled else _("The window is over.")


def _create_bypass_link(request: HttpRequest, data: dict[str, Any]) -> str:
    token, key = bypass.create_link(data["ttl"], Channel.DASHBOARD, request.user)
    # Shown once, by the dashboard the operator is sent back to; not in the message,
    # where it would wrap and could not be copied whole.
    request.session[NEW_BYPASS_LINK] = request.build_absolute_uri(
        reverse("maintenance_mode_bypass", args=[token])
    )
    return _("Secret bypass link created, valid until %(expires)s.") % {
        "expires": describe.moment(key.expires)
    }


def _revoke_bypass_links(request: HttpRequest, data: dict[str, Any]) -> str:
    count = bypass.revoke_all(Channel.DASHBOARD, request.user)
    return _("%(count)d bypass link(s) revoked.") % {"count": count}


class Action(NamedTuple):
    label: Promise
    perform: Callable[[HttpRequest, dict[str, Any]], str]
    form: type[ActionForm] = ActionForm
    #: Changes the site-wide state, which settings.MAINTENANCE_MODE may fix (unless it
    #: is given another scope).
    site_wide: bool = False


ACTIONS = {
    "on": Action(gettext_lazy("Turn maintenance on"), _turn_on, ReasonForm, site_wide=True),
    "off": Action(gettext_lazy("Turn maintenance off"), _turn_off, site_wide=True),
    "schedule": Action(
        gettext_lazy("Schedule a maintenance window"), _schedule, ScheduleForm, site_wide=True
    ),
    "scope_on": Action(gettext_lazy("Turn on"), _scope_on, ScopeReasonForm),
    "scope_off": Action(gettext_lazy("Turn off"), _scope_off, ScopeForm),
    "end_window": Action(gettext_lazy("End this window now"), _end_window, WindowForm),
    "bypass": Action(gettext_lazy("Create a secret bypass link"), _create_bypass_link, BypassForm),
    "revoke": Action(gettext_lazy("Revoke every bypass link"), _revoke_bypass_links, RevokeForm),
}

#: The dashboard's forms that show fields (their names in the template's context).
DASHBOARD_FORMS = {"on": "on_form", "schedule": "schedule_form", "bypass": "bypass_form"}


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
        return self._dashboard(request)

    def _dashboard(self, request: HttpRequest, name: str = "", form: Any = None) -> HttpResponse:
        """The dashboard; with the action ``name``'s ``form`` shown with its errors."""
        config = get_config()
        using = store.read_alias()
        now = current_time()
        snapshot = state.get(config)
        setting = config.override
        site_wide = decision.site_wide(snapshot, config, now)
        flags = store.flags(config.flag_names, using)
        forms_ = {"on": ReasonForm(), "schedule": ScheduleForm(), "bypass": BypassForm()}
        if form is not None:
            forms_[name] = form
        context = {
            **self.admin_site.each_context(request),
            "title": _("Maintenance"),
            "opts": self.model._meta,
            "site_wide": site_wide,
            "until": describe.until(decision.ends_at(snapshot, config, now))
            if site_wide and config.override is None
            else "",
            "setting": setting,
            "switch": store.switch(config.switch_name, using),
            "reason": store.reason(config.switch_name, using),
            "flag": flags.get(config.flag_name),
            "exempt": flags.get(config.exempt_flag_name or ""),
            "flag_description": flag_description(flags.get(config.flag_name)),
            "exempt_description": flag_description(flags.get(config.exempt_flag_name or "")),
            "config": config,
            "scopes": _scope_rows(snapshot, using, now),
            # The whole site is not for the dashboard to schedule while the setting fixes it.
            "scope_choices": [
                (value, label) for value, label in scope_choices() if value or setting is None
            ],
            "windows": [
                {
                    "window": window,
                    "status": window_status(window),
                    "upcoming": upcoming(window, now),
                    "scope": scope_in_words(window.scope),
                }
                for window in store.pending_windows(using, now)
            ],
            "time_zone": time_zone_name(),
            "changes": store.last_changes(using, 10),
            "bypass_keys": store.bypass_keys_in_force(using, now),
            "new_bypass_link": request.session.pop(NEW_BYPASS_LINK, None),
            "ttl_choices": [(ttl, duration_in_words(bypass.parse_ttl(ttl))) for ttl in TTL_CHOICES],
            "can_change": self.has_change_permission(request),
            "settings_exemptions": _settings_exemptions(),
            **{DASHBOARD_FORMS[key]: value for key, value in forms_.items()},
        }
        return TemplateResponse(request, "admin/maintenance_waffle/dashboard.html", context)

    def _act(self, request: HttpRequest) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        name = request.POST.get("action", "")
        action = ACTIONS.get(name)
        if action is None:
            messages.error(request, _("Unknown action."))
            return HttpResponseRedirect(request.path)
        # A window of read-only mode or an area (the schedule form's scope) is not locked.
        scoped = "scope" in action.form.base_fields and request.POST.get("scope")
        if action.site_wide and not scoped and not settable():
            messages.error(request, _("Maintenance mode is set by settings.MAINTENANCE_MODE."))
            return HttpResponseRedirect(request.path)
        form = action.form(request.POST)
        if not form.is_valid():
            return self._invalid(request, name, form)
        if request.POST.get("confirm") != "yes":
            return self._confirmation(request, name, action, form)
        try:
            with changing(Channel.DASHBOARD, user=request.user):
                messages.success(request, action.perform(request, form.cleaned_data))
        except (TypeError, ValueError) as error:
            form.add_error(None, str(error))
            return self._invalid(request, name, form)
        return HttpResponseRedirect(request.path)

    def _invalid(self, request: HttpRequest, name: str, form: ActionForm) -> HttpResponse:
        """The dashboard again, with the form's errors beside the values given; or, for
        a form the dashboard does not show (a window's button), the errors as messages."""
        if form.on_dashboard:
            return self._dashboard(request, name, form)
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(request.path)

    def _confirmation(
        self, request: HttpRequest, name: str, action: Action, form: ActionForm
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": form.title(action.label),
            "opts": self.model._meta,
            "action": name,
            "summary": form.summary(),
            # As posted, to be checked again on confirming.
            "fields": {field: form.data.get(field, "") for field in form.fields},
        }
        return TemplateResponse(request, "admin/maintenance_waffle/confirm_action.html", context)


def _scope_rows(snapshot: Snapshot, using: str, now: datetime) -> list[dict[str, Any]]:
    """Read-only mode and each area: on or off, until when, why, the switch."""
    config = get_config()
    rows = []
    for scope in scopes():
        area = scope.removeprefix(AREA_PREFIX)
        switch_name = config.scope_switch_name(scope)
        on = decision.in_force(snapshot, config, scope, now)
        if scope == READ_ONLY:
            state_ = _("Read-only mode is on.") if on else _("Read-only mode is off.")
        else:
            state_ = (
                _("Area %(area)s is down for maintenance.")
                if on
                else _("Area %(area)s is not in maintenance.")
            ) % {"area": area}
        until = reason = ""
        if on:
            until = describe.until(decision.scope_ends_at(snapshot, config, scope, now))
            reason = decision.reason_in_force(snapshot, config, scope, now)
        rows.append(
            {
                "scope": scope,
                "label": scope_in_words(scope),
                "id": scope.replace(":", "-"),
                "on": on,
                "state": state_,
                "until": until,
                "reason": reason,
                "switch_name": switch_name,
                "switch": store.switch(switch_name, using),
                "action": scope_action(scope, on=not on),
            }
        )
    return rows


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
