from __future__ import annotations

import copy
import functools
import inspect
import ipaddress
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.module_loading import import_string

logger = logging.getLogger("maintenance_waffle")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: A backreference by number or name, which combining patterns would break.
_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\\g<")


# System check IDs. Django and the documentation write them as "maintenance_waffle.<ID>"
# (check_id()); problems and these constants hold the bare ID. What each one means is
# CHECK_SUMMARIES below, which the reference documentation is generated from.


class InstallationId:
    """IDs of ``checks.check_installation`` and ``checks.check_areas``: how the app is
    installed."""

    E001: Final = "E001"
    E002: Final = "E002"
    W001: Final = "W001"
    W004: Final = "W004"


class SettingsId:
    """IDs of the problems ``build()`` finds in settings (``checks.check_settings``)."""

    E003: Final = "E003"
    E004: Final = "E004"
    E005: Final = "E005"
    E006: Final = "E006"
    E007: Final = "E007"
    E008: Final = "E008"
    E009: Final = "E009"
    E010: Final = "E010"
    E011: Final = "E011"
    E012: Final = "E012"
    E013: Final = "E013"
    E014: Final = "E014"
    E015: Final = "E015"
    E016: Final = "E016"
    E017: Final = "E017"
    E018: Final = "E018"
    W002: Final = "W002"


#: What each check ID means, in one line of Markdown, by bare ID.
CHECK_SUMMARIES: Final[dict[str, str]] = {
    InstallationId.E001: "`waffle` is not in `INSTALLED_APPS`.",
    InstallationId.E002: "The middleware comes before `AuthenticationMiddleware`.",
    SettingsId.E003: "`MAINTENANCE_MODE` is not `None`, `True` or `False`.",
    SettingsId.E004: "A yes/no setting is not a boolean.",
    SettingsId.E005: "`MAINTENANCE_MODE_STATUS_CODE` is not a status code from 100 to 599.",
    SettingsId.E006: "`MAINTENANCE_MODE_RETRY_AFTER` is not seconds, an HTTP-date or empty.",
    SettingsId.E007: (
        "`MAINTENANCE_MODE_RESPONSE_TYPE` is unknown and not an importable function."
    ),
    SettingsId.E008: "`MAINTENANCE_MODE_TEMPLATE` is not a template name.",
    SettingsId.E009: "A waffle name setting is not a string of 1 to 100 characters.",
    SettingsId.E010: (
        "The targeted and the exempt flag, or the site-wide and the read-only switch, have "
        "the same name."
    ),
    SettingsId.E011: (
        "An interval setting is not a number of seconds ≥ 0 (> 0 for "
        "`MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN`)."
    ),
    SettingsId.E012: "A list setting is a string or not a list/tuple (a missing comma).",
    SettingsId.E013: (
        "An `IGNORE_URLS`/`IGNORE_IP_ADDRESSES`/`READ_ONLY_ALLOWED_URLS`/`AREAS` entry is not "
        "a valid regular expression."
    ),
    SettingsId.E014: "A setting that django-maintenance-mode renamed is used under its old name.",
    SettingsId.E015: "A function setting cannot be imported or is not callable.",
    SettingsId.E016: "`MAINTENANCE_MODE_REDIRECT_URL` is not a string.",
    SettingsId.E017: "`MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE` is not a whole number, 0 or more.",
    SettingsId.E018: (
        "`MAINTENANCE_WAFFLE_AREAS` is not a dict of valid area names to non-empty lists of "
        "regexes."
    ),
    InstallationId.W001: "The middleware is not in `MIDDLEWARE`.",
    SettingsId.W002: "A django-maintenance-mode state-storage setting is set; it is ignored here.",
    InstallationId.W004: (
        "An area covers the admin site or the on/off URLs, which stay open: it is never down there."
    ),
}


def check_id(id_: str) -> str:
    """The full ID of a check message, e.g. ``maintenance_waffle.E001``."""
    return f"maintenance_waffle.{id_}"


# Settings are parsed, compiled and imported once into a frozen ``Config``; a
# ``setting_changed`` receiver (connected in ``AppConfig.ready``) throws it away so that
# ``override_settings`` works, and so does a setting assigned directly (get_config()).
# The same parsers feed the system checks, which report every
# problem, and the request path, which logs each problem once and uses the default
# instead: gunicorn does not run checks, and a bad setting must never become a 500.


@dataclass(frozen=True)
class Problem:
    """A setting whose value cannot be used as it is."""

    id: str
    setting: str
    message: str
    hint: str


#: ``parse(name, value, problems)``: the value for ``Config``, or the default after
#: appending a ``Problem`` to ``problems``.
Parser = Callable[[str, Any, list[Problem]], Any]


@dataclass(frozen=True)
class Setting:
    """A setting this app reads: its default, its parser, the ``Config`` field it fills,
    and its type and meaning for the documentation.

    A parser that returns a tuple fills a tuple of fields, one value each.
    """

    name: str
    default: Any
    parse: Parser
    field: str | tuple[str, ...]
    #: What the value may be, in a few words of plain text, e.g. ``"bool | None"``.
    type: str
    #: What the setting means, in Markdown (the reference documentation shows it).
    doc: str


@dataclass(frozen=True)
class Config:
    override: bool | None
    ignore_admin_site: bool
    ignore_anonymous_user: bool
    ignore_authenticated_user: bool
    ignore_staff: bool
    ignore_superuser: bool
    ignore_tests: bool
    ignore_ip_networks: tuple[IPNetwork, ...]
    ignore_ip_patterns: tuple[re.Pattern[str], ...]
    get_client_ip_address: Callable[[HttpRequest], Any] | None
    get_authenticated_user: Callable[..., Any] | None
    logout_authenticated_user: bool
    logout_staff_user: bool | None
    logout_superuser: bool | None
    ignore_url_patterns: tuple[re.Pattern[str], ...]
    redirect_url: str | None
    response_type: str
    response_type_function: Callable[..., Any] | None
    get_context: Callable[..., Any] | None
    template: str
    status_code: int
    retry_after: str | None
    fallback_value: bool
    switch_name: str
    flag_name: str
    exempt_flag_name: str | None
    refresh_interval: float
    full_refresh_interval: float
    max_staleness: float
    membership_cache_size: int
    trust_waffle_cookies: bool
    read_only_switch_name: str
    read_only_allowed_url_patterns: tuple[re.Pattern[str], ...]
    #: Each area's name and its patterns, in the order of the setting.
    areas: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    celery_max_countdown: float
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    @functools.cached_property
    def areas_pattern(self) -> re.Pattern[str] | None:
        """One pattern matching every path of every area, so that a path outside them
        all costs one match; None when the areas' patterns cannot be combined (flags,
        backreferences), and each is matched in turn."""
        patterns = [pattern for _, area in self.areas for pattern in area]
        plain = re.compile("").flags
        if any(
            pattern.flags != plain or _BACKREFERENCE.search(pattern.pattern) for pattern in patterns
        ):
            return None
        try:
            return re.compile("|".join(f"(?:{pattern.pattern})" for pattern in patterns))
        except re.error:  # the same group name in two patterns, say
            return None

    @property
    def area_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.areas)

    def area_switch_name(self, area: str) -> str:
        """The switch of ``area``: ``"<MAINTENANCE_WAFFLE_SWITCH>:<area>"``."""
        return f"{self.switch_name}:{area}"

    @property
    def switch_names(self) -> tuple[str, ...]:
        """Every switch of ours: site-wide, read-only, then one per area."""
        return (
            self.switch_name,
            self.read_only_switch_name,
            *(self.area_switch_name(area) for area in self.area_names),
        )

    @property
    def scopes(self) -> tuple[str, ...]:
        """Every scope of maintenance here: "" (site-wide), read-only mode, then
        "area:<name>" for each area."""
        return ("", READ_ONLY, *(area_scope(area) for area in self.area_names))

    def scope_switch_name(self, scope: str) -> str:
        """The switch of a scope: "" (site-wide), READ_ONLY or "area:<name>"."""
        if scope == "":
            return self.switch_name
        if scope == READ_ONLY:
            return self.read_only_switch_name
        return self.area_switch_name(scope.removeprefix(AREA_PREFIX))

    @property
    def flag_names(self) -> tuple[str, ...]:
        """The targeted flag's name, and the exempt flag's unless there is none."""
        if self.exempt_flag_name is None:
            return (self.flag_name,)
        return (self.flag_name, self.exempt_flag_name)

    @property
    def user_exemptions(self) -> bool:
        return (
            self.ignore_anonymous_user
            or self.ignore_authenticated_user
            or self.ignore_staff
            or self.ignore_superuser
        )


# Parsers ---------------------------------------------------------------------------------

RESPONSE_TYPES = ("auto", "html", "json")

#: The scopes of maintenance, as windows and the API name them: "" is site-wide.
READ_ONLY: Final = "read-only"
AREA_PREFIX: Final = "area:"
#: An area's name (DESIGN §10): lower case, digits, "_" and "-", up to 50 characters.
AREA_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")


def area_scope(area: str) -> str:
    return AREA_PREFIX + area


def _unchanged(value: Any) -> Any:
    return value


@dataclass(frozen=True, eq=False)
class _Rule:
    """A parser for a setting whose value is used whole, or not at all.

    A value that ``accepts`` refuses is reported as ``id`` ("settings.NAME <requirement>,
    not <value>.") and the default is used instead; ``hint`` may name it as
    ``{default!r}``. The value used is ``convert(value)``.
    """

    id: str
    requirement: str
    hint: str
    accepts: Callable[[Any], bool]
    convert: Callable[[Any], Any] = _unchanged

    def __call__(self, name: str, value: Any, problems: list[Problem]) -> Any:
        if not self.accepts(value):
            message = f"{self.requirement}, not {value!r}."
            problems.append(
                Problem(self.id, name, message, self.hint.format(default=DEFAULTS[name]))
            )
            value = DEFAULTS[name]
        return self.convert(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_none_or_bool(value: Any) -> bool:
    return value is None or isinstance(value, bool)


_override = _Rule(
    SettingsId.E003,
    "must be None, True or False",
    "A string such as 'False' would turn maintenance on: convert it to a bool.",
    _is_none_or_bool,
)
# None is accepted as False: django-maintenance-mode's own defaults used it.
_bool = _Rule(
    SettingsId.E004,
    "must be True or False",
    "Use a real boolean; strings such as 'False' are true in Python.",
    _is_none_or_bool,
    convert=bool,
)
_logout = _Rule(
    SettingsId.E004,
    "must be None, True or False",
    "None follows MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER.",
    _is_none_or_bool,
)
_redirect_url = _Rule(
    SettingsId.E016,
    "must be a URL, a URL name or None",
    "For example '/maintenance/'.",
    lambda value: value is None or isinstance(value, (str, Promise)),
    convert=lambda value: None if value is None else str(value),
)
_template = _Rule(
    SettingsId.E008,
    "must be a template name",
    "The default is {default!r}.",
    lambda value: isinstance(value, str) and value != "",
)
_http_status = _Rule(
    SettingsId.E005,
    "must be an HTTP status code from 100 to 599",
    "503 (Service Unavailable) is the code for maintenance (RFC 9110, 15.6.4).",
    lambda value: _is_int(value) and 100 <= value <= 599,
)


def _status_code(name: str, value: Any, problems: list[Problem]) -> Any:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return _http_status(name, value, problems)


def _retry_after_header(value: Any) -> str | None:
    # Seconds or an HTTP-date, passed through as upstream does (RFC 9110, 10.2.3).
    if not value:
        return None
    return value if isinstance(value, str) else str(value)


_retry_after = _Rule(
    SettingsId.E006,
    "must be a number of seconds, an HTTP-date string or None",
    "For example 3600; 0 or None sends no Retry-After header.",
    lambda value: not value or isinstance(value, str) or (_is_int(value) and value > 0),
    convert=_retry_after_header,
)


# Waffle's name columns are CharField(max_length=100).
def _is_waffle_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 100


_waffle_name = _Rule(
    SettingsId.E009,
    "must be a waffle name (a string of 1 to 100 characters)",
    "The default is {default!r}.",
    _is_waffle_name,
)
# None: no exempt flag at all, as django-maintenance-mode exempts nobody by default.
_exempt_flag_name = _Rule(
    SettingsId.E009,
    "must be a waffle name (a string of 1 to 100 characters) or None",
    "The default is {default!r}; None means no exempt flag.",
    lambda value: value is None or _is_waffle_name(value),
)
_size = _Rule(
    SettingsId.E017,
    "must be a whole number, 0 or more",
    "For example {default!r}.",
    lambda value: _is_int(value) and value >= 0,
)
_seconds = _Rule(
    SettingsId.E011,
    "must be a number of seconds (0 or more)",
    "For example {default!r}.",
    lambda value: (_is_int(value) or isinstance(value, float)) and value >= 0,
    convert=float,
)
_positive_seconds = _Rule(
    SettingsId.E011,
    "must be a number of seconds, more than 0",
    "For example {default!r}.",
    lambda value: (_is_int(value) or isinstance(value, float)) and value > 0,
    convert=float,
)


def _resolve_function(value: Any) -> tuple[Callable[..., Any] | None, str]:
    """Import a dotted path; on failure return None and what went wrong."""
    if not isinstance(value, str):
        return None, f"{value!r} is not a dotted path."
    try:
        function = import_string(value)
    except Exception as error:  # ImportError, or ValueError for ".x", or the module's own
        return None, f"{value!r} cannot be imported ({error})."
    if not callable(function):
        return None, f"{value!r} is not callable."
    return function, ""


def _import_function(
    name: str, value: Any, problems: list[Problem], id_: str, requirement: str, hint: str
) -> Callable[..., Any] | None:
    """Import the function at dotted path ``value``; if that fails, report why as ``id_``."""
    function, error = _resolve_function(value)
    if function is None:
        problems.append(Problem(id_, name, requirement + error, hint))
    return function


def _function(name: str, value: Any, problems: list[Problem]) -> Callable[..., Any] | None:
    if value is None:
        return None
    hint = "Give the dotted path of a function, e.g. 'myproject.utils.my_function', or None."
    return _import_function(name, value, problems, SettingsId.E015, "", hint)


def _sequence(name: str, value: Any, problems: list[Problem]) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    problems.append(
        Problem(
            SettingsId.E012,
            name,
            f"must be a list or a tuple, not {type(value).__name__}.",
            "A string is not a sequence of patterns: write ('/health/',) with the comma.",
        )
    )
    return ()


def _compile(name: str, entry: Any, problems: list[Problem]) -> re.Pattern[str] | None:
    if isinstance(entry, re.Pattern):
        return entry
    if isinstance(entry, (str, Promise)):
        try:
            return re.compile(str(entry))
        except re.error as error:
            problems.append(
                Problem(
                    SettingsId.E013,
                    name,
                    f"{str(entry)!r} is not a valid regular expression: {error}.",
                    "Fix or escape the pattern (re.escape).",
                )
            )
            return None
    problems.append(
        Problem(
            SettingsId.E013,
            name,
            f"{entry!r} is not a string or a compiled pattern.",
            "Each entry must be a regular expression, as a string or re.compile(...).",
        )
    )
    return None


def _patterns(name: str, value: Any, problems: list[Problem]) -> tuple[re.Pattern[str], ...]:
    return tuple(
        pattern
        for entry in _sequence(name, value, problems)
        if (pattern := _compile(name, entry, problems)) is not None
    )


def _ip_addresses(
    name: str, value: Any, problems: list[Problem]
) -> tuple[tuple[IPNetwork, ...], tuple[re.Pattern[str], ...]]:
    """Addresses and CIDR networks, matched as such; other entries are regexes."""
    networks: list[IPNetwork] = []
    patterns: list[re.Pattern[str]] = []
    for entry in _sequence(name, value, problems):
        if isinstance(entry, str):
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
                continue
            except ValueError:
                pass
        pattern = _compile(name, entry, problems)
        if pattern is not None:
            patterns.append(pattern)
    return tuple(networks), tuple(patterns)


def _response_type(
    name: str, value: Any, problems: list[Problem]
) -> tuple[str, Callable[..., Any] | None]:
    """``(response_type, response_type_function)``: a name, or the default and a function."""
    if value in RESPONSE_TYPES:
        return value, None
    requirement = "must be 'auto', 'html', 'json' or the dotted path of a function: "
    hint = (
        "Use 'auto' (JSON for clients that ask for it, HTML otherwise), 'html', 'json', or a "
        "function(request) returning one of those."
    )
    function = _import_function(name, value, problems, SettingsId.E007, requirement, hint)
    return DEFAULTS[name], function


def _areas(
    name: str, value: Any, problems: list[Problem]
) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """``{"checkout": [r"^/checkout/", ...]}``: each area's name and compiled patterns."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.append(
            Problem(
                SettingsId.E018,
                name,
                f"must be a dict of area names to lists of regexes, not {type(value).__name__}.",
                'For example {"checkout": [r"^/checkout/", r"^/api/orders/"]}.',
            )
        )
        return ()
    areas = []
    for area, patterns in value.items():
        if not isinstance(area, str) or not AREA_NAME.fullmatch(area):
            problems.append(
                Problem(
                    SettingsId.E018,
                    name,
                    f"has an invalid area name {area!r}.",
                    "Area names are 1 to 50 lower-case letters, digits, '_' or '-', "
                    "starting with a letter or a digit.",
                )
            )
            continue
        if not isinstance(patterns, (list, tuple)) or not patterns:
            problems.append(
                Problem(
                    SettingsId.E018,
                    name,
                    f"[{area!r}] must be a non-empty list of regexes, not {patterns!r}.",
                    f'For example {{"{area}": [r"^/{area}/"]}}.',
                )
            )
            continue
        before = len(problems)
        compiled = tuple(
            pattern
            for entry in patterns
            if (pattern := _compile(name, entry, problems)) is not None
        )
        for index in range(before, len(problems)):
            problem = problems[index]
            problems[index] = Problem(
                problem.id, name, f"(area {area!r}): {problem.message}", problem.hint
            )
        if len(compiled) == len(patterns):
            areas.append((area, compiled))
    return tuple(areas)


# The settings ----------------------------------------------------------------------------


def _entry(
    name: str,
    default: Any,
    parse: Parser,
    field: str | tuple[str, ...],
    type: str,
    doc: str,
) -> Setting:
    # The meanings are written as indented triple-quoted strings, for reading here.
    return Setting(name, default, parse, field, type, inspect.cleandoc(doc))


#: Every setting this app reads, in the documentation's order: name, default, parser,
#: ``Config`` field(s), type and meaning. ``MAINTENANCE_MODE_*`` names and defaults follow
#: django-maintenance-mode, except where the meaning says otherwise.
SETTINGS: tuple[Setting, ...] = (
    _entry(
        "MAINTENANCE_MODE",
        None,
        _override,
        "override",
        "bool | None",
        """
        When `True` or `False`, the site-wide state is fixed by settings: the switch is not
        consulted and cannot be changed (`set_maintenance_mode`, the command and the on/off
        URLs refuse). The targeted flag still applies to its requests.

        Anything else (a string such as `"False"`) is a check error, and at run time it is
        ignored everywhere alike: the switch decides, and the API, the command, the on/off
        URLs and the dashboard can change it.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_ADMIN_SITE",
        True,
        _bool,
        "ignore_admin_site",
        "bool",
        """
        Requests under the admin site's URL pass.

        The default differs from django-maintenance-mode's, `False`.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER",
        False,
        _bool,
        "ignore_anonymous_user",
        "bool",
        "Anonymous visitors pass.",
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER",
        False,
        _bool,
        "ignore_authenticated_user",
        "bool",
        "Logged-in users pass.",
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_STAFF",
        False,
        _bool,
        "ignore_staff",
        "bool",
        "Users with `is_staff` pass.",
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_SUPERUSER",
        False,
        _bool,
        "ignore_superuser",
        "bool",
        """
        Users with `is_superuser` pass (the exempt flag already lets superusers through by
        default).
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_TESTS",
        False,
        _bool,
        "ignore_tests",
        "bool",
        """
        While a test suite runs (`manage.py test`, a `runtests` script, or pytest), requests
        pass.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_IP_ADDRESSES",
        (),
        _ip_addresses,
        ("ignore_ip_networks", "ignore_ip_patterns"),
        "list | tuple of str",
        """
        Clients whose IP matches pass. An entry that parses as an address or a network
        (`"10.0.0.0/8"`, `"2001:db8::/32"`) matches exactly or by network; any other entry
        is a regular expression matched from the start, as in django-maintenance-mode.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS",
        None,
        _function,
        "get_client_ip_address",
        "dotted path | None",
        """
        Dotted path of a function `f(request) -> str`; `None` means `REMOTE_ADDR`. Used for
        the IP allowlist and for percentages of anonymous visitors. Forwarded-for headers
        are trusted only through such a function.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_GET_AUTHENTICATED_USER",
        None,
        _function,
        "get_authenticated_user",
        "dotted path | None",
        """
        Dotted path of a function `f(request=...) -> user | None`. For token or JWT
        authentication, where `request.user` is still anonymous when middleware runs: the
        user it returns is the one targeted, exempted and logged out; `None` means
        `request.user`.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER",
        False,
        _bool,
        "logout_authenticated_user",
        "bool",
        """
        Log logged-in users out when they make a request in maintenance. The user checks
        that follow see an anonymous visitor, so with
        `MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER` the logged-out user is let through.

        Nobody is logged out on exempt paths (the admin, `IGNORE_URLS`,
        `force_maintenance_mode_off` views): a documented difference, as
        django-maintenance-mode logs out before every exemption.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_LOGOUT_STAFF_USER",
        None,
        _logout,
        "logout_staff_user",
        "bool | None",
        """
        For staff users (who are not superusers): `True` or `False` overrides
        `MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER`, `None` follows it.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_LOGOUT_SUPERUSER",
        None,
        _logout,
        "logout_superuser",
        "bool | None",
        """
        For superusers (staff or not): `True` or `False` overrides
        `MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER`, `None` follows it.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_IGNORE_URLS",
        (),
        _patterns,
        "ignore_url_patterns",
        "list | tuple of regexes",
        """
        Requests whose `path_info` matches from the start pass, e.g.
        `(r"^/healthz$", r"^/static/")`. Each entry is a string, a compiled pattern or a
        lazy string.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_REDIRECT_URL",
        None,
        _redirect_url,
        "redirect_url",
        "str | None",
        """
        When set, the maintenance response is a 302 redirect to this URL, path or URL name;
        requests for that path (and below it) pass, so the redirect cannot loop.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_RESPONSE_TYPE",
        "auto",
        _response_type,
        ("response_type", "response_type_function"),
        '"auto" | "html" | "json" | dotted path',
        """
        What the maintenance response is: `"auto"` (JSON for clients that ask for it, HTML
        otherwise), `"html"`, `"json"`, or the dotted path of a function `f(request=...)`
        returning one of those. `"json"` answers `application/json` with the
        `MAINTENANCE_MODE_GET_CONTEXT` dict (or `{}`).

        The default differs from django-maintenance-mode's, `"html"`.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_GET_CONTEXT",
        None,
        _function,
        "get_context",
        "dotted path | None",
        """
        Dotted path of a function `f(request=...) -> dict`: extra template context for the
        HTML page, the body of `"json"` responses, extra members of problem details.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_TEMPLATE",
        "503.html",
        _template,
        "template",
        "str",
        """
        The template of the maintenance page. When the project has no such template, the
        packaged `maintenance_waffle/503.html` is used.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_STATUS_CODE",
        503,
        _status_code,
        "status_code",
        "int (100 to 599)",
        "The HTTP status code of the maintenance response.",
    ),
    _entry(
        "MAINTENANCE_MODE_RETRY_AFTER",
        3600,
        _retry_after,
        "retry_after",
        "int (seconds) | str (HTTP-date) | None",
        """
        The `Retry-After` header of the maintenance response: seconds, or an HTTP-date
        string. `0` or `None` sends no `Retry-After` header.
        """,
    ),
    _entry(
        "MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE",
        False,
        _bool,
        "fallback_value",
        "bool",
        """
        The state used when the database cannot be read and no recent state is known:
        `False` fails open, `True` fails closed.
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_SWITCH",
        "maintenance_mode",
        _waffle_name,
        "switch_name",
        "str (1 to 100 characters)",
        "Name of the site-wide switch.",
    ),
    _entry(
        "MAINTENANCE_WAFFLE_FLAG",
        "maintenance_mode",
        _waffle_name,
        "flag_name",
        "str (1 to 100 characters)",
        "Name of the targeted-maintenance flag.",
    ),
    _entry(
        "MAINTENANCE_WAFFLE_EXEMPT_FLAG",
        "maintenance_mode_exempt",
        _exempt_flag_name,
        "exempt_flag_name",
        "str (1 to 100 characters) | None",
        """
        Name of the exemption flag; must differ from `MAINTENANCE_WAFFLE_FLAG`.

        `None` means no exempt flag at all (and the migration creates none): nobody is
        exempt but by the other exemptions (the admin site, `MAINTENANCE_MODE_IGNORE_*`,
        bypass links), as in django-maintenance-mode.
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_REFRESH_INTERVAL",
        1.0,
        _seconds,
        "refresh_interval",
        "seconds (int | float ≥ 0)",
        "How often each process re-reads the state.",
    ),
    _entry(
        "MAINTENANCE_WAFFLE_FULL_REFRESH_INTERVAL",
        60.0,
        _seconds,
        "full_refresh_interval",
        "seconds (int | float ≥ 0)",
        """
        A refresh reads only the change stamp, and everything else only when the stamp
        moved; at most this often it reads everything anyway, to see changes made without
        Django's signals (raw SQL, `QuerySet.update()`). `0` reads everything at every
        refresh.
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_MAX_STALENESS",
        300.0,
        _seconds,
        "max_staleness",
        "seconds (int | float ≥ 0)",
        "How long the last known state is trusted while the database cannot be read.",
    ),
    _entry(
        "MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE",
        10_000,
        _size,
        "membership_cache_size",
        "int ≥ 0",
        """
        How many users' memberships in the groups the targeted and exempt flags name each
        process remembers.

        The members of those groups are never loaded whole: a logged-in user's groups among
        them are asked for with one indexed query, the first time the user is seen after a
        change, and remembered for the next requests (the least recently seen are forgotten
        first), so memory does not grow with the groups. `0` asks on every request of a
        logged-in user.
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES",
        False,
        _bool,
        "trust_waffle_cookies",
        "bool",
        """
        When `True`, flag percentages, testing mode and `WAFFLE_OVERRIDE` follow waffle's
        own client-side rules (its `dwf_`/`dwft_` cookies and query strings decide). Only
        for projects that accept that clients can choose.
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_READ_ONLY_SWITCH",
        "maintenance_mode_read_only",
        _waffle_name,
        "read_only_switch_name",
        "str (1 to 100 characters)",
        """
        The waffle switch of read-only mode (see
        [Read-only mode and maintenance areas](../guides/read-only-and-areas.md));
        `migrate` creates it, off. It must differ from `MAINTENANCE_WAFFLE_SWITCH` (check
        E010).
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_READ_ONLY_ALLOWED_URLS",
        (),
        _patterns,
        "read_only_allowed_url_patterns",
        "list | tuple of regexes",
        """
        Paths where changes stay allowed in read-only mode, matched from the start of
        `path_info`, e.g. `[r"^/accounts/login/$"]` so that people can still sign in.
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_AREAS",
        {},
        _areas,
        "areas",
        "dict of area name to list of regexes",
        """
        Parts of the site that can be taken down on their own, each a list of regexes
        matched from the start of `path_info`. For example
        `{"checkout": [r"^/checkout/", r"^/api/orders/"]}`.

        Each area has its own switch, `"<MAINTENANCE_WAFFLE_SWITCH>:<area>"`
        (`maintenance_mode:checkout`), which `migrate` creates, off. Names are 1 to 50
        lower-case letters, digits, `_` or `-` (check E018); an area removed from the
        setting keeps its switch row, ignored.
        """,
    ),
    _entry(
        "MAINTENANCE_WAFFLE_CELERY_MAX_COUNTDOWN",
        60.0,
        _positive_seconds,
        "celery_max_countdown",
        "seconds (int | float > 0)",
        """
        The longest a Celery task deferred during maintenance waits before it looks again
        (see [Background work](../guides/background-work.md)).
        """,
    ),
)
DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}

#: django-maintenance-mode renamed these without an alias; upstream ignores them silently.
RENAMED_SETTINGS = {
    "MAINTENANCE_MODE_TEMPLATE_CONTEXT": "MAINTENANCE_MODE_GET_CONTEXT",
    "MAINTENANCE_MODE_GET_TEMPLATE_CONTEXT": "MAINTENANCE_MODE_GET_CONTEXT",
    "MAINTENANCE_MODE_IGNORE_TEST": "MAINTENANCE_MODE_IGNORE_TESTS",
}
#: django-maintenance-mode's state storage, and why it does not apply here (Markdown): the
#: state is waffle's.
IGNORED_SETTINGS: dict[str, str] = {
    "MAINTENANCE_MODE_STATE_BACKEND": (
        "There are no state backends: the switch and the windows are in the database, shared "
        "by every process."
    ),
    "MAINTENANCE_MODE_STATE_FILE_NAME": "The state is not kept in a file.",
    "MAINTENANCE_MODE_STATE_FILE_PATH": "The state is not kept in a file.",
    "MAINTENANCE_MODE_CACHE_BACKEND": (
        "Each process keeps its own snapshot of the state instead (see "
        "[Running on many servers](../guides/many-servers.md)); waffle's own "
        "`WAFFLE_CACHE_NAME` is untouched."
    ),
}


#: What django-maintenance-mode puts on django.conf.settings for its storage settings,
#: which code written for it may read (its own test suite does, in every test).
STORAGE_DEFAULTS = {
    "MAINTENANCE_MODE_STATE_BACKEND": "maintenance_mode.backends.LocalFileBackend",
    "MAINTENANCE_MODE_STATE_FILE_NAME": "maintenance_mode_state.txt",
    "MAINTENANCE_MODE_STATE_FILE_PATH": "maintenance_mode_state.txt",
    "MAINTENANCE_MODE_CACHE_BACKEND": None,
}
_published: dict[str, Any] = {}


def publish_defaults() -> None:
    """Put the default of every ``MAINTENANCE_MODE_*`` setting the project leaves unset on
    ``django.conf.settings``, as django-maintenance-mode does when imported, so that code
    reading ``settings.MAINTENANCE_MODE_TEMPLATE`` and the like keeps working.

    Called by ``AppConfig.ready``. The storage settings published here are not reported
    as set by the project (check W002).
    """
    defaults = {name: DEFAULTS[name] for name in DEFAULTS if name.startswith("MAINTENANCE_MODE")}
    for name, default in {**defaults, **STORAGE_DEFAULTS}.items():
        if not hasattr(settings, name):
            setattr(settings, name, default)
            _published[name] = default


def _set_by_project(name: str) -> bool:
    return hasattr(settings, name) and (
        name not in _published or getattr(settings, name) is not _published[name]
    )


class Settings:
    """Read the app's settings from ``django.conf.settings`` at the time of use.

    One property per setting of ``SETTINGS``, named exactly like the setting, so that
    ``override_settings`` is always honoured.
    """

    if TYPE_CHECKING:
        # The properties are added below, from SETTINGS; settings are Any.
        def __getattr__(self, name: str) -> Any: ...


def _reader(setting: Setting) -> property:
    def read(self: Settings) -> Any:
        return getattr(settings, setting.name, setting.default)

    return property(read, doc=f"settings.{setting.name}, or {setting.default!r}.")


for _setting in SETTINGS:
    setattr(Settings, _setting.name, _reader(_setting))

conf = Settings()


# build() ---------------------------------------------------------------------------------


def build() -> Config:
    """Parse every setting, collecting problems instead of raising: renamed and ignored
    settings first, then in the order of ``SETTINGS``."""
    problems: list[Problem] = []
    for old, new in RENAMED_SETTINGS.items():
        if hasattr(settings, old):
            problems.append(
                Problem(
                    SettingsId.E014,
                    old,
                    f"was renamed to {new}; the old name has no effect.",
                    f"Rename settings.{old} to settings.{new}.",
                )
            )
    for name in IGNORED_SETTINGS:
        if _set_by_project(name):
            problems.append(
                Problem(
                    SettingsId.W002,
                    name,
                    "is ignored: the maintenance state is kept in waffle's switch, shared "
                    "by every process through the database.",
                    f"Remove settings.{name}.",
                )
            )

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.parse(setting.name, getattr(conf, setting.name), problems)
        if isinstance(setting.field, str):
            values[setting.field] = value
        else:
            values.update(zip(setting.field, value, strict=True))

    # Two names that must differ: the second goes back to its default with the first.
    fields = {setting.name: setting.field for setting in SETTINGS if isinstance(setting.field, str)}
    for first, second, why in (
        (
            "MAINTENANCE_WAFFLE_FLAG",
            "MAINTENANCE_WAFFLE_EXEMPT_FLAG",
            "one flag cannot both put requests into maintenance and exempt them.",
        ),
        (
            "MAINTENANCE_WAFFLE_SWITCH",
            "MAINTENANCE_WAFFLE_READ_ONLY_SWITCH",
            "one switch cannot turn on both maintenance and read-only mode.",
        ),
    ):
        if values[fields[first]] == values[fields[second]]:
            problems.append(
                Problem(
                    SettingsId.E010,
                    second,
                    f"must differ from {first}: {why}",
                    f"Use {DEFAULTS[second]!r}.",
                )
            )
            # The defaults always differ.
            values[fields[first]] = DEFAULTS[first]
            values[fields[second]] = DEFAULTS[second]

    too_long = [area for area, _ in values["areas"] if len(f"{values['switch_name']}:{area}") > 100]
    if too_long:
        problems.append(
            Problem(
                SettingsId.E018,
                "MAINTENANCE_WAFFLE_AREAS",
                f"gives switch names longer than waffle's 100 characters: "
                f"{', '.join(repr(area) for area in too_long)}.",
                "Use shorter area names (each area's switch is "
                "'<MAINTENANCE_WAFFLE_SWITCH>:<area>').",
            )
        )
        values["areas"] = tuple(area for area in values["areas"] if area[0] not in too_long)

    return Config(**values, problems=tuple(problems))


_config: Config | None = None
_logged: set[Problem] = set()
_dependents: list[Callable[..., None]] = []

# Settings assigned directly on django.conf.settings (``settings.MAINTENANCE_MODE = True``,
# as django-maintenance-mode's users do in their tests) send no signal. Such an assignment
# lands in the ``__dict__`` of the object holding the settings (override_settings' holder
# or Django's Settings), so get_config() compares that dictionary with what it held at the
# build: the settings of ours present (a value replaced; when its size changed, which of
# ours are present) and copies of those that are mutable containers (changed in place).
# The middleware's fast path reads only MAINTENANCE_MODE, the one setting that can take
# an idle site out of idleness. Replacing the holder (override_settings) sends
# setting_changed, which resets everything anyway.
_MISSING = object()
_STALE = object()  # never a setting's value: "rebuild before trusting the fast path"
_WATCHED = frozenset(
    [setting.name for setting in SETTINGS] + list(RENAMED_SETTINGS) + list(IGNORED_SETTINGS)
)
_built_values: dict[str, Any] = {}  # the holder's __dict__ at the build
_built_size = -1  # ... its size
_built_items: tuple[tuple[str, Any], ...] = ()  # ... the settings of ours in it
_built_copies: tuple[tuple[str, Any], ...] = ()  # copies of the mutable ones
_built_override: Any = _STALE


def _is_mutable(value: Any) -> bool:
    if isinstance(value, tuple):
        return any(map(_is_mutable, value))
    return isinstance(value, (list, dict, set, bytearray))


def _copy(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:  # an object that cannot be copied: its identity is watched
        return _MISSING


def _ours(values: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((name, values[name]) for name in values if name in _WATCHED)


def _assigned() -> bool:
    """Whether a setting of ours was assigned, deleted or changed in place since the build."""
    global _built_size, _built_items
    values = _built_values
    if len(values) == _built_size:
        for name, raw in _built_items:
            if values.get(name, _MISSING) is not raw:
                return True
    else:
        # A setting was added or deleted: nothing changed if ours are all there and equal.
        ours = _ours(values)
        if ours != _built_items:
            return True
        _built_size, _built_items = len(values), ours
    return bool(_built_copies) and any(values[name] != copied for name, copied in _built_copies)


def _remember_raw_values() -> None:
    global _built_values, _built_size, _built_items, _built_copies, _built_override
    _built_values = values = cast(Any, settings)._wrapped.__dict__
    _built_size = len(values)
    _built_items = _ours(values)
    _built_copies = tuple(
        (name, copied)
        for name, raw in _built_items
        if _is_mutable(raw) and (copied := _copy(raw)) is not _MISSING
    )
    _built_override = values.get("MAINTENANCE_MODE", _MISSING)


def override_unchanged() -> bool:
    """Whether ``settings.MAINTENANCE_MODE`` is still the value the current configuration
    was built from. One dictionary read, for the middleware's fast path."""
    return _built_values.get("MAINTENANCE_MODE", _MISSING) is _built_override


def get_config() -> Config:
    """Return the parsed configuration, building it on first use after a change."""
    global _config
    config = _config
    if config is not None and _assigned():
        reset()
        config = None
    if config is None:
        # Raw values first: an assignment made while building is seen on the next call.
        _remember_raw_values()
        config = _config = build()
        for problem in config.problems:
            # Only what changes behaviour (an invalid value, ignored), once: warnings
            # such as an ignored django-maintenance-mode setting are manage.py check's.
            if problem.id.startswith("E") and problem not in _logged:
                _logged.add(problem)
                logger.warning(
                    "settings.%s %s The value is ignored. (%s)",
                    problem.setting,
                    problem.message,
                    check_id(problem.id),
                )
    return config


def on_change(*receivers: Callable[..., None]) -> None:
    """Have ``reset`` also call ``receivers``: caches derived from settings elsewhere."""
    for receiver in receivers:
        if receiver not in _dependents:
            _dependents.append(receiver)


def reset(**kwargs: Any) -> None:
    """Re-derive the configuration on next use, and everything derived from settings.

    The ``setting_changed`` receiver (``override_settings``), also called when
    ``get_config`` finds a setting assigned directly.
    """
    global _config, _built_override
    _config = None
    _built_override = _STALE
    for receiver in _dependents:
        receiver(**kwargs)
