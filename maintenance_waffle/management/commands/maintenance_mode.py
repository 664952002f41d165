from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from maintenance_waffle import deploy, describe, store
from maintenance_waffle.audit import changing
from maintenance_waffle.bypass import create_link, parse_ttl, revoke_all
from maintenance_waffle.conf import AREA_PREFIX, READ_ONLY, Config, area_scope, get_config
from maintenance_waffle.core import check_area, set_scope
from maintenance_waffle.decision import (
    areas_in_force,
    ends_at,
    given_reason,
    held,
    in_force,
    read_only_in_force,
    reason_in_force,
    scope_window,
    site_wide,
)
from maintenance_waffle.models import Channel
from maintenance_waffle.state import FlagRule, Snapshot, Window, aware, current_time, load

ON = ("on", "yes", "true", "1")
OFF = ("off", "no", "false", "0")
#: States that change nothing but write the page or the nginx snippet for deploys.
DEPLOY = ("render", "nginx")
#: Options of the other states, which mean nothing with 'render' or 'nginx'.
NOT_FOR_DEPLOY = ("interactive", "json", "bypass_ttl", "revoke_bypass", "base_url")


def _flag_json(rule: FlagRule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {
        "name": rule.name,
        "everyone": rule.everyone,
        "percent": rule.percent,
        "superusers": rule.superusers,
        "staff": rule.staff,
        "authenticated": rule.authenticated,
        "languages": sorted(rule.languages),
        "users": sorted(rule.user_ids),
        "groups": sorted(rule.group_ids),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat()


def _window_json(window: Window | None) -> dict[str, str | None] | None:
    if window is None:
        return None
    return {"start": _iso(window.start), "end": _iso(window.end)}


def _label(scope: str) -> str:
    """How a scope's state line starts: "maintenance mode", "read-only mode",
    "area checkout"."""
    if scope == "":
        return "maintenance mode"
    if scope == READ_ONLY:
        return "read-only mode"
    return f"area {scope.removeprefix(AREA_PREFIX)}"


def _scope_windows(snapshot: Snapshot, scope: str) -> tuple[Window, ...]:
    return tuple(window for window in snapshot.windows if window.scope == scope)


def _state_line(config: Config, snapshot: Snapshot, scope: str = "") -> str:
    """``maintenance mode: on``, as django-maintenance-mode prints it, then in words until
    when and the next window scheduled, e.g. ``maintenance mode: on (until turned off;
    scheduled from 2026-12-05 10:00 to 12:00 UTC)``; for read-only mode or an area the
    same after ``read-only mode:`` or ``area checkout:``."""
    now = current_time()
    line = f"{_label(scope)}: {'on' if in_force(snapshot, config, scope, now) else 'off'}"
    if scope == "" and config.override is not None:
        return line  # settings.MAINTENANCE_MODE decides: no window applies
    details = []
    upcoming = next(
        (
            window
            for window in _scope_windows(snapshot, scope)
            if window.start and window.start > now
        ),
        None,
    )
    holding = scope_window(snapshot, config, scope, now)
    if holding is not None:
        details.append(describe.until(holding.end))
    elif held(snapshot, scope) and (
        upcoming is not None or snapshot.window_at(now, scope) is not None
    ):
        # The switch holds it on: no window's end ends it.
        details.append(describe.until(None))
    if upcoming is not None:
        details.append(f"scheduled {describe.window(upcoming.start, upcoming.end)}")
    return line + (f" ({'; '.join(details)})" if details else "")


def _shown_scopes(config: Config, snapshot: Snapshot) -> tuple[str, ...]:
    """The scopes ``status`` lists after the site-wide line: read-only mode and every
    area, once the project has areas or uses read-only mode or an area; until then
    ``status`` prints django-maintenance-mode's one line."""
    if not (config.areas or snapshot.scoped):
        return ()
    return config.scopes[1:]


def _bypass_path() -> str:
    """The path of bypass links, up to the token."""
    try:
        path = reverse("maintenance_mode_bypass", args=["-"])
    except NoReverseMatch as error:
        raise CommandError(
            "Bypass links need the on/off URLs: include('maintenance_waffle.urls')."
        ) from error
    return path.removesuffix("-/")


def _create_link(ttl: timedelta, path: str, base_url: str) -> dict[str, str]:
    token, key = create_link(ttl, Channel.COMMAND)
    return {"url": base_url.rstrip("/") + path + token + "/", "expires": key.expires.isoformat()}


class Command(BaseCommand):
    help = (
        "Turn maintenance mode (or, with --read-only or --area, read-only mode or one "
        "area) on or off, or show its status: python manage.py maintenance_mode <on|off|status>; "
        "for deploys, write the maintenance page as a static file (render --output PATH) or "
        "print an nginx snippet serving it (nginx --page PATH)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "state",
            help="on (yes, true, 1), off (no, false, 0), status, render (the page as a static "
            "file) or nginx (a snippet serving it)",
        )
        parser.add_argument(
            "--start", help="with 'on': when maintenance starts (ISO 8601; default: now)"
        )
        parser.add_argument("--end", help="with 'on': when maintenance ends by itself (ISO 8601)")
        parser.add_argument(
            "--reason",
            help="with 'on': why, shown to visitors on the maintenance page; with 'render': "
            "the reason the page gives (default: the current one)",
        )
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument(
            "--area",
            metavar="NAME",
            help="with 'on' or 'off': only this area of settings.MAINTENANCE_WAFFLE_AREAS",
        )
        scope.add_argument(
            "--read-only",
            action="store_true",
            help="with 'on' or 'off': read-only mode (unsafe requests get the maintenance page)",
        )
        parser.add_argument(
            "--interactive",
            action="store_true",
            help="ask for confirmation before changing the state",
        )
        parser.add_argument("--json", action="store_true", help="print the resulting state as JSON")
        parser.add_argument(
            "--bypass-ttl",
            metavar="DURATION",
            help="also print a secret bypass link valid this long (e.g. 30m, 2h, 1d)",
        )
        parser.add_argument(
            "--revoke-bypass",
            action="store_true",
            help="revoke every secret bypass link and cookie",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="the site's address, to print bypass links in full (e.g. https://example.com)",
        )
        parser.add_argument(
            "--output",
            metavar="PATH",
            help="with 'render': the file to write the page to (replaced atomically; - for "
            "standard output)",
        )
        parser.add_argument(
            "--language",
            metavar="CODE",
            help="with 'render': the page's language, one of settings.LANGUAGES "
            "(default: settings.LANGUAGE_CODE)",
        )
        parser.add_argument(
            "--page", metavar="PATH", help="with 'nginx': the page written by 'render'"
        )
        parser.add_argument(
            "--flag-file",
            metavar="PATH",
            help="with 'nginx': while this file exists, nginx answers every request with the "
            f"page (default: {deploy.FLAG_FILE} next to the page)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        state = options["state"].strip().lower()
        if state not in ON + OFF + ("status",) + DEPLOY:
            raise CommandError(f"Invalid argument: '{options['state']}' expected <on|off|status>")
        if options["reason"] is not None and state not in (*ON, "render"):
            raise CommandError("--reason can only be used with 'on' state")
        if (options["start"] is not None or options["end"] is not None) and state not in ON:
            raise CommandError("--start / --end options can only be used with 'on' state")
        if (options["area"] is not None or options["read_only"]) and state not in ON + OFF:
            raise CommandError("--area / --read-only can only be used with 'on' or 'off' state")
        self._check_deploy_options(state, options)
        config = get_config()
        self.verbosity = options["verbosity"]
        if state == "render":
            self._render(config, options)
            return
        if state == "nginx":
            try:
                snippet = deploy.nginx_config(
                    options["page"], options["flag_file"], config.retry_after
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(snippet, ending="")
            return
        scope = self._scope(config, options)
        ttl = None
        bypass_path = ""
        if options["bypass_ttl"] is not None:
            try:
                ttl = parse_ttl(options["bypass_ttl"])
            except ValueError as error:
                raise CommandError(str(error)) from error
            # Before changing anything: an error must leave the state as it was.
            bypass_path = _bypass_path()
        snapshot = self._read(config)
        link = None
        with changing(Channel.COMMAND, reason=options["reason"]):
            if state in ON + OFF and self._change(config, snapshot, scope, state in ON, options):
                snapshot = self._read(config)
                if self.verbosity >= 1 and not options["json"]:
                    self.stdout.write(_state_line(config, snapshot, scope))
            if options["revoke_bypass"]:
                count = revoke_all(Channel.COMMAND)
                if self.verbosity >= 1 and not options["json"]:
                    self.stdout.write(f"bypass links revoked: {count}")
            if ttl is not None:
                link = _create_link(ttl, bypass_path, options["base_url"])
                if not options["json"]:
                    # Printed at every verbosity: it is what was asked for.
                    self.stdout.write(f"bypass link (valid until {link['expires']}): {link['url']}")
        if options["revoke_bypass"] or link is not None:
            snapshot = self._read(config)  # with the links now in force
        if options["json"]:
            result = self._as_json(config, snapshot)
            if link is not None:
                result["bypass_link"] = link
            self.stdout.write(json.dumps(result))
        elif state == "status":
            self._print_status(config, snapshot)

    def _check_deploy_options(self, state: str, options: dict[str, Any]) -> None:
        """Each of 'render' and 'nginx' has its options, and neither takes the others'."""
        if state != "render" and (options["output"], options["language"]) != (None, None):
            raise CommandError("--output / --language can only be used with 'render' state")
        if state == "render" and options["output"] is None:
            raise CommandError("'render' needs --output PATH")
        if state != "nginx" and (options["page"], options["flag_file"]) != (None, None):
            raise CommandError("--page / --flag-file can only be used with 'nginx' state")
        if state == "nginx" and options["page"] is None:
            raise CommandError("'nginx' needs --page PATH")
        if state in DEPLOY and any(options[name] for name in NOT_FOR_DEPLOY):
            raise CommandError(
                "--interactive / --json / --bypass-ttl / --revoke-bypass / --base-url cannot "
                "be used with 'render' or 'nginx' state"
            )

    def _render(self, config: Config, options: dict[str, Any]) -> None:
        """Write the maintenance page, in its current state, as a static file."""
        try:
            language = deploy.check_language(options["language"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        reason, end = deploy.current(self._read(config), config)
        if options["reason"] is not None:
            reason = options["reason"]
        page = deploy.render_page(language, reason, end, config.retry_after)
        if options["output"] == "-":
            self.stdout.write(page, ending="")
            return
        path = Path(options["output"])
        try:
            deploy.write_atomically(path, page)
        except OSError as error:
            raise CommandError(
                f"Unable to write the maintenance page to {path}: {error.strerror}"
            ) from error
        if self.verbosity >= 1:
            self.stdout.write(f"maintenance page written to {path}")

    def _scope(self, config: Config, options: dict[str, Any]) -> str:
        """The scope ``on``/``off`` change: "" (site-wide), read-only mode or an area."""
        if options["read_only"]:
            return READ_ONLY
        area = options["area"]
        if area is None:
            return ""
        try:
            check_area(config, area)  # before changing anything
        except ValueError as error:
            raise CommandError(str(error)) from error
        return area_scope(area)

    def _read(self, config: Config) -> Snapshot:
        try:
            return load(config)
        except DatabaseError as error:
            raise CommandError(f"Unable to read the maintenance state: {error}") from error

    def _change(
        self,
        config: Config,
        snapshot: Snapshot,
        scope: str,
        value: bool,
        options: dict[str, Any],
    ) -> bool:
        """Set the state of ``scope`` unless it already is so; True when something was
        written."""
        word = "on" if value else "off"
        label = _label(scope)
        scheduling = options["start"] is not None or options["end"] is not None
        same_reason = options["reason"] is None or options["reason"] == given_reason(
            snapshot, config, scope
        )
        unchanged = in_force(snapshot, config, scope) == value and not _scope_windows(
            snapshot, scope
        )
        if unchanged and not scheduling and same_reason:
            if self.verbosity >= 3 and not options["json"]:
                self.stdout.write(f"{label} is already {word}")
            elif self.verbosity >= 1 and not options["json"]:
                self.stdout.write(f"{label}: {word}")
            return False
        if options["interactive"]:
            if scope.startswith(AREA_PREFIX):
                label = f"maintenance of area {scope.removeprefix(AREA_PREFIX)!r}"
            try:
                answer = input(f"{label} {word}? (y/N) ")
            except EOFError:
                answer = ""
            if not answer.strip().lower().startswith("y"):
                if self.verbosity >= 3 and not options["json"]:
                    self.stdout.write(_state_line(config, snapshot, scope))
                return False
        try:
            set_scope(scope, value, options["start"], options["end"], reason=options["reason"])
        except (ImproperlyConfigured, TypeError, ValueError) as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            raise CommandError(f"Unable to write the maintenance state: {error}") from error
        return True

    def _print_status(self, config: Config, snapshot: Snapshot) -> None:
        if self.verbosity < 1:
            return
        self.stdout.write(_state_line(config, snapshot))
        if self.verbosity >= 2:
            self._print_details(config, snapshot)
        for scope in _shown_scopes(config, snapshot):
            self.stdout.write(_state_line(config, snapshot, scope))
            if self.verbosity >= 2:
                self._print_scope_details(config, snapshot, scope)

    def _print_windows(self, snapshot: Snapshot, scope: str) -> None:
        now = current_time()
        for window in _scope_windows(snapshot, scope):
            if window.end is not None and window.end <= now:
                continue  # over; only kept until the audit trail has its end
            self.stdout.write(
                f"  window: {describe.window(window.start, window.end)}"
                + (f" ({window.reason})" if window.reason else "")
            )

    def _print_scope_details(self, config: Config, snapshot: Snapshot, scope: str) -> None:
        name = config.scope_switch_name(scope)
        self.stdout.write(f"  switch {name!r}: {'on' if held(snapshot, scope) else 'off'}")
        reason = given_reason(snapshot, config, scope)
        if reason:
            self.stdout.write(f"  reason: {reason}")
        self._print_windows(snapshot, scope)

    def _print_details(self, config: Config, snapshot: Snapshot) -> None:
        using = store.read_alias()
        if config.override is not None:
            self.stdout.write("  set by settings.MAINTENANCE_MODE")
        self._print_scope_details(config, snapshot, "")
        for label, name, rule in (
            ("targeted flag", config.flag_name, snapshot.flag),
            ("exempt flag", config.exempt_flag_name, snapshot.exempt),
        ):
            if name is None:
                self.stdout.write(f"  {label}: none (settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG)")
                continue
            names = store.member_names(rule, using) if rule is not None else ((), ())
            self.stdout.write(f"  {label} {name!r}: {describe.flag(rule, *names)}")
        keys = len(snapshot.bypass_keys)
        self.stdout.write(f"  bypass links in force: {keys}")
        changes = store.last_changes(using, 5)
        if changes:
            self.stdout.write("  last changes:")
        for change in changes:
            self.stdout.write(
                f"    {describe.moment(aware(change.at))} "
                f"{change.actor or '-'} ({change.channel}) {change.subject}: "
                f"{change.old or '-'} → {change.new}"
                + (f" ({change.reason})" if change.reason else "")
            )

    def _as_json(self, config: Config, snapshot: Snapshot) -> dict[str, Any]:
        return {
            "maintenance_mode": site_wide(snapshot, config),
            "switch": snapshot.switch,
            "setting": config.override,
            "ends_at": _iso(ends_at(snapshot, config)),
            "window": _window_json(snapshot.next_window(current_time())),
            "reason": reason_in_force(snapshot, config) or None,
            "read_only": read_only_in_force(snapshot),
            "areas": {area: area in areas_in_force(snapshot) for area in config.area_names},
            "flag": _flag_json(snapshot.flag),
            "exempt_flag": _flag_json(snapshot.exempt),
            "bypass_links": len(snapshot.bypass_keys),
            "changes": [
                {
                    "at": _iso(aware(change.at)),
                    "who": change.actor,
                    "channel": change.channel,
                    "what": change.subject,
                    "old": change.old,
                    "new": change.new,
                    "reason": change.reason,
                }
                for change in store.last_changes(store.read_alias(), 10)
            ],
        }
