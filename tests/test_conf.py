from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse_lazy
from django.utils import timezone

from maintenance_waffle import conf
from maintenance_waffle.conf import DEFAULTS, SETTINGS


def parsed_by(parse: conf.Parser) -> list[str]:
    return [setting.name for setting in SETTINGS if setting.parse is parse]


BOOL_SETTINGS = parsed_by(conf._bool)
NAME_SETTINGS = parsed_by(conf._waffle_name)
SECONDS_SETTINGS = parsed_by(conf._seconds)


def problem_ids(**overrides: Any) -> list[str]:
    with override_settings(**overrides):
        return [problem.id for problem in conf.build().problems]


# Settings: one property per setting, read when used ------------------------------------


def test_settings_has_exactly_one_property_per_default():
    names = {name for name in vars(conf.Settings) if name.isupper()}
    assert names == set(DEFAULTS)


def test_every_config_field_is_filled_by_exactly_one_setting():
    filled = [
        name
        for setting in SETTINGS
        for name in ((setting.field,) if isinstance(setting.field, str) else setting.field)
    ]
    assert sorted(filled) == sorted(
        field.name for field in dataclasses.fields(conf.Config) if field.name != "problems"
    )
    assert [setting.name for setting in SETTINGS] == list(DEFAULTS)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_setting_defaults_when_unset(name):
    # django-maintenance-mode's settings are published with their defaults (so code
    # written for it can read them), ours are not.
    assert hasattr(django_settings, name) is name.startswith("MAINTENANCE_MODE")
    assert getattr(conf.conf, name) == DEFAULTS[name]


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_setting_is_read_at_use_time(name, settings):
    value = object()
    setattr(settings, name, value)
    assert getattr(conf.conf, name) is value


# build(): valid values ------------------------------------------------------------------


def test_defaults_build_without_problems():
    config = conf.build()
    assert config.problems == ()
    assert config == conf.Config(
        override=None,
        ignore_admin_site=True,
        ignore_anonymous_user=False,
        ignore_authenticated_user=False,
        ignore_staff=False,
        ignore_superuser=False,
        ignore_tests=False,
        ignore_ip_networks=(),
        ignore_ip_patterns=(),
        get_client_ip_address=None,
        get_authenticated_user=None,
        logout_authenticated_user=False,
        logout_staff_user=None,
        logout_superuser=None,
        ignore_url_patterns=(),
        redirect_url=None,
        response_type="auto",
        response_type_function=None,
        get_context=None,
        template="503.html",
        status_code=503,
        retry_after="3600",
        fallback_value=False,
        switch_name="maintenance_mode",
        flag_name="maintenance_mode",
        exempt_flag_name="maintenance_mode_exempt",
        refresh_interval=1.0,
        full_refresh_interval=60.0,
        max_staleness=300.0,
        membership_cache_size=10_000,
        trust_waffle_cookies=False,
        read_only_switch_name="maintenance_mode_read_only",
        read_only_allowed_url_patterns=(),
        areas=(),
        celery_max_countdown=60.0,
    )


@pytest.mark.parametrize("value", [0, 1, 250_000])
def test_membership_cache_size_accepts_whole_numbers(value):
    with override_settings(MAINTENANCE_WAFFLE_MEMBERSHIP_CACHE_SIZE=value):
        config = conf.build()
    assert config.problems == ()
    assert config.membership_cache_size == value


@pytest.mark.parametrize("value", [None, True, False])
def test_maintenance_mode_accepts_none_and_bools(value):
    with override_settings(MAINTENANCE_MODE=value):
        config = conf.build()
    assert config.problems == ()
    assert config.override is value


@pytest.mark.parametrize("name", BOOL_SETTINGS)
@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), (None, False)])
def test_bool_settings_accept_bools_and_none(name, value, expected):
    with override_settings(**{name: value}):
        config = conf.build()
    assert config.problems == ()
    attribute = {
        "MAINTENANCE_MODE_IGNORE_ADMIN_SITE": "ignore_admin_site",
        "MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER": "ignore_anonymous_user",
        "MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER": "ignore_authenticated_user",
        "MAINTENANCE_MODE_IGNORE_STAFF": "ignore_staff",
        "MAINTENANCE_MODE_IGNORE_SUPERUSER": "ignore_superuser",
        "MAINTENANCE_MODE_IGNORE_TESTS": "ignore_tests",
        "MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER": "logout_authenticated_user",
        "MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE": "fallback_value",
        "MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES": "trust_waffle_cookies",
    }[name]
    assert getattr(config, attribute) is expected


@pytest.mark.parametrize(("value", "expected"), [("503", 503), (500, 500), (100, 100), (599, 599)])
def test_status_code_accepted(value, expected):
    with override_settings(MAINTENANCE_MODE_STATUS_CODE=value):
        config = conf.build()
    assert config.problems == ()
    assert config.status_code == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, None),
        (None, None),
        ("", None),
        (False, None),
        (60, "60"),
        ("120", "120"),
        ("Wed, 21 Oct 2037 07:28:00 GMT", "Wed, 21 Oct 2037 07:28:00 GMT"),
    ],
)
def test_retry_after_accepted(value, expected):
    with override_settings(MAINTENANCE_MODE_RETRY_AFTER=value):
        config = conf.build()
    assert config.problems == ()
    assert config.retry_after == expected


@pytest.mark.parametrize("value", ["auto", "html", "json"])
def test_response_type_names_accepted(value):
    with override_settings(MAINTENANCE_MODE_RESPONSE_TYPE=value):
        config = conf.build()
    assert config.problems == ()
    assert config.response_type == value
    assert config.response_type_function is None


def test_response_type_function_imported():
    with override_settings(MAINTENANCE_MODE_RESPONSE_TYPE="django.utils.timezone.now"):
        config = conf.build()
    assert config.problems == ()
    assert config.response_type_function is timezone.now
    assert config.response_type == "auto"


def test_template_accepted():
    with override_settings(MAINTENANCE_MODE_TEMPLATE="maintenance/down.html"):
        config = conf.build()
    assert config.problems == ()
    assert config.template == "maintenance/down.html"


def test_waffle_names_accepted():
    with override_settings(
        MAINTENANCE_WAFFLE_SWITCH="s",
        MAINTENANCE_WAFFLE_FLAG="f" * 100,
        MAINTENANCE_WAFFLE_EXEMPT_FLAG="exempt",
    ):
        config = conf.build()
    assert config.problems == ()
    assert (config.switch_name, config.flag_name, config.exempt_flag_name) == (
        "s",
        "f" * 100,
        "exempt",
    )


@pytest.mark.parametrize("name", SECONDS_SETTINGS)
@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (0.25, 0.25), (5, 5.0)])
def test_seconds_accepted_as_floats(name, value, expected):
    with override_settings(**{name: value}):
        config = conf.build()
    assert config.problems == ()
    seconds = {
        "MAINTENANCE_WAFFLE_REFRESH_INTERVAL": config.refresh_interval,
        "MAINTENANCE_WAFFLE_FULL_REFRESH_INTERVAL": config.full_refresh_interval,
        "MAINTENANCE_WAFFLE_MAX_STALENESS": config.max_staleness,
    }[name]
    assert seconds == expected
    assert type(seconds) is float


def test_ignore_urls_accept_strings_compiled_and_lazy_patterns():
    compiled = re.compile(r"^/compiled/")
    with override_settings(
        MAINTENANCE_MODE_IGNORE_URLS=[compiled, reverse_lazy("maintenance_page"), r"^/plain/"]
    ):
        config = conf.build()
    assert config.problems == ()
    assert config.ignore_url_patterns[0] is compiled
    assert [pattern.pattern for pattern in config.ignore_url_patterns[1:]] == [
        "/maintenance/",
        r"^/plain/",
    ]


@pytest.mark.parametrize("value", [None, (), {r"^/set/"}, frozenset()])
def test_ignore_urls_accept_none_and_other_collections(value):
    with override_settings(MAINTENANCE_MODE_IGNORE_URLS=value):
        config = conf.build()
    assert config.problems == ()
    assert [pattern.pattern for pattern in config.ignore_url_patterns] == list(value or ())


def test_ignore_ip_addresses_split_into_networks_and_patterns():
    compiled = re.compile(r"^172\.")
    with override_settings(
        MAINTENANCE_MODE_IGNORE_IP_ADDRESSES=(
            "10.0.0.0/8",
            "::1",
            " 192.0.2.7 ",
            "198.51.100.9/24",
            r"192\.168\..*",
            compiled,
        )
    ):
        config = conf.build()
    assert config.problems == ()
    assert config.ignore_ip_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("192.0.2.7/32"),
        ipaddress.ip_network("198.51.100.0/24"),
    )
    assert config.ignore_ip_patterns == (re.compile(r"192\.168\..*"), compiled)


@pytest.mark.parametrize(
    ("name", "attribute"),
    [
        ("MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS", "get_client_ip_address"),
        ("MAINTENANCE_MODE_GET_CONTEXT", "get_context"),
    ],
)
def test_function_settings_imported(name, attribute):
    with override_settings(**{name: "django.utils.timezone.now"}):
        config = conf.build()
    assert config.problems == ()
    assert getattr(config, attribute) is timezone.now


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/maintenance/", "/maintenance/"),
        ("maintenance_page", "maintenance_page"),
        (reverse_lazy("maintenance_page"), "/maintenance/"),
    ],
)
def test_redirect_url_accepts_strings_and_lazy_strings(value, expected):
    with override_settings(MAINTENANCE_MODE_REDIRECT_URL=value):
        config = conf.build()
    assert config.problems == ()
    assert config.redirect_url == expected
    assert type(config.redirect_url) is str


# build(): invalid values -> problem ids, defaults used instead ---------------------------


@pytest.mark.parametrize("value", ["yes", "False", 1, 0])
def test_maintenance_mode_not_bool_is_e003_and_ignored(value):
    with override_settings(MAINTENANCE_MODE=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E003"]
    assert config.override is None


@pytest.mark.parametrize("name", BOOL_SETTINGS)
@pytest.mark.parametrize("value", ["False", 1, 0, "yes"])
def test_bool_setting_not_bool_is_e004(name, value):
    assert problem_ids(**{name: value}) == ["E004"]


def test_bool_setting_problem_falls_back_to_default():
    with override_settings(
        MAINTENANCE_MODE_IGNORE_ADMIN_SITE="False", MAINTENANCE_MODE_IGNORE_STAFF="True"
    ):
        config = conf.build()
    assert [(problem.id, problem.setting) for problem in config.problems] == [
        ("E004", "MAINTENANCE_MODE_IGNORE_ADMIN_SITE"),
        ("E004", "MAINTENANCE_MODE_IGNORE_STAFF"),
    ]
    assert config.ignore_admin_site is True
    assert config.ignore_staff is False


@pytest.mark.parametrize("value", ["abc", "", " 503", 99, 600, 0, True, 503.0, None])
def test_status_code_invalid_is_e005(value):
    with override_settings(MAINTENANCE_MODE_STATUS_CODE=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E005"]
    assert config.status_code == 503


def test_status_code_non_ascii_digits_are_e005_not_a_crash():
    # "²".isdigit() is True, but int("²") raises ValueError.
    assert problem_ids(MAINTENANCE_MODE_STATUS_CODE="²") == ["E005"]


@pytest.mark.parametrize("value", [-1, 1.5, True, b"60", [60]])
def test_retry_after_invalid_is_e006(value):
    with override_settings(MAINTENANCE_MODE_RETRY_AFTER=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E006"]
    assert config.retry_after == "3600"


@pytest.mark.parametrize(
    "value",
    [
        "xml",
        "HTML",
        "",
        None,
        5,
        "nonexistent.module.fn",
        "maintenance_waffle.conf.no_such_function",
        "maintenance_waffle.conf.DEFAULTS",
    ],
)
def test_response_type_invalid_is_e007(value):
    with override_settings(MAINTENANCE_MODE_RESPONSE_TYPE=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E007"]
    assert config.response_type == "auto"
    assert config.response_type_function is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("xml", "'xml' cannot be imported (xml doesn't look like a module path)."),
        (None, "None is not a dotted path."),
        ("maintenance_waffle.conf.DEFAULTS", "'maintenance_waffle.conf.DEFAULTS' is not callable."),
    ],
)
def test_response_type_problem_says_why(value, reason):
    with override_settings(MAINTENANCE_MODE_RESPONSE_TYPE=value):
        (problem,) = conf.build().problems
    assert problem.setting == "MAINTENANCE_MODE_RESPONSE_TYPE"
    assert problem.message.endswith(reason)


@pytest.mark.parametrize("value", [".json", "..json"])
def test_response_type_relative_path_is_e007_not_a_crash(value):
    # import_string() raises ValueError / TypeError, not ImportError, for these.
    assert problem_ids(MAINTENANCE_MODE_RESPONSE_TYPE=value) == ["E007"]


@pytest.mark.parametrize("value", ["", None, 5])
def test_template_invalid_is_e008(value):
    with override_settings(MAINTENANCE_MODE_TEMPLATE=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E008"]
    assert config.template == "503.html"


@pytest.mark.parametrize("name", NAME_SETTINGS)
@pytest.mark.parametrize("value", ["", "x" * 101, 5, None])
def test_waffle_name_invalid_is_e009(name, value):
    with override_settings(**{name: value}):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E009"]
    assert (config.switch_name, config.flag_name, config.exempt_flag_name) == (
        "maintenance_mode",
        "maintenance_mode",
        "maintenance_mode_exempt",
    )


def test_same_flag_for_targeting_and_exemption_is_e010():
    with override_settings(MAINTENANCE_WAFFLE_FLAG="same", MAINTENANCE_WAFFLE_EXEMPT_FLAG="same"):
        config = conf.build()
    assert [(problem.id, problem.setting) for problem in config.problems] == [
        ("E010", "MAINTENANCE_WAFFLE_EXEMPT_FLAG")
    ]
    # Both fall back to their defaults, which always differ.
    assert config.flag_name == "maintenance_mode"
    assert config.exempt_flag_name == "maintenance_mode_exempt"


def test_e010_fallback_never_leaves_one_flag_for_both_roles():
    # The targeted flag renamed to the exempt flag's default name.
    with override_settings(MAINTENANCE_WAFFLE_FLAG="maintenance_mode_exempt"):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E010"]
    assert config.flag_name != config.exempt_flag_name


@pytest.mark.parametrize("name", SECONDS_SETTINGS)
@pytest.mark.parametrize("value", [-1, -0.5, "1", True, None, float("nan")])
def test_seconds_invalid_is_e011(name, value):
    with override_settings(**{name: value}):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E011"]
    assert (config.refresh_interval, config.max_staleness) == (1.0, 300.0)


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("/x", ["E012"]),
        (re.compile("/x"), ["E012"]),
        (["("], ["E013"]),
        ([5], ["E013"]),
        (["^/ok/", "(", 5], ["E013", "E013"]),
    ],
)
def test_ignore_urls_invalid(value, ids):
    with override_settings(MAINTENANCE_MODE_IGNORE_URLS=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ids
    assert [pattern.pattern for pattern in config.ignore_url_patterns] == (
        ["^/ok/"] if len(ids) == 2 else []
    )


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("127.0.0.1", ["E012"]),
        (["("], ["E013"]),
        ([5], ["E013"]),
        (["10.0.0.0/8", "(", ipaddress.ip_network("::1")], ["E013", "E013"]),
    ],
)
def test_ignore_ip_addresses_invalid(value, ids):
    with override_settings(MAINTENANCE_MODE_IGNORE_IP_ADDRESSES=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ids
    assert config.ignore_ip_patterns == ()
    assert config.ignore_ip_networks == (
        (ipaddress.ip_network("10.0.0.0/8"),) if len(ids) == 2 else ()
    )


@pytest.mark.parametrize(
    ("name", "attribute"),
    [
        ("MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS", "get_client_ip_address"),
        ("MAINTENANCE_MODE_GET_CONTEXT", "get_context"),
    ],
)
@pytest.mark.parametrize(
    "value", [5, "", "no.such.path", "nodots", "maintenance_waffle.conf.DEFAULTS"]
)
def test_function_setting_invalid_is_e015(name, attribute, value):
    with override_settings(**{name: value}):
        config = conf.build()
    assert [(problem.id, problem.setting) for problem in config.problems] == [("E015", name)]
    assert getattr(config, attribute) is None


@pytest.mark.parametrize(
    "name", ["MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS", "MAINTENANCE_MODE_GET_CONTEXT"]
)
def test_function_setting_relative_path_is_e015_not_a_crash(name):
    assert problem_ids(**{name: ".utils.get_ip"}) == ["E015"]


@pytest.mark.parametrize("value", [5, ["/x/"], b"/x/"])
def test_redirect_url_invalid_is_e016(value):
    with override_settings(MAINTENANCE_MODE_REDIRECT_URL=value):
        config = conf.build()
    assert [problem.id for problem in config.problems] == ["E016"]
    assert config.redirect_url is None


def test_every_problem_is_reported_in_one_build():
    assert problem_ids(
        MAINTENANCE_MODE="yes",
        MAINTENANCE_MODE_IGNORE_STAFF=1,
        MAINTENANCE_WAFFLE_SWITCH="",
        MAINTENANCE_WAFFLE_REFRESH_INTERVAL=-1,
        MAINTENANCE_MODE_IGNORE_IP_ADDRESSES="127.0.0.1",
        MAINTENANCE_MODE_IGNORE_URLS=["("],
        MAINTENANCE_MODE_REDIRECT_URL=5,
        MAINTENANCE_MODE_RESPONSE_TYPE="xml",
        MAINTENANCE_MODE_TEMPLATE="",
        MAINTENANCE_MODE_STATUS_CODE="abc",
        MAINTENANCE_MODE_RETRY_AFTER=-1,
        MAINTENANCE_MODE_GET_CONTEXT="no.such.path",
    ) == [
        # In the order of the settings (README's).
        "E003",
        "E004",
        "E012",
        "E013",
        "E016",
        "E007",
        "E015",
        "E008",
        "E005",
        "E006",
        "E009",
        "E011",
    ]


# Config ---------------------------------------------------------------------------------


def test_user_exemptions_false_by_default():
    assert conf.build().user_exemptions is False


@pytest.mark.parametrize(
    "name",
    [
        "MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER",
        "MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER",
        "MAINTENANCE_MODE_IGNORE_STAFF",
        "MAINTENANCE_MODE_IGNORE_SUPERUSER",
    ],
)
def test_user_exemptions_true_when_any_user_class_is_ignored(name):
    with override_settings(**{name: True}):
        assert conf.build().user_exemptions is True


# get_config(): cached, reset on setting_changed, each problem logged once --------------


def test_get_config_is_cached_until_reset():
    conf.reset()
    config = conf.get_config()
    assert conf.get_config() is config
    conf.reset()
    assert conf.get_config() is not config
    assert conf.get_config() == config


def test_override_settings_resets_the_cached_config():
    assert conf.get_config().status_code == 503
    with override_settings(MAINTENANCE_MODE_STATUS_CODE=500):
        assert conf.get_config().status_code == 500
    assert conf.get_config().status_code == 503


def test_settings_fixture_resets_the_cached_config(settings):
    assert conf.get_config().retry_after == "3600"
    settings.MAINTENANCE_MODE_RETRY_AFTER = 60
    assert conf.get_config().retry_after == "60"


def test_get_config_logs_each_problem_once(caplog):
    # Values unique to this test: problems are logged once per process.
    with (
        override_settings(
            MAINTENANCE_MODE_TEMPLATE=["logged", "once"],
            MAINTENANCE_MODE_STATUS_CODE="logged once",
        ),
        caplog.at_level(logging.WARNING, logger="maintenance_waffle"),
    ):
        conf.get_config()
        conf.get_config()
        conf.reset()
        config = conf.get_config()
    assert [problem.id for problem in config.problems] == ["E008", "E005"]
    template = (
        "settings.MAINTENANCE_MODE_TEMPLATE must be a template name, not ['logged', 'once']. "
        "The value is ignored. (maintenance_waffle.E008)"
    )
    status_code = (
        "settings.MAINTENANCE_MODE_STATUS_CODE must be an HTTP status code from 100 to 599, "
        "not 'logged once'. The value is ignored. (maintenance_waffle.E005)"
    )
    assert [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "maintenance_waffle"
    ] == [(logging.WARNING, template), (logging.WARNING, status_code)]


def test_get_config_leaves_warnings_to_the_checks(caplog):
    conf.reset()
    with (
        override_settings(MAINTENANCE_MODE_STATE_BACKEND="maintenance_mode.backends.X"),
        caplog.at_level(logging.DEBUG, logger="maintenance_waffle"),
    ):
        config = conf.get_config()
    assert [problem.id for problem in config.problems] == ["W002"]
    assert not [record for record in caplog.records if record.name == "maintenance_waffle"]


def test_get_config_logs_nothing_for_valid_settings(caplog):
    conf.reset()
    with caplog.at_level(logging.DEBUG, logger="maintenance_waffle"):
        conf.get_config()
    assert [record for record in caplog.records if record.name == "maintenance_waffle"] == []


# Settings assigned directly on django.conf.settings (no setting_changed) ----------------

live: Any = django_settings  # assigned on as projects do; the stubs know no such settings


@pytest.fixture
def holder(live_settings):
    """Our settings put back afterwards, and UNRELATED_SETTING removed."""
    yield live_settings
    if "UNRELATED_SETTING" in live._wrapped.__dict__:
        del live.UNRELATED_SETTING


def test_assigned_setting_is_parsed_on_next_use(holder):
    config = conf.get_config()
    live.MAINTENANCE_MODE_STATUS_CODE = 500
    assert conf.get_config().status_code == 500
    assert config.status_code == 503


@pytest.mark.parametrize(
    "change",
    [
        # Nothing changed, or nothing of ours: the configuration is not parsed again.
        lambda: None,
        lambda: setattr(django_settings, "UNRELATED_SETTING", 1),
        lambda: setattr(django_settings, "ALLOWED_HOSTS", live.ALLOWED_HOSTS),
    ],
)
def test_configuration_is_kept_while_no_setting_of_ours_changes(holder, change):
    live.MAINTENANCE_MODE_IGNORE_URLS = [r"^/a/"]
    config = conf.get_config()
    change()
    assert conf.get_config() is config
    assert conf.get_config() is config


def test_setting_changed_in_place_is_noticed(holder):
    live.MAINTENANCE_MODE_IGNORE_URLS = [r"^/a/"]
    live.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ("10.0.0.1", ["10.0.0.2"])
    conf.get_config()
    live.MAINTENANCE_MODE_IGNORE_URLS.append(r"^/b/")
    assert [p.pattern for p in conf.get_config().ignore_url_patterns] == [r"^/a/", r"^/b/"]
    live.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES[1].append("10.0.0.3")
    assert conf.get_config().problems  # the nested list is now reported (E013)


def test_setting_deleted_and_assigned_again_equal_is_no_change(holder):
    live.UNRELATED_SETTING = 1
    live.MAINTENANCE_MODE_IGNORE_URLS = [r"^/a/"]
    config = conf.get_config()
    del live.UNRELATED_SETTING
    live.MAINTENANCE_MODE_IGNORE_URLS = [r"^/a/"]
    assert conf.get_config() is config
    live.ALLOWED_HOSTS = live.ALLOWED_HOSTS
    assert conf.get_config() is config
    live.MAINTENANCE_MODE_IGNORE_URLS.append(r"^/b/")
    assert conf.get_config() is not config


def test_deleted_setting_is_noticed_even_when_another_is_added(holder):
    live.MAINTENANCE_MODE_RETRY_AFTER = 60
    assert conf.get_config().retry_after == "60"
    del live.MAINTENANCE_MODE_RETRY_AFTER
    live.UNRELATED_SETTING = 1  # the holder's size is as before
    assert conf.get_config().retry_after == "3600"


def test_setting_added_is_noticed(holder):
    conf.get_config()
    live.MAINTENANCE_MODE_TEMPLATE = "mine.html"
    assert conf.get_config().template == "mine.html"


class Uncopyable:
    def __deepcopy__(self, memo):
        raise TypeError("no copies")


def test_value_that_cannot_be_copied_is_watched_by_identity(holder):
    entry = Uncopyable()
    live.MAINTENANCE_MODE_IGNORE_URLS = [entry]
    config = conf.get_config()
    assert conf.get_config() is config
    live.MAINTENANCE_MODE_IGNORE_URLS = [r"^/a/"]
    assert conf.get_config() is not config


def test_override_unchanged_follows_maintenance_mode(holder):
    conf.reset()
    assert not conf.override_unchanged()  # nothing built yet: take the full path
    conf.get_config()
    assert conf.override_unchanged()
    live.MAINTENANCE_MODE = True
    assert not conf.override_unchanged()
    assert conf.get_config().override is True
    assert conf.override_unchanged()


def test_reset_resets_what_is_derived_from_settings(holder):
    calls = []

    def dependent(**kwargs):
        calls.append(kwargs)

    conf.get_config()
    conf.on_change(dependent, dependent)
    try:
        live.MAINTENANCE_MODE_STATUS_CODE = 500
        conf.get_config()
        with override_settings(MAINTENANCE_MODE_STATUS_CODE=502):
            pass
    finally:
        conf._dependents.remove(dependent)
    assert calls[0] == {}
    assert len(calls) == 3  # the assignment, and override_settings' enter and exit
