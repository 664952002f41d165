from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.module_loading import import_string

logger = logging.getLogger("maintenance_waffle")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Every setting this app reads, with its default. ``MAINTENANCE_MODE_*`` names and
#: defaults follow django-maintenance-mode, except where the README says otherwise.
DEFAULTS: dict[str, Any] = {
    "MAINTENANCE_MODE": None,
    "MAINTENANCE_MODE_IGNORE_ADMIN_SITE": True,
    "MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER": False,
    "MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER": False,
    "MAINTENANCE_MODE_IGNORE_STAFF": False,
    "MAINTENANCE_MODE_IGNORE_SUPERUSER": False,
    "MAINTENANCE_MODE_IGNORE_TESTS": False,
    "MAINTENANCE_MODE_IGNORE_IP_ADDRESSES": (),
    "MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS": None,
    "MAINTENANCE_MODE_GET_AUTHENTICATED_USER": None,
    "MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER": False,
    "MAINTENANCE_MODE_LOGOUT_STAFF_USER": None,
    "MAINTENANCE_MODE_LOGOUT_SUPERUSER": None,
    "MAINTENANCE_MODE_IGNORE_URLS": (),
    "MAINTENANCE_MODE_REDIRECT_URL": None,
    "MAINTENANCE_MODE_RESPONSE_TYPE": "auto",
    "MAINTENANCE_MODE_GET_CONTEXT": None,
    "MAINTENANCE_MODE_TEMPLATE": "503.html",
    "MAINTENANCE_MODE_STATUS_CODE": 503,
    "MAINTENANCE_MODE_RETRY_AFTER": 3600,
    "MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE": False,
    "MAINTENANCE_WAFFLE_SWITCH": "maintenance_mode",
    "MAINTENANCE_WAFFLE_FLAG": "maintenance_mode",
    "MAINTENANCE_WAFFLE_EXEMPT_FLAG": "maintenance_mode_exempt",
    "MAINTENANCE_WAFFLE_REFRESH_INTERVAL": 1.0,
    "MAINTENANCE_WAFFLE_MAX_STALENESS": 300.0,
    "MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES": False,
}


class Settings:
    """Read the app's settings from ``django.conf.settings`` at the time of use.

    One property per setting, named exactly like the setting, so that
    ``override_settings`` is always honoured.
    """

    def _get(self, name: str) -> Any:
        return getattr(settings, name, DEFAULTS[name])

    @property
    def MAINTENANCE_MODE(self) -> Any:
        return self._get("MAINTENANCE_MODE")

    @property
    def MAINTENANCE_MODE_IGNORE_ADMIN_SITE(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_ADMIN_SITE")

    @property
    def MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER")

    @property
    def MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER")

    @property
    def MAINTENANCE_MODE_IGNORE_STAFF(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_STAFF")

    @property
    def MAINTENANCE_MODE_IGNORE_SUPERUSER(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_SUPERUSER")

    @property
    def MAINTENANCE_MODE_IGNORE_TESTS(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_TESTS")

    @property
    def MAINTENANCE_MODE_IGNORE_IP_ADDRESSES(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_IP_ADDRESSES")

    @property
    def MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS(self) -> Any:
        return self._get("MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS")

    @property
    def MAINTENANCE_MODE_GET_AUTHENTICATED_USER(self) -> Any:
        return self._get("MAINTENANCE_MODE_GET_AUTHENTICATED_USER")

    @property
    def MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER(self) -> Any:
        return self._get("MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER")

    @property
    def MAINTENANCE_MODE_LOGOUT_STAFF_USER(self) -> Any:
        return self._get("MAINTENANCE_MODE_LOGOUT_STAFF_USER")

    @property
    def MAINTENANCE_MODE_LOGOUT_SUPERUSER(self) -> Any:
        return self._get("MAINTENANCE_MODE_LOGOUT_SUPERUSER")

    @property
    def MAINTENANCE_MODE_IGNORE_URLS(self) -> Any:
        return self._get("MAINTENANCE_MODE_IGNORE_URLS")

    @property
    def MAINTENANCE_MODE_REDIRECT_URL(self) -> Any:
        return self._get("MAINTENANCE_MODE_REDIRECT_URL")

    @property
    def MAINTENANCE_MODE_RESPONSE_TYPE(self) -> Any:
        return self._get("MAINTENANCE_MODE_RESPONSE_TYPE")

    @property
    def MAINTENANCE_MODE_GET_CONTEXT(self) -> Any:
        return self._get("MAINTENANCE_MODE_GET_CONTEXT")

    @property
    def MAINTENANCE_MODE_TEMPLATE(self) -> Any:
        return self._get("MAINTENANCE_MODE_TEMPLATE")

    @property
    def MAINTENANCE_MODE_STATUS_CODE(self) -> Any:
        return self._get("MAINTENANCE_MODE_STATUS_CODE")

    @property
    def MAINTENANCE_MODE_RETRY_AFTER(self) -> Any:
        return self._get("MAINTENANCE_MODE_RETRY_AFTER")

    @property
    def MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE(self) -> Any:
        return self._get("MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE")

    @property
    def MAINTENANCE_WAFFLE_SWITCH(self) -> Any:
        return self._get("MAINTENANCE_WAFFLE_SWITCH")

    @property
    def MAINTENANCE_WAFFLE_FLAG(self) -> Any:
        return self._get("MAINTENANCE_WAFFLE_FLAG")

    @property
    def MAINTENANCE_WAFFLE_EXEMPT_FLAG(self) -> Any:
        return self._get("MAINTENANCE_WAFFLE_EXEMPT_FLAG")

    @property
    def MAINTENANCE_WAFFLE_REFRESH_INTERVAL(self) -> Any:
        return self._get("MAINTENANCE_WAFFLE_REFRESH_INTERVAL")

    @property
    def MAINTENANCE_WAFFLE_MAX_STALENESS(self) -> Any:
        return self._get("MAINTENANCE_WAFFLE_MAX_STALENESS")

    @property
    def MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES(self) -> Any:
        return self._get("MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES")


conf = Settings()


# Derived configuration. Settings are parsed, compiled and imported once into a frozen
# ``Config``; a ``setting_changed`` receiver (connected in ``AppConfig.ready``) throws it
# away so that ``override_settings`` works. The same parser feeds the system checks, which
# report every problem, and the request path, which logs each problem once and uses the
# default instead: gunicorn does not run checks, and a bad setting must never become a 500.

RESPONSE_TYPES = ("auto", "html", "json")
BOOL_SETTINGS = (
    "MAINTENANCE_MODE_IGNORE_ADMIN_SITE",
    "MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER",
    "MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER",
    "MAINTENANCE_MODE_IGNORE_STAFF",
    "MAINTENANCE_MODE_IGNORE_SUPERUSER",
    "MAINTENANCE_MODE_IGNORE_TESTS",
    "MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER",
    "MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE",
    "MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES",
)
NAME_SETTINGS = (
    "MAINTENANCE_WAFFLE_SWITCH",
    "MAINTENANCE_WAFFLE_FLAG",
    "MAINTENANCE_WAFFLE_EXEMPT_FLAG",
)
#: django-maintenance-mode renamed these without an alias; upstream ignores them silently.
RENAMED_SETTINGS = {
    "MAINTENANCE_MODE_TEMPLATE_CONTEXT": "MAINTENANCE_MODE_GET_CONTEXT",
    "MAINTENANCE_MODE_GET_TEMPLATE_CONTEXT": "MAINTENANCE_MODE_GET_CONTEXT",
    "MAINTENANCE_MODE_IGNORE_TEST": "MAINTENANCE_MODE_IGNORE_TESTS",
}
#: django-maintenance-mode's state storage: here the state is waffle's.
IGNORED_SETTINGS = (
    "MAINTENANCE_MODE_STATE_BACKEND",
    "MAINTENANCE_MODE_STATE_FILE_NAME",
    "MAINTENANCE_MODE_STATE_FILE_PATH",
    "MAINTENANCE_MODE_CACHE_BACKEND",
)
SECONDS_SETTINGS = ("MAINTENANCE_WAFFLE_REFRESH_INTERVAL", "MAINTENANCE_WAFFLE_MAX_STALENESS")


@dataclass(frozen=True)
class Problem:
    """A setting whose value cannot be used as it is."""

    id: str
    setting: str
    message: str
    hint: str


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
    exempt_flag_name: str
    refresh_interval: float
    max_staleness: float
    trust_waffle_cookies: bool
    problems: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def user_exemptions(self) -> bool:
        return (
            self.ignore_anonymous_user
            or self.ignore_authenticated_user
            or self.ignore_staff
            or self.ignore_superuser
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


def _function(name: str, problems: list[Problem]) -> Callable[..., Any] | None:
    value = getattr(conf, name)
    if value is None:
        return None
    function, error = _resolve_function(value)
    if function is None:
        problems.append(
            Problem(
                "E015",
                name,
                error,
                "Give the dotted path of a function, e.g. 'myproject.utils.my_function', or None.",
            )
        )
    return function


def _sequence(name: str, value: Any, problems: list[Problem]) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    problems.append(
        Problem(
            "E012",
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
                    "E013",
                    name,
                    f"{str(entry)!r} is not a valid regular expression: {error}.",
                    "Fix or escape the pattern (re.escape).",
                )
            )
            return None
    problems.append(
        Problem(
            "E013",
            name,
            f"{entry!r} is not a string or a compiled pattern.",
            "Each entry must be a regular expression, as a string or re.compile(...).",
        )
    )
    return None


def _ip_entries(
    value: Any, problems: list[Problem]
) -> tuple[tuple[IPNetwork, ...], tuple[re.Pattern[str], ...]]:
    name = "MAINTENANCE_MODE_IGNORE_IP_ADDRESSES"
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


def _bool(name: str, problems: list[Problem]) -> bool:
    value = getattr(conf, name)
    # None is accepted as False: django-maintenance-mode's own defaults used it.
    if value is None or isinstance(value, bool):
        return bool(value)
    problems.append(
        Problem(
            "E004",
            name,
            f"must be True or False, not {value!r}.",
            "Use a real boolean; strings such as 'False' are true in Python.",
        )
    )
    return bool(DEFAULTS[name])


def _optional_bool(name: str, problems: list[Problem]) -> bool | None:
    """None (follow MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER), True or False."""
    value = getattr(conf, name)
    if value is None or isinstance(value, bool):
        return value
    problems.append(
        Problem(
            "E004",
            name,
            f"must be None, True or False, not {value!r}.",
            "None follows MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER.",
        )
    )
    return None


def _seconds(name: str, problems: list[Problem]) -> float:
    value = getattr(conf, name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    problems.append(
        Problem(
            "E011",
            name,
            f"must be a number of seconds (0 or more), not {value!r}.",
            f"For example {DEFAULTS[name]!r}.",
        )
    )
    return float(DEFAULTS[name])


def _waffle_name(name: str, problems: list[Problem]) -> str:
    value = getattr(conf, name)
    # Waffle's name columns are CharField(max_length=100).
    if isinstance(value, str) and 0 < len(value) <= 100:
        return value
    problems.append(
        Problem(
            "E009",
            name,
            f"must be a waffle name (a string of 1 to 100 characters), not {value!r}.",
            f"The default is {DEFAULTS[name]!r}.",
        )
    )
    return str(DEFAULTS[name])


def build() -> Config:
    """Parse every setting, collecting problems instead of raising."""
    problems: list[Problem] = []
    for old, new in RENAMED_SETTINGS.items():
        if hasattr(settings, old):
            problems.append(
                Problem(
                    "E014",
                    old,
                    f"was renamed to {new}; the old name has no effect.",
                    f"Rename settings.{old} to settings.{new}.",
                )
            )
    for name in IGNORED_SETTINGS:
        if hasattr(settings, name):
            problems.append(
                Problem(
                    "W002",
                    name,
                    "is ignored: the maintenance state is kept in waffle's switch, shared "
                    "by every process through the database.",
                    f"Remove settings.{name}.",
                )
            )

    override = conf.MAINTENANCE_MODE
    if override is not None and not isinstance(override, bool):
        problems.append(
            Problem(
                "E003",
                "MAINTENANCE_MODE",
                f"must be None, True or False, not {override!r}.",
                "A string such as 'False' would turn maintenance on: convert it to a bool.",
            )
        )
        override = None

    bools = {name: _bool(name, problems) for name in BOOL_SETTINGS}
    names = {name: _waffle_name(name, problems) for name in NAME_SETTINGS}
    if names["MAINTENANCE_WAFFLE_FLAG"] == names["MAINTENANCE_WAFFLE_EXEMPT_FLAG"]:
        problems.append(
            Problem(
                "E010",
                "MAINTENANCE_WAFFLE_EXEMPT_FLAG",
                "must differ from MAINTENANCE_WAFFLE_FLAG: one flag cannot both put "
                "requests into maintenance and exempt them.",
                f"Use {DEFAULTS['MAINTENANCE_WAFFLE_EXEMPT_FLAG']!r}.",
            )
        )
        for name in ("MAINTENANCE_WAFFLE_FLAG", "MAINTENANCE_WAFFLE_EXEMPT_FLAG"):
            names[name] = DEFAULTS[name]
    seconds = {name: _seconds(name, problems) for name in SECONDS_SETTINGS}

    networks, ip_patterns = _ip_entries(conf.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES, problems)
    url_patterns = tuple(
        pattern
        for entry in _sequence(
            "MAINTENANCE_MODE_IGNORE_URLS", conf.MAINTENANCE_MODE_IGNORE_URLS, problems
        )
        if (pattern := _compile("MAINTENANCE_MODE_IGNORE_URLS", entry, problems)) is not None
    )

    redirect_url = conf.MAINTENANCE_MODE_REDIRECT_URL
    if redirect_url is not None and not isinstance(redirect_url, (str, Promise)):
        problems.append(
            Problem(
                "E016",
                "MAINTENANCE_MODE_REDIRECT_URL",
                f"must be a URL, a URL name or None, not {redirect_url!r}.",
                "For example '/maintenance/'.",
            )
        )
        redirect_url = None

    response_type = conf.MAINTENANCE_MODE_RESPONSE_TYPE
    response_type_function = None
    if response_type not in RESPONSE_TYPES:
        response_type_function, error = _resolve_function(response_type)
        if response_type_function is None:
            problems.append(
                Problem(
                    "E007",
                    "MAINTENANCE_MODE_RESPONSE_TYPE",
                    f"must be 'auto', 'html', 'json' or the dotted path of a function: {error}",
                    "Use 'auto' (JSON for clients that ask for it, HTML otherwise), 'html', "
                    "'json', or a function(request) returning one of those.",
                )
            )
        response_type = DEFAULTS["MAINTENANCE_MODE_RESPONSE_TYPE"]

    template = conf.MAINTENANCE_MODE_TEMPLATE
    if not isinstance(template, str) or not template:
        problems.append(
            Problem(
                "E008",
                "MAINTENANCE_MODE_TEMPLATE",
                f"must be a template name, not {template!r}.",
                "The default is '503.html'.",
            )
        )
        template = DEFAULTS["MAINTENANCE_MODE_TEMPLATE"]

    status_code = conf.MAINTENANCE_MODE_STATUS_CODE
    if isinstance(status_code, str) and status_code.isascii() and status_code.isdigit():
        status_code = int(status_code)
    if (
        isinstance(status_code, bool)
        or not isinstance(status_code, int)
        or not (100 <= status_code <= 599)
    ):
        problems.append(
            Problem(
                "E005",
                "MAINTENANCE_MODE_STATUS_CODE",
                f"must be an HTTP status code from 100 to 599, not {status_code!r}.",
                "503 (Service Unavailable) is the code for maintenance (RFC 9110, 15.6.4).",
            )
        )
        status_code = DEFAULTS["MAINTENANCE_MODE_STATUS_CODE"]

    retry_after = conf.MAINTENANCE_MODE_RETRY_AFTER
    if not retry_after:
        retry_after_header = None
    elif isinstance(retry_after, int) and not isinstance(retry_after, bool) and retry_after > 0:
        retry_after_header = str(retry_after)
    elif isinstance(retry_after, str):
        # Seconds or an HTTP-date, passed through as upstream does (RFC 9110, 10.2.3).
        retry_after_header = retry_after
    else:
        problems.append(
            Problem(
                "E006",
                "MAINTENANCE_MODE_RETRY_AFTER",
                f"must be a number of seconds, an HTTP-date string or None, not {retry_after!r}.",
                "For example 3600; 0 or None sends no Retry-After header.",
            )
        )
        retry_after_header = str(DEFAULTS["MAINTENANCE_MODE_RETRY_AFTER"])

    return Config(
        override=override,
        ignore_admin_site=bools["MAINTENANCE_MODE_IGNORE_ADMIN_SITE"],
        ignore_anonymous_user=bools["MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER"],
        ignore_authenticated_user=bools["MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER"],
        ignore_staff=bools["MAINTENANCE_MODE_IGNORE_STAFF"],
        ignore_superuser=bools["MAINTENANCE_MODE_IGNORE_SUPERUSER"],
        ignore_tests=bools["MAINTENANCE_MODE_IGNORE_TESTS"],
        ignore_ip_networks=networks,
        ignore_ip_patterns=ip_patterns,
        get_client_ip_address=_function("MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS", problems),
        get_authenticated_user=_function("MAINTENANCE_MODE_GET_AUTHENTICATED_USER", problems),
        logout_authenticated_user=bools["MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER"],
        logout_staff_user=_optional_bool("MAINTENANCE_MODE_LOGOUT_STAFF_USER", problems),
        logout_superuser=_optional_bool("MAINTENANCE_MODE_LOGOUT_SUPERUSER", problems),
        ignore_url_patterns=url_patterns,
        redirect_url=None if redirect_url is None else str(redirect_url),
        response_type=response_type,
        response_type_function=response_type_function,
        get_context=_function("MAINTENANCE_MODE_GET_CONTEXT", problems),
        template=template,
        status_code=status_code,
        retry_after=retry_after_header,
        fallback_value=bools["MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE"],
        switch_name=names["MAINTENANCE_WAFFLE_SWITCH"],
        flag_name=names["MAINTENANCE_WAFFLE_FLAG"],
        exempt_flag_name=names["MAINTENANCE_WAFFLE_EXEMPT_FLAG"],
        refresh_interval=seconds["MAINTENANCE_WAFFLE_REFRESH_INTERVAL"],
        max_staleness=seconds["MAINTENANCE_WAFFLE_MAX_STALENESS"],
        trust_waffle_cookies=bools["MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES"],
        problems=tuple(problems),
    )


_config: Config | None = None
_logged: set[Problem] = set()


def get_config() -> Config:
    """Return the parsed configuration, building it on first use after a change."""
    global _config
    config = _config
    if config is None:
        config = _config = build()
        for problem in config.problems:
            if problem not in _logged:
                _logged.add(problem)
                logger.error(
                    "settings.%s %s The value is ignored. (maintenance_waffle.%s)",
                    problem.setting,
                    problem.message,
                    problem.id,
                )
    return config


def reset(**kwargs: Any) -> None:
    """``setting_changed`` receiver: re-derive the configuration on next use."""
    global _config
    _config = None
