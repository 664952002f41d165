"""Deciding a request, from (request, snapshot, configuration).

The maintenance data all comes from the snapshot: nothing here queries waffle's tables,
ours or a cache, except through the snapshot the groups of a logged-in user when a flag
names groups (once per user, then remembered: state.Membership). What the decision may
touch is the request's own: Django's lazy ``request.user`` and session are loaded when
a rule needs them (a user or group rule, a percentage keyed on the session), and, only
with ``MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES``, waffle's cookie decisions are noted on
the request for ``WaffleMiddleware`` to set. Logging the user out is the middleware's step,
after the decision. Derived URL data (the admin prefix, our own URLs, resolved views)
is computed once per URLconf and kept until settings change.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import math
import os
import random
import sys
from datetime import datetime, timezone
from typing import Any, NamedTuple

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, resolve, reverse
from django.utils.http import parse_http_date_safe
from waffle.utils import get_setting

from maintenance_waffle.bypass import COOKIE_NAME as BYPASS_COOKIE
from maintenance_waffle.bypass import cookie_lets_through
from maintenance_waffle.conf import AREA_PREFIX, READ_ONLY, Config, area_scope
from maintenance_waffle.state import FlagRule, Snapshot, Window, current_time
from maintenance_waffle.utils import get_client_ip_address

_REQUEST_USER: Any = object()  # flag_is_active's default: request.user


class Decision(NamedTuple):
    #: The request is in site-wide or targeted maintenance, exempt or not
    #: (``request.maintenance_mode``).
    applies: bool
    #: The request gets the maintenance response.
    respond: bool
    #: The user is to be logged out first (``MAINTENANCE_MODE_LOGOUT_*``).
    logout: bool = False
    #: Read-only mode is in force (``request.maintenance_read_only``): changes are
    #: paused, and this request is one if ``respond`` and no area is given.
    read_only: bool = False
    #: The area down for maintenance the request's path is in, exempt or not
    #: (``request.maintenance_area``).
    area: str | None = None
    #: The response is the same for every visitor although maintenance of some kind is
    #: in force: a request read-only mode lets through (a safe method, an allowed URL),
    #: or the status endpoint.
    shared: bool = False

    @property
    def exempt(self) -> bool:
        """The request is in maintenance (site-wide, targeted, its area, or a change
        during read-only mode) but an exemption lets it through: what it is served may
        be for this visitor only (``Cache-Control: private``)."""
        return not (self.respond or self.shared) and (
            self.applies or self.read_only or self.area is not None
        )

    @property
    def scope(self) -> str:
        """What the maintenance response is for: "" (site-wide or targeted maintenance),
        "area:<name>" or "read-only"."""
        if self.applies:
            return ""
        if self.area is not None:
            return area_scope(self.area)
        return READ_ONLY if self.read_only else ""


PASS = Decision(applies=False, respond=False)
EXEMPT = Decision(applies=True, respond=False)
MAINTENANCE = Decision(applies=True, respond=True)
READ_ONLY_SERVED = Decision(applies=False, respond=False, read_only=True, shared=True)


def site_wide(snapshot: Snapshot, config: Config, now: datetime | None = None) -> bool:
    """The site-wide state: the ``MAINTENANCE_MODE`` setting when set, else the switch
    or a window covering ``now``."""
    if config.override is not None:
        return config.override
    return snapshot.switch or site_window(snapshot, config, now) is not None


def site_window(snapshot: Snapshot, config: Config, now: datetime | None = None) -> Window | None:
    """The window that puts the whole site in maintenance at ``now``: one covering it,
    unless the ``MAINTENANCE_MODE`` setting or the switch decides instead."""
    if config.override is not None or snapshot.switch or not snapshot.windows:
        return None
    return snapshot.window_at(now or current_time())


def ends_at(snapshot: Snapshot, config: Config, now: datetime | None = None) -> datetime | None:
    """When the site-wide maintenance in force at ``now`` ends by itself: the end of the
    window that holds it, or None when nothing ends it but turning it off (the switch is
    on, the window has no end) or when it is off. The one answer the banner, the
    dashboard, the maintenance response and ``maintenance_mode status`` give."""
    window = site_window(snapshot, config, now)
    return None if window is None else window.end


def scope_window(
    snapshot: Snapshot, config: Config, scope: str, now: datetime | None = None
) -> Window | None:
    """The window that puts ``scope`` in maintenance at ``now``: for the site-wide
    scope ``site_window``; for read-only mode or an area, one covering ``now`` unless
    its switch decides instead."""
    if scope == "":
        return site_window(snapshot, config, now)
    if held(snapshot, scope) or not snapshot.windows:
        return None
    return snapshot.window_at(now or current_time(), scope)


def scope_ends_at(
    snapshot: Snapshot, config: Config, scope: str, now: datetime | None = None
) -> datetime | None:
    """``ends_at`` for any scope: the end of the window holding it in maintenance."""
    window = scope_window(snapshot, config, scope, now)
    return None if window is None else window.end


def given_reason(snapshot: Snapshot, config: Config, scope: str = "") -> str:
    """The reason given when ``scope`` was turned on with its switch ("" for none)."""
    return snapshot.reasons.get(config.scope_switch_name(scope), "") if scope else snapshot.reason


def reason_in_force(
    snapshot: Snapshot, config: Config, scope: str = "", now: datetime | None = None
) -> str:
    """The reason visitors are given for the maintenance of ``scope``: the one given
    when it was turned on, else that of the window holding it on ("" for none)."""
    given = given_reason(snapshot, config, scope)
    if given:
        return given
    window = scope_window(snapshot, config, scope, now)
    return "" if window is None else window.reason


def read_only_in_force(snapshot: Snapshot, now: datetime | None = None) -> bool:
    """Whether read-only mode is on: its switch, or one of its windows covering ``now``."""
    return snapshot.read_only or (
        bool(snapshot.windows) and snapshot.window_at(now or current_time(), READ_ONLY) is not None
    )


def areas_in_force(snapshot: Snapshot, now: datetime | None = None) -> frozenset[str]:
    """The areas down for maintenance: their switch is on, or a window of theirs
    covers ``now``."""
    if not snapshot.windows:
        return snapshot.areas
    now = now or current_time()
    return snapshot.areas | {
        window.scope.removeprefix(AREA_PREFIX)
        for window in snapshot.windows
        if window.scope.startswith(AREA_PREFIX) and window.covers(now)
    }


def held(snapshot: Snapshot, scope: str) -> bool:
    """Whether the switch of ``scope`` ("" site-wide, "read-only", "area:<name>") is on."""
    if scope == "":
        return snapshot.switch
    if scope == READ_ONLY:
        return snapshot.read_only
    return scope.removeprefix(AREA_PREFIX) in snapshot.areas


def in_force(snapshot: Snapshot, config: Config, scope: str, now: datetime | None = None) -> bool:
    """Whether ``scope`` is in maintenance at ``now``: its switch, or a window of its own
    (site-wide: ``site_wide``, the ``MAINTENANCE_MODE`` setting first)."""
    if scope == "":
        return site_wide(snapshot, config, now)
    if scope == READ_ONLY:
        return read_only_in_force(snapshot, now)
    return scope.removeprefix(AREA_PREFIX) in areas_in_force(snapshot, now)


def holding_scope(
    snapshot: Snapshot, config: Config, areas: tuple[str, ...] = (), now: datetime | None = None
) -> str | None:
    """The maintenance that holds back background work tied to ``areas`` at ``now``: ""
    (site-wide), "read-only" or "area:<name>"; None when it may run."""
    return next(
        (
            scope
            for scope in ("", READ_ONLY, *map(area_scope, areas))
            if in_force(snapshot, config, scope, now)
        ),
        None,
    )


def wake_time(snapshot: Snapshot, config: Config, scope: str, now: datetime) -> datetime:
    """When background work held by the maintenance of ``scope`` looks again: the end of
    the window in force when it is at most ``MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN``
    away; else the next whole multiple (since the epoch) of ``MAINTENANCE_MODE_RETRY_AFTER``
    in seconds, at least 1 s and at most that cap. Everything deferred meanwhile wakes at
    the same moment, which keeps it in order."""
    cap = config.celery_max_countdown
    end = scope_ends_at(snapshot, config, scope, now)
    if end is not None and (end - now).total_seconds() <= cap:
        return end
    step = min(max(_retry_after_seconds(config, now), 1.0), cap)
    at = (math.floor(now.timestamp() / step) + 1) * step
    return datetime.fromtimestamp(at, tz=timezone.utc)


def _retry_after_seconds(config: Config, now: datetime) -> float:
    """``MAINTENANCE_MODE_RETRY_AFTER`` in seconds from ``now`` (an HTTP-date counts down
    to it); infinite when empty, unparsable or past, so that the cap applies."""
    retry_after = config.retry_after
    if retry_after is None:
        return math.inf
    if retry_after.isascii() and retry_after.isdigit():
        return float(retry_after)
    date = parse_http_date_safe(retry_after)
    if date is None or date <= now.timestamp():
        return math.inf
    return date - now.timestamp()


def area_of(path: str, snapshot: Snapshot, config: Config) -> str | None:
    """The first area (in the order of ``MAINTENANCE_WAFFLE_AREAS``) down for
    maintenance whose patterns match ``path``. A path outside every area costs one
    match of the areas' combined pattern."""
    if not config.areas:
        return None
    combined = config.areas_pattern
    if combined is not None and combined.match(path) is None:
        return None
    down = areas_in_force(snapshot)
    for area, patterns in config.areas:
        if area in down and any(pattern.match(path) for pattern in patterns):
            return area
    return None


def visitor(request: HttpRequest, config: Config) -> Any:
    """The user the decision is about: ``MAINTENANCE_MODE_GET_AUTHENTICATED_USER``'s
    answer (for token authentication), else ``request.user`` (None without one)."""
    if config.get_authenticated_user is not None:
        user = config.get_authenticated_user(request=request)
        if user is not None:
            return user
    return getattr(request, "user", None)


def decide(request: HttpRequest, snapshot: Snapshot, config: Config) -> Decision:
    if request.path_info == _paths(getattr(request, "urlconf", None), config.redirect_url).status:
        return _decide_status(request, snapshot, config)
    user = visitor(request, config)
    if not (site_wide(snapshot, config) or flag_is_active(snapshot.flag, request, config, user)):
        # Site-wide and targeted maintenance win over read-only mode and areas.
        return _decide_scoped(request, user, snapshot, config) if snapshot.scoped else PASS
    # Paths first, so that nobody is logged out of the admin or an always-open view.
    if _path_is_exempt(request, config) or _view_is_exempt(request):
        return EXEMPT
    logout = _logs_out(user, config) and hasattr(request, "session")
    if logout:
        user = AnonymousUser()
    exempt = _is_exempt(request, user, snapshot, config)
    return Decision(applies=True, respond=not exempt, logout=logout)


def _decide_status(request: HttpRequest, snapshot: Snapshot, config: Config) -> Decision:
    """The status endpoint is never in maintenance and tells everybody the same: nothing
    of the visitor is read (no user, no session, so no ``Vary: Cookie``), targeted
    maintenance included, and its response stays shared."""
    if site_wide(snapshot, config):
        return Decision(applies=True, respond=False, shared=True)
    return Decision(
        applies=False,
        respond=False,
        read_only=read_only_in_force(snapshot),
        area=area_of(request.path_info, snapshot, config),
        shared=True,
    )


#: The methods read-only mode serves (RFC 9110, 9.2.1).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _decide_scoped(request: HttpRequest, user: Any, snapshot: Snapshot, config: Config) -> Decision:
    """Read-only mode and areas: every exemption applies, nobody is logged out."""
    path = request.path_info
    read_only = read_only_in_force(snapshot)
    area = area_of(path, snapshot, config)
    if area is None:
        if not read_only:
            return PASS
        if request.method in SAFE_METHODS or any(
            pattern.match(path) for pattern in config.read_only_allowed_url_patterns
        ):
            return READ_ONLY_SERVED
    exempt = (
        _path_is_exempt(request, config)
        or _view_is_exempt(request)
        or _is_exempt(request, user, snapshot, config)
    )
    return Decision(applies=False, respond=not exempt, read_only=read_only, area=area)


def _is_exempt(request: HttpRequest, user: Any, snapshot: Snapshot, config: Config) -> bool:
    return (
        _user_is_exempt(request, user, snapshot, config)
        or _has_bypass_cookie(request, snapshot)
        or _ip_is_exempt(request, config)
        or (config.ignore_tests and running_tests())
    )


def _logs_out(user: Any, config: Config) -> bool:
    if not (
        config.logout_authenticated_user or config.logout_staff_user or config.logout_superuser
    ):
        return False  # the default: nobody is logged out, so the user need not be loaded
    if user is None or not user.is_authenticated:
        return False
    # getattr: custom user models need not have these fields.
    if getattr(user, "is_superuser", False):
        specific = config.logout_superuser
    elif getattr(user, "is_staff", False):
        specific = config.logout_staff_user
    else:
        specific = None
    return config.logout_authenticated_user if specific is None else specific


# Flags ---------------------------------------------------------------------------------


def flag_is_active(
    rule: FlagRule | None, request: HttpRequest, config: Config, user: Any = _REQUEST_USER
) -> bool:
    """Evaluate a flag like waffle does, but with percentages decided on the server.

    Waffle trusts its ``dwf_``/``dwft_`` cookies and ``WAFFLE_OVERRIDE`` query strings,
    which any client can forge; they decide only when the project opts in with
    ``MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES``.
    """
    if rule is None:
        return False
    trust = config.trust_waffle_cookies
    if trust and get_setting("OVERRIDE") and rule.name in request.GET:
        return request.GET[rule.name] == "1"
    if rule.everyone is not None:
        return rule.everyone
    if trust and rule.testing:
        tested = _testing_mode(rule, request)
        if tested is not None:
            return tested
    if rule.languages and getattr(request, "LANGUAGE_CODE", None) in rule.languages:
        return True
    if user is _REQUEST_USER:
        user = getattr(request, "user", None)
    if user is not None and _user_matches(rule, user):
        return True
    if rule.percent > 0:
        if trust:
            return _waffle_percent(rule, request)
        return bucket(rule.name, _identity(request, user, config)) < rule.percent
    return False


def _user_matches(rule: FlagRule, user: Any) -> bool:
    if not (rule.authenticated or rule.staff or rule.superusers or rule.user_ids or rule.group_ids):
        return False
    if not user.is_authenticated:
        return False
    return bool(
        rule.authenticated
        or (rule.staff and getattr(user, "is_staff", False))
        or (rule.superusers and getattr(user, "is_superuser", False))
        or user.pk in rule.user_ids
        or (rule.group_ids and rule.members(user.pk) & rule.group_ids)
    )


def bucket(flag_name: str, identity: str) -> float:
    """A stable number in [0, 100) for this flag and this visitor.

    A visitor in bucket b is in the flag while percent > b, so raising the percentage
    only ever adds visitors.
    """
    digest = hashlib.blake2b(f"{flag_name}\0{identity}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 1000 / 10


def _identity(request: HttpRequest, user: Any, config: Config) -> str:
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session = getattr(request, "session", None)
    if session is not None:
        # Loading the session drops a session key the store does not know, so a
        # made-up session cookie cannot be used to pick a bucket.
        session.keys()
        if session.session_key:
            return f"session:{session.session_key}"
    return f"ip:{client_ip(request, config)}"


def _testing_mode(rule: FlagRule, request: HttpRequest) -> bool | None:
    name = get_setting("TEST_COOKIE") % rule.name
    header = name.replace("_", "-")
    if name in request.GET:
        active = request.GET[name] == "1"
    elif header in request.headers:
        active = request.headers[header] == "1"
    elif name in request.COOKIES:
        return request.COOKIES[name] == "True"
    else:
        return None
    # WaffleMiddleware turns this into the dwft_ cookie.
    request.__dict__.setdefault("waffle_tests", {})[rule.name] = active
    return active


def _waffle_percent(rule: FlagRule, request: HttpRequest) -> bool:
    decided = getattr(request, "waffles", {})
    if rule.name in decided:
        return bool(decided[rule.name][0])
    cookie = get_setting("COOKIE") % rule.name
    if cookie in request.COOKIES:
        active = request.COOKIES[cookie] == "True"
    else:
        active = random.uniform(0, 100) <= rule.percent
    # WaffleMiddleware turns request.waffles into the dwf_ cookie, as after waffle's own
    # set_flag (not imported: waffle's models must not load before check E001 can run).
    request.__dict__.setdefault("waffles", {})[rule.name] = [active, rule.rollout]
    return active


# Exemptions ----------------------------------------------------------------------------


class _Paths(NamedTuple):
    admin: str | None
    own: frozenset[str]
    status: str | None
    bypass: str | None
    redirect: str | None


_paths_cache: dict[tuple[Any, str | None, str], _Paths] = {}


def _local_path(url: str) -> str | None:
    """``url`` as a path without the script prefix, or None if it is not on this site."""
    prefix = get_script_prefix()
    if url.startswith(prefix):
        return "/" + url[len(prefix) :]
    return None


def _reverse_path(name: str, urlconf: Any, args: list[str] | None = None) -> str | None:
    try:
        return _local_path(reverse(name, urlconf=urlconf, args=args))
    except NoReverseMatch:
        return None


def _paths(urlconf: Any, redirect_url: str | None) -> _Paths:
    key = (urlconf, redirect_url, get_script_prefix())
    paths = _paths_cache.get(key)
    if paths is None:
        redirect = None
        if redirect_url:
            try:
                redirect = _local_path(resolve_url(redirect_url))
            except NoReverseMatch:
                redirect = None
        own = (
            _reverse_path(name, urlconf) for name in ("maintenance_mode_on", "maintenance_mode_off")
        )
        bypass = _reverse_path("maintenance_mode_bypass", urlconf, args=["-"])
        status = _reverse_path("maintenance_mode_status", urlconf)
        paths = _paths_cache[key] = _Paths(
            admin=_reverse_path("admin:index", urlconf),
            own=frozenset(path for path in own if path is not None),
            status=status,
            bypass=None if bypass is None else bypass.removesuffix("-/"),
            redirect=redirect,
        )
    return paths


def _in_admin(path: str, paths: _Paths) -> bool:
    if paths.admin is None:
        return False
    return (path if path.endswith("/") else path + "/").startswith(paths.admin)


def under_admin_site(request: HttpRequest, config: Config) -> bool:
    """Whether ``request`` is for a page of the admin site (``admin:index`` and below)."""
    return _in_admin(
        request.path_info, _paths(getattr(request, "urlconf", None), config.redirect_url)
    )


def _path_is_exempt(request: HttpRequest, config: Config) -> bool:
    path = request.path_info
    paths = _paths(getattr(request, "urlconf", None), config.redirect_url)
    if config.ignore_admin_site and _in_admin(path, paths):
        return True
    if path in paths.own or (paths.bypass is not None and path.startswith(paths.bypass)):
        return True
    if any(pattern.match(path) for pattern in config.ignore_url_patterns):
        return True
    return paths.redirect is not None and path.startswith(paths.redirect)


def _user_is_exempt(request: HttpRequest, user: Any, snapshot: Snapshot, config: Config) -> bool:
    if user is not None and config.user_exemptions:
        if config.ignore_anonymous_user and user.is_anonymous:
            return True
        if config.ignore_authenticated_user and user.is_authenticated:
            return True
        if config.ignore_staff and getattr(user, "is_staff", False):
            return True
        if config.ignore_superuser and getattr(user, "is_superuser", False):
            return True
    return flag_is_active(snapshot.exempt, request, config, user)


def _has_bypass_cookie(request: HttpRequest, snapshot: Snapshot) -> bool:
    cookie = request.COOKIES.get(BYPASS_COOKIE)
    return cookie is not None and cookie_lets_through(cookie, snapshot, current_time())


def client_ip(request: HttpRequest, config: Config) -> str:
    if config.get_client_ip_address is not None:
        return str(config.get_client_ip_address(request) or "")
    return str(get_client_ip_address(request) or "")


def _ip_is_exempt(request: HttpRequest, config: Config) -> bool:
    if not (config.ignore_ip_networks or config.ignore_ip_patterns):
        return False
    text = client_ip(request, config)
    if config.ignore_ip_networks:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            pass
        else:
            if any(address in network for network in config.ignore_ip_networks):
                return True
    return any(pattern.match(text) for pattern in config.ignore_ip_patterns)


def running_tests() -> bool:
    """Whether this process runs a test suite: `manage.py test`, a runtests script, or
    pytest (which django-maintenance-mode does not recognise)."""
    argv = sys.argv
    return (
        "runtests" in (argv[0] if argv else "")
        or (len(argv) > 1 and argv[1] == "test")
        or "PYTEST_CURRENT_TEST" in os.environ
    )


@functools.lru_cache(maxsize=1024)
def _view_flags(path: str, urlconf: Any) -> tuple[bool, bool]:
    """(force_maintenance_mode_on, force_maintenance_mode_off) of the view at ``path``."""
    try:
        match = resolve(path, urlconf=urlconf)
    except Resolver404:
        return False, False
    return (
        bool(getattr(match.func, "force_maintenance_mode_on", False)),
        bool(getattr(match.func, "force_maintenance_mode_off", False)),
    )


def _view_is_exempt(request: HttpRequest) -> bool:
    # Only requests already in maintenance get here, so the off path never resolves.
    return _view_flags(request.path_info, getattr(request, "urlconf", None))[1]


def view_forces_maintenance(request: HttpRequest) -> bool:
    """Whether ``request`` is for a view decorated with force_maintenance_mode_on."""
    return _view_flags(request.path_info, getattr(request, "urlconf", None))[0]


def reset(**kwargs: Any) -> None:
    """``setting_changed`` receiver: forget everything derived from URLconfs."""
    _paths_cache.clear()
    _view_flags.cache_clear()
