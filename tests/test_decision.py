from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.core import checks
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest
from django.test import RequestFactory, override_settings
from django.urls import clear_script_prefix, set_script_prefix, set_urlconf
from model_bakery import baker
from pytest_django import Settings

from maintenance_waffle import decision
from maintenance_waffle.conf import get_config
from maintenance_waffle.decision import (
    EXEMPT,
    MAINTENANCE,
    PASS,
    Decision,
    bucket,
    decide,
    flag_is_active,
    site_wide,
    visitor,
)
from maintenance_waffle.state import FlagRule, Snapshot, Window, make_snapshot

FLAG = "maintenance_mode"
EXEMPT_FLAG = "maintenance_mode_exempt"


def on(exempt: FlagRule | None = None) -> Snapshot:
    """Site-wide maintenance with the given exempt flag."""
    return make_snapshot(get_config(), switch=True, exempt=exempt)


def on_with_default_exempt() -> Snapshot:
    """Site-wide maintenance, exempt flag as the data migration creates it."""
    return on(FlagRule(name=EXEMPT_FLAG, superusers=True))


def anonymous(rf: RequestFactory, path: str = "/", **extra: Any) -> WSGIRequest:
    request = rf.get(path, **extra)
    request.user = AnonymousUser()
    return request


def user_request(rf: RequestFactory, path: str = "/", **fields: Any) -> WSGIRequest:
    """A request from an unsaved user (no database needed); ``id`` defaults to 7."""
    request = rf.get(path)
    request.user = baker.prepare(User, **{"id": 7, **fields})
    return request


def verdict(request: WSGIRequest, snapshot: Snapshot | None = None) -> Decision:
    return decide(request, snapshot or on_with_default_exempt(), get_config())


def active(rule: FlagRule | None, request: WSGIRequest) -> bool:
    return flag_is_active(rule, request, get_config())


def entry_percent(request: WSGIRequest, name: str = FLAG) -> float:
    """The smallest percentage (in steps of 0.1) at which ``name`` is active for request.

    Raising a percentage only adds visitors, so a binary search finds it; two requests
    with the same entry point are (almost surely) the same visitor to the flag.
    """
    low, high = 0, 1000  # tenths of a percent: inactive at low, active at high
    while high - low > 1:
        middle = (low + high) // 2
        if active(FlagRule(name=name, percent=middle / 10), request):
            high = middle
        else:
            low = middle
    return high / 10


# The site-wide state -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "switch", "expected"),
    [(None, False, False), (None, True, True), (True, False, True), (False, True, False)],
)
def test_site_wide_override_beats_switch(
    settings: Settings, override: bool | None, switch: bool, expected: bool
) -> None:
    settings.MAINTENANCE_MODE = override
    config = get_config()
    assert site_wide(make_snapshot(config, switch=switch), config) is expected


def test_decisions_say_whether_maintenance_applies_and_whether_to_respond() -> None:
    assert (PASS.applies, PASS.respond) == (False, False)
    assert (EXEMPT.applies, EXEMPT.respond) == (True, False)
    assert (MAINTENANCE.applies, MAINTENANCE.respond) == (True, True)


def test_decide_passes_when_nothing_is_active(rf: RequestFactory) -> None:
    config = get_config()
    assert decide(anonymous(rf), make_snapshot(config), config) == PASS


def test_decide_passes_when_the_setting_overrides_the_switch_off(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE = False
    assert verdict(anonymous(rf)) == PASS


def test_decide_maintenance_when_the_setting_overrides_the_switch_on(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE = True
    config = get_config()
    assert decide(anonymous(rf), make_snapshot(config), config) == MAINTENANCE


def test_decide_maintenance_for_an_anonymous_visitor(rf: RequestFactory) -> None:
    assert verdict(anonymous(rf)) == MAINTENANCE


def test_decide_exempt_for_a_superuser_by_default(rf: RequestFactory) -> None:
    assert verdict(user_request(rf, is_superuser=True)) == EXEMPT


def test_decide_targeted_flag_applies_while_the_switch_is_off(rf: RequestFactory) -> None:
    config = get_config()
    snapshot = make_snapshot(config, flag=FlagRule(name=FLAG, languages=frozenset({"de"})))
    german = anonymous(rf)
    german.LANGUAGE_CODE = "de"
    english = anonymous(rf)
    english.LANGUAGE_CODE = "en"
    assert decide(german, snapshot, config) == MAINTENANCE
    assert decide(english, snapshot, config) == PASS


# Flags ---------------------------------------------------------------------------------


def test_no_rule_is_never_active(rf: RequestFactory) -> None:
    assert active(None, user_request(rf, is_superuser=True)) is False


@pytest.mark.parametrize("everyone", [True, False])
def test_everyone_decides_alone(rf: RequestFactory, everyone: bool) -> None:
    rule = FlagRule(name=FLAG, everyone=everyone, superusers=True, percent=100.0)
    assert active(rule, user_request(rf, is_superuser=True)) is everyone
    assert active(rule, anonymous(rf)) is everyone


def test_languages(rf: RequestFactory) -> None:
    rule = FlagRule(name=FLAG, languages=frozenset({"de", "fr"}))
    german = anonymous(rf)
    german.LANGUAGE_CODE = "de"
    english = anonymous(rf)
    english.LANGUAGE_CODE = "en"
    assert active(rule, german) is True
    assert active(rule, english) is False
    # No LocaleMiddleware: no language, no match.
    assert active(rule, anonymous(rf)) is False


def groups_of(groups: dict[int, set[int]]) -> Callable[[Any], frozenset[Any]]:
    """A rule's ``members``: the groups of each user id."""
    return lambda user_id: frozenset(groups.get(user_id, ()))


@pytest.mark.parametrize(
    ("criteria", "fields", "expected"),
    [
        ({"authenticated": True}, {}, True),
        ({"staff": True}, {"is_staff": True}, True),
        ({"staff": True}, {"is_superuser": True}, False),
        ({"superusers": True}, {"is_superuser": True}, True),
        ({"superusers": True}, {"is_staff": True}, False),
        ({"user_ids": frozenset({7})}, {}, True),
        ({"user_ids": frozenset({8})}, {}, False),
        ({"group_ids": frozenset({3}), "members": groups_of({7: {3}})}, {}, True),
        ({"group_ids": frozenset({3}), "members": groups_of({8: {3}})}, {}, False),
        ({"group_ids": frozenset({3}), "members": groups_of({7: {4}})}, {}, False),
        # No user criterion at all: even a superuser does not match.
        ({}, {"is_staff": True, "is_superuser": True}, False),
    ],
)
def test_user_criteria(
    rf: RequestFactory, criteria: dict[str, Any], fields: dict[str, Any], expected: bool
) -> None:
    assert active(FlagRule(name=FLAG, **criteria), user_request(rf, **fields)) is expected


def test_anonymous_user_never_matches_user_criteria(rf: RequestFactory) -> None:
    # AnonymousUser.pk is None; listing None must not let it in.
    rule = FlagRule(
        name=FLAG,
        authenticated=True,
        staff=True,
        superusers=True,
        user_ids=frozenset({None}),
        group_ids=frozenset({3}),
        members=lambda user_id: frozenset({3}),
    )
    assert active(rule, anonymous(rf)) is False


def test_without_a_user_attribute_percent_still_uses_the_client_ip(rf: RequestFactory) -> None:
    without_user = rf.get("/", REMOTE_ADDR="10.1.2.3")
    assert not hasattr(without_user, "user")
    assert active(FlagRule(name=FLAG, authenticated=True), without_user) is False
    assert active(FlagRule(name=FLAG, percent=100.0), without_user) is True
    assert entry_percent(without_user) == entry_percent(anonymous(rf, REMOTE_ADDR="10.1.2.3"))


# Percentages ---------------------------------------------------------------------------


def test_bucket_is_deterministic_and_in_range() -> None:
    identities = [f"visitor-{number}" for number in range(200)]
    buckets = [bucket(FLAG, identity) for identity in identities]
    assert buckets == [bucket(FLAG, identity) for identity in identities]
    assert all(0 <= value < 100 for value in buckets)
    assert len(set(buckets)) > 100  # spread over the range, not a constant
    # Each flag buckets visitors independently.
    assert buckets != [bucket(EXEMPT_FLAG, identity) for identity in identities]


def test_raising_the_percentage_only_adds_visitors(rf: RequestFactory) -> None:
    requests = [
        anonymous(rf, REMOTE_ADDR=f"10.0.{number // 100}.{number % 100}") for number in range(200)
    ]
    at_30 = {n for n, request in enumerate(requests) if active(FlagRule(FLAG, percent=30), request)}
    at_60 = {n for n, request in enumerate(requests) if active(FlagRule(FLAG, percent=60), request)}
    assert at_30 <= at_60
    assert 40 <= len(at_30) <= 80  # 20 % to 40 % of 200
    assert len(at_60) > len(at_30)


def test_percent_is_stable_per_visitor(rf: RequestFactory) -> None:
    rule = FlagRule(name=FLAG, percent=50.0)
    request = anonymous(rf, REMOTE_ADDR="10.0.0.1")
    assert {active(rule, request) for _ in range(20)} == {active(rule, request)}
    # The entry point is where the visitor joins: inactive just below, active from it on.
    entry = entry_percent(request)
    assert active(FlagRule(name=FLAG, percent=entry), request) is True
    assert active(FlagRule(name=FLAG, percent=round(entry - 0.1, 1)), request) is False


def test_identity_is_the_user_id_when_authenticated(rf: RequestFactory) -> None:
    at_home = user_request(rf, id=42)
    at_home.META["REMOTE_ADDR"] = "10.0.0.1"
    travelling = user_request(rf, id=42)
    travelling.META["REMOTE_ADDR"] = "10.9.9.9"
    travelling.session = SessionStore()
    assert entry_percent(at_home) == entry_percent(travelling)
    users = [user_request(rf, id=number) for number in range(1, 21)]
    assert len({entry_percent(request) for request in users}) > 1


def test_identity_falls_back_to_the_client_ip(rf: RequestFactory) -> None:
    addresses = [f"192.0.2.{number}" for number in range(1, 21)]
    entries = [entry_percent(anonymous(rf, REMOTE_ADDR=address)) for address in addresses]
    assert entries == [entry_percent(anonymous(rf, REMOTE_ADDR=address)) for address in addresses]
    assert len(set(entries)) > 1
    # A session without a key (nothing stored yet) does not change the identity.
    request = anonymous(rf, REMOTE_ADDR=addresses[0])
    request.session = SessionStore()
    assert entry_percent(request) == entries[0]


@pytest.mark.django_db
def test_identity_is_a_session_key_the_store_knows(rf: RequestFactory) -> None:
    store = SessionStore()
    store.create()

    def with_session(address: str) -> WSGIRequest:
        request = anonymous(rf, REMOTE_ADDR=address)
        request.session = SessionStore(session_key=store.session_key)
        return request

    # Precondition: as IPs, these two addresses are different visitors.
    assert entry_percent(anonymous(rf, REMOTE_ADDR="10.0.0.1")) != entry_percent(
        anonymous(rf, REMOTE_ADDR="10.0.0.3")
    )
    assert entry_percent(with_session("10.0.0.1")) == entry_percent(with_session("10.0.0.3"))


@pytest.mark.django_db
def test_identity_ignores_a_made_up_session_key(rf: RequestFactory) -> None:
    def forged(address: str) -> WSGIRequest:
        request = anonymous(rf, REMOTE_ADDR=address)
        request.session = SessionStore(session_key="madeup" * 6)
        return request

    for address in ("10.0.0.1", "10.0.0.3"):
        request = forged(address)
        assert entry_percent(request) == entry_percent(anonymous(rf, REMOTE_ADDR=address))
        assert request.session.session_key is None


def test_identity_uses_the_configured_client_ip_getter(
    settings: Settings, rf: RequestFactory
) -> None:
    expected = entry_percent(anonymous(rf, REMOTE_ADDR="10.0.0.1"))
    settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = "tests.hooks.client_ip"
    proxied = anonymous(rf, REMOTE_ADDR="10.9.9.9", headers={"X-Real-IP": "10.0.0.1"})
    assert entry_percent(proxied) == expected


# Waffle's cookies, testing mode and WAFFLE_OVERRIDE are not trusted by default ---------


def test_forged_percent_cookies_change_nothing(rf: RequestFactory) -> None:
    entry = entry_percent(anonymous(rf, REMOTE_ADDR="10.0.0.1"))
    below = round(entry - 0.1, 1)
    forged_on = anonymous(rf, REMOTE_ADDR="10.0.0.1", HTTP_COOKIE="dwf_maintenance_mode=True")
    forged_off = anonymous(rf, REMOTE_ADDR="10.0.0.1", HTTP_COOKIE="dwf_maintenance_mode=False")
    assert active(FlagRule(name=FLAG, percent=below), forged_on) is False
    assert active(FlagRule(name=FLAG, percent=entry), forged_off) is True
    assert not hasattr(forged_on, "waffles")
    assert not hasattr(forged_off, "waffles")


@pytest.mark.parametrize(
    "extra",
    [
        {"data": {"dwft_maintenance_mode": "1"}},
        {"headers": {"DWFT-maintenance-mode": "1"}},
        {"HTTP_COOKIE": "dwft_maintenance_mode=True"},
    ],
)
def test_forged_testing_mode_changes_nothing(rf: RequestFactory, extra: dict[str, Any]) -> None:
    request = anonymous(rf, **extra)
    rule = FlagRule(name=FLAG, testing=True)
    assert active(rule, request) is False
    assert not hasattr(request, "waffle_tests")
    assert make_snapshot(get_config(), flag=rule).idle is True


def test_waffle_override_query_changes_nothing(settings: Settings, rf: RequestFactory) -> None:
    settings.WAFFLE_OVERRIDE = True
    assert verdict(anonymous(rf, data={EXEMPT_FLAG: "1"})) == MAINTENANCE
    assert active(FlagRule(name=FLAG, everyone=True), anonymous(rf, data={FLAG: "0"})) is True
    assert active(FlagRule(name=FLAG, everyone=False), anonymous(rf, data={FLAG: "1"})) is False
    assert make_snapshot(get_config(), flag=FlagRule(name=FLAG, everyone=False)).idle is True


# ... and decide when the project trusts them -------------------------------------------


@pytest.fixture
def trust(settings: Settings) -> Settings:
    settings.MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES = True
    return settings


def test_trusted_waffle_override_beats_everyone(trust: Settings, rf: RequestFactory) -> None:
    trust.WAFFLE_OVERRIDE = True
    assert active(FlagRule(name=FLAG, everyone=False), anonymous(rf, data={FLAG: "1"})) is True
    assert active(FlagRule(name=FLAG, everyone=True), anonymous(rf, data={FLAG: "0"})) is False
    assert active(FlagRule(name=FLAG, everyone=True), anonymous(rf)) is True
    assert verdict(anonymous(rf, data={EXEMPT_FLAG: "1"})) == EXEMPT


def test_trusted_query_is_ignored_without_waffle_override(
    trust: Settings, rf: RequestFactory
) -> None:
    assert active(FlagRule(name=FLAG, everyone=False), anonymous(rf, data={FLAG: "1"})) is False


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"data": {"dwft_maintenance_mode": "1"}}, True),
        ({"data": {"dwft_maintenance_mode": "0"}}, False),
        ({"headers": {"DWFT-maintenance-mode": "1"}}, True),
        ({"headers": {"DWFT-maintenance-mode": "yes"}}, False),
    ],
)
def test_trusted_testing_mode_query_and_header_are_recorded(
    trust: Settings, rf: RequestFactory, extra: dict[str, Any], expected: bool
) -> None:
    request = anonymous(rf, **extra)
    # The flag would be on for every German visitor: the test parameter wins.
    request.LANGUAGE_CODE = "de"
    rule = FlagRule(name=FLAG, testing=True, languages=frozenset({"de"}))
    assert active(rule, request) is expected
    assert request.waffle_tests == {FLAG: expected}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("cookie", "expected"), [("True", True), ("False", False)])
def test_trusted_testing_mode_cookie(
    trust: Settings, rf: RequestFactory, cookie: str, expected: bool
) -> None:
    request = anonymous(rf, HTTP_COOKIE=f"dwft_maintenance_mode={cookie}")
    assert active(FlagRule(name=FLAG, testing=True, percent=50.0), request) is expected
    assert not hasattr(request, "waffle_tests")


def test_trusted_testing_mode_falls_through_without_a_test_parameter(
    trust: Settings, rf: RequestFactory
) -> None:
    request = anonymous(rf)
    request.LANGUAGE_CODE = "de"
    assert active(FlagRule(name=FLAG, testing=True, languages=frozenset({"de"})), request) is True
    assert active(FlagRule(name=FLAG, testing=True), request) is False
    assert not hasattr(request, "waffle_tests")


def test_trusted_testing_parameter_needs_testing_on(trust: Settings, rf: RequestFactory) -> None:
    request = anonymous(rf, data={"dwft_maintenance_mode": "1"})
    assert active(FlagRule(name=FLAG, authenticated=True), request) is False
    assert not hasattr(request, "waffle_tests")


@pytest.mark.parametrize(("decided", "percent"), [(True, 0.1), (False, 99.9)])
def test_trusted_percent_reuses_the_request_decision(
    trust: Settings, rf: RequestFactory, decided: bool, percent: float
) -> None:
    request = anonymous(rf, HTTP_COOKIE=f"dwf_maintenance_mode={not decided}")
    request.waffles = {FLAG: [decided, False]}  # type: ignore[attr-defined]
    assert active(FlagRule(name=FLAG, percent=percent), request) is decided
    assert request.waffles == {FLAG: [decided, False]}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cookie", "percent", "expected"), [("True", 0.1, True), ("False", 99.9, False)]
)
def test_trusted_percent_cookie_decides_and_is_recorded(
    trust: Settings, rf: RequestFactory, cookie: str, percent: float, expected: bool
) -> None:
    request = anonymous(rf, HTTP_COOKIE=f"dwf_maintenance_mode={cookie}")
    assert active(FlagRule(name=FLAG, percent=percent, rollout=True), request) is expected
    assert request.waffles == {FLAG: [expected, True]}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("percent", "expected"), [(10.0, True), (9.9, False)])
def test_trusted_percent_rolls_the_dice_and_records_the_result(
    trust: Settings,
    rf: RequestFactory,
    monkeypatch: pytest.MonkeyPatch,
    percent: float,
    expected: bool,
) -> None:
    monkeypatch.setattr("maintenance_waffle.decision.random.uniform", lambda low, high: 10.0)
    request = anonymous(rf)
    assert active(FlagRule(name=FLAG, percent=percent, rollout=True), request) is expected
    assert request.waffles == {FLAG: [expected, True]}  # type: ignore[attr-defined]


def test_trusted_percent_999_is_on(trust: Settings, rf: RequestFactory) -> None:
    # Only a roll above 99.9 out of 100 could make this False.
    request = anonymous(rf)
    assert active(FlagRule(name=FLAG, percent=99.9), request) is True
    assert request.waffles == {FLAG: [True, False]}  # type: ignore[attr-defined]


def test_snapshot_idle_with_trusted_testing_mode(settings: Settings) -> None:
    rule = FlagRule(name=FLAG, testing=True)
    assert make_snapshot(get_config(), flag=rule).idle is True
    settings.MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES = True
    assert make_snapshot(get_config(), flag=rule).idle is False


def test_snapshot_idle_with_trusted_waffle_override(settings: Settings) -> None:
    rule = FlagRule(name=FLAG, everyone=False)
    settings.MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES = True
    assert make_snapshot(get_config(), flag=rule).idle is True
    settings.WAFFLE_OVERRIDE = True
    assert make_snapshot(get_config(), flag=rule).idle is False
    assert make_snapshot(get_config(), flag=None).idle is True


# Path exemptions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/admin/", EXEMPT),
        ("/admin", EXEMPT),
        ("/admin/login/", EXEMPT),
        ("/administrator", MAINTENANCE),
        ("/", MAINTENANCE),
    ],
)
def test_admin_site_is_exempt_by_default(rf: RequestFactory, path: str, expected: Decision) -> None:
    assert verdict(anonymous(rf, path)) == expected


def test_admin_site_is_not_exempt_when_ignore_admin_site_is_off(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_ADMIN_SITE = False
    assert verdict(anonymous(rf, "/admin/")) == MAINTENANCE


def test_nothing_is_exempt_when_the_admin_and_our_urls_are_not_routed(
    settings: Settings, rf: RequestFactory
) -> None:
    assert verdict(anonymous(rf, "/admin/")) == EXEMPT
    settings.ROOT_URLCONF = "tests.urls_no_admin"
    assert verdict(anonymous(rf, "/admin/")) == MAINTENANCE
    assert verdict(anonymous(rf, "/maintenance-mode/off/")) == MAINTENANCE


def test_the_request_urlconf_is_honoured(rf: RequestFactory) -> None:
    request = anonymous(rf, "/admin/")
    request.urlconf = "tests.urls_no_admin"
    assert verdict(request) == MAINTENANCE
    assert verdict(anonymous(rf, "/admin/")) == EXEMPT


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/maintenance-mode/off/", EXEMPT),
        ("/maintenance-mode/on/", EXEMPT),
        ("/maintenance-mode/off", MAINTENANCE),
        ("/maintenance-mode/off/more/", MAINTENANCE),
        ("/maintenance-mode/", MAINTENANCE),
    ],
)
def test_our_on_off_urls_are_exempt_by_exact_path(
    rf: RequestFactory, path: str, expected: Decision
) -> None:
    assert verdict(anonymous(rf, path)) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/healthz", EXEMPT),
        ("/healthz/deep", EXEMPT),
        ("/api/v2/items/", EXEMPT),
        ("/api/vx/items/", MAINTENANCE),
        ("/v1/api/v2/", MAINTENANCE),  # match is anchored at the start
        ("/status/", MAINTENANCE),  # "status/" lacks the leading slash
        ("/", MAINTENANCE),
    ],
)
def test_ignore_urls_are_regexes_matched_at_the_start(
    settings: Settings, rf: RequestFactory, path: str, expected: Decision
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_URLS = ("/healthz", re.compile(r"/api/v\d+/"), "status/")
    assert verdict(anonymous(rf, path)) == expected


@pytest.mark.parametrize(
    ("redirect_url", "path", "expected"),
    [
        ("/maintenance/", "/maintenance/", EXEMPT),
        ("/maintenance/", "/maintenance/details/", EXEMPT),
        ("/maintenance/", "/", MAINTENANCE),
        ("maintenance_page", "/maintenance/", EXEMPT),
        ("maintenance_page", "/", MAINTENANCE),
        ("https://status.example.com/", "/", MAINTENANCE),
        ("https://status.example.com/", "/maintenance/", MAINTENANCE),
        ("no_such_url_name", "/maintenance/", MAINTENANCE),
    ],
)
def test_the_redirect_target_is_exempt(
    settings: Settings, rf: RequestFactory, redirect_url: str, path: str, expected: Decision
) -> None:
    settings.MAINTENANCE_MODE_REDIRECT_URL = redirect_url
    assert verdict(anonymous(rf, path)) == expected


def test_path_exemptions_work_under_a_script_prefix(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_REDIRECT_URL = "maintenance_page"

    def prefixed(path: str) -> WSGIRequest:
        return anonymous(rf, path, SCRIPT_NAME="/prefix")

    decision.reset()
    set_script_prefix("/prefix/")
    try:
        request = prefixed("/admin/")
        assert (request.path, request.path_info) == ("/prefix/admin/", "/admin/")
        assert verdict(request) == EXEMPT
        assert verdict(prefixed("/maintenance-mode/off/")) == EXEMPT
        assert verdict(prefixed("/maintenance/")) == EXEMPT
        assert verdict(prefixed("/class-force-off/")) == EXEMPT
        assert verdict(prefixed("/")) == MAINTENANCE
        assert verdict(prefixed("/prefix/admin/")) == MAINTENANCE
    finally:
        clear_script_prefix()
        decision.reset()


def test_redirect_target_path_under_a_script_prefix(settings: Settings, rf: RequestFactory) -> None:
    # The setting is where browsers are sent, so under SCRIPT_NAME it carries the prefix;
    # the request for it has the prefix-less path_info and must not be redirected again.
    settings.MAINTENANCE_MODE_REDIRECT_URL = "/prefix/maintenance/"
    decision.reset()
    set_script_prefix("/prefix/")
    try:
        assert verdict(anonymous(rf, "/maintenance/", SCRIPT_NAME="/prefix")) == EXEMPT
        assert verdict(anonymous(rf, "/", SCRIPT_NAME="/prefix")) == MAINTENANCE
    finally:
        clear_script_prefix()
        decision.reset()


# User exemptions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "fields", "expected"),
    [
        ("MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER", None, EXEMPT),
        ("MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER", {}, MAINTENANCE),
        ("MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER", {}, EXEMPT),
        ("MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER", None, MAINTENANCE),
        ("MAINTENANCE_MODE_IGNORE_STAFF", {"is_staff": True}, EXEMPT),
        ("MAINTENANCE_MODE_IGNORE_STAFF", {"is_staff": True, "is_active": False}, EXEMPT),
        # A superuser who is not staff is not covered by IGNORE_STAFF (as upstream).
        ("MAINTENANCE_MODE_IGNORE_STAFF", {"is_superuser": True}, MAINTENANCE),
        ("MAINTENANCE_MODE_IGNORE_SUPERUSER", {"is_superuser": True}, EXEMPT),
        ("MAINTENANCE_MODE_IGNORE_SUPERUSER", {"is_staff": True}, MAINTENANCE),
    ],
)
def test_user_class_exemptions(
    settings: Settings,
    rf: RequestFactory,
    setting: str,
    fields: dict[str, Any] | None,
    expected: Decision,
) -> None:
    request = anonymous(rf) if fields is None else user_request(rf, **fields)
    # No exempt flag, so that only the setting can exempt.
    assert verdict(request, on()) == MAINTENANCE
    setattr(settings, setting, True)
    assert verdict(request, on()) == expected


def test_user_class_exemptions_need_a_user(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER = True
    assert verdict(rf.get("/"), on()) == MAINTENANCE


def test_exempt_flag_superusers_by_default(rf: RequestFactory) -> None:
    assert verdict(user_request(rf, is_superuser=True)) == EXEMPT
    assert verdict(user_request(rf, is_staff=True)) == MAINTENANCE
    assert verdict(user_request(rf)) == MAINTENANCE
    assert verdict(anonymous(rf)) == MAINTENANCE


def test_exempt_flag_groups(rf: RequestFactory) -> None:
    snapshot = on(FlagRule(name=EXEMPT_FLAG, group_ids=frozenset({1}), members=groups_of({5: {1}})))
    assert verdict(user_request(rf, id=5), snapshot) == EXEMPT
    assert verdict(user_request(rf, id=6), snapshot) == MAINTENANCE


def test_exempt_flag_for_everyone(rf: RequestFactory) -> None:
    assert verdict(anonymous(rf), on(FlagRule(name=EXEMPT_FLAG, everyone=True))) == EXEMPT


def test_no_exempt_flag_exempts_nobody(rf: RequestFactory) -> None:
    assert verdict(user_request(rf, is_superuser=True, is_staff=True), on()) == MAINTENANCE


# IP exemptions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "address", "expected"),
    [
        (["127.0.0.1"], "127.0.0.1", EXEMPT),
        # Documented difference from django-maintenance-mode: no prefix match.
        (["127.0.0.1"], "127.0.0.10", MAINTENANCE),
        (["10.0.0.0/8"], "10.20.30.40", EXEMPT),
        (["10.0.0.0/8"], "11.0.0.1", MAINTENANCE),
        (["2001:db8::/32"], "2001:db8::1", EXEMPT),
        (["2001:db8::/32"], "10.0.0.1", MAINTENANCE),
        (["::1"], "::1", EXEMPT),
        ([r"192\.168\..*"], "192.168.1.5", EXEMPT),
        ([r"192\.168\..*"], "192.169.1.5", MAINTENANCE),
        (["10.0.0.0/8", r"192\.168\..*"], "192.168.1.5", EXEMPT),
        # An address that does not parse cannot be in a network, and does not crash.
        (["10.0.0.0/8"], "not-an-address", MAINTENANCE),
        (["10.0.0.0/8"], "", MAINTENANCE),
        ([], "127.0.0.1", MAINTENANCE),
    ],
)
def test_ip_exemptions(
    settings: Settings, rf: RequestFactory, entries: list[str], address: str, expected: Decision
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = entries
    assert verdict(anonymous(rf, REMOTE_ADDR=address)) == expected


def test_ip_exemption_without_remote_addr(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ["10.0.0.0/8"]
    request = anonymous(rf)
    del request.META["REMOTE_ADDR"]
    assert verdict(request) == MAINTENANCE


def test_ip_exemption_with_a_custom_client_ip_getter(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE_IGNORE_IP_ADDRESSES = ["203.0.113.0/24"]
    settings.MAINTENANCE_MODE_GET_CLIENT_IP_ADDRESS = "tests.hooks.client_ip"
    proxied = anonymous(rf, REMOTE_ADDR="10.0.0.1", headers={"X-Real-IP": "203.0.113.9"})
    assert verdict(proxied) == EXEMPT
    # The getter replaces REMOTE_ADDR: without its header nobody is exempt.
    assert verdict(anonymous(rf, REMOTE_ADDR="203.0.113.9")) == MAINTENANCE


# Views ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/force-off/", "/class-force-off/", "/async-force-off/"])
def test_force_off_views_are_exempt_only_in_maintenance(rf: RequestFactory, path: str) -> None:
    config = get_config()
    assert decide(anonymous(rf, path), make_snapshot(config), config) == PASS
    assert verdict(anonymous(rf, path)) == EXEMPT


@pytest.mark.parametrize("path", ["/", "/force-on/", "/class-force-on/", "/no-such-page/"])
def test_other_views_and_unknown_paths_are_not_exempt(rf: RequestFactory, path: str) -> None:
    assert verdict(anonymous(rf, path)) == MAINTENANCE


def test_reset_forgets_what_was_derived_from_urlconfs(rf: RequestFactory) -> None:
    assert verdict(anonymous(rf, "/class-force-off/")) == EXEMPT
    assert verdict(anonymous(rf, "/admin/")) == EXEMPT
    # The thread's URLconf changes without a setting_changed signal.
    set_urlconf("tests.urls_no_admin")
    try:
        decision.reset()
        assert verdict(anonymous(rf, "/class-force-off/")) == MAINTENANCE
        assert verdict(anonymous(rf, "/admin/")) == MAINTENANCE
        assert verdict(anonymous(rf, "/force-off/")) == EXEMPT
    finally:
        set_urlconf(None)
        decision.reset()


@pytest.mark.parametrize(
    ("argv", "pytest_running", "expected"),
    [
        (["manage.py", "test"], False, True),
        (["django-admin", "test", "app"], False, True),
        (["./runtests.py"], False, True),
        (["runtests.py"], False, True),
        (["manage.py", "runserver"], False, False),
        (["gunicorn"], False, False),
        ([], False, False),
        (["gunicorn"], True, True),
    ],
)
def test_running_tests_recognises_test_runners(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], pytest_running: bool, expected: bool
) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    if not pytest_running:
        monkeypatch.delenv("PYTEST_CURRENT_TEST")

    assert decision.running_tests() is expected


def test_ignore_tests_exempts_requests_while_a_suite_runs(rf: RequestFactory) -> None:
    snapshot = make_snapshot(get_config(), switch=True)
    request = rf.get("/")

    assert decide(request, snapshot, get_config()) == MAINTENANCE
    with override_settings(MAINTENANCE_MODE_IGNORE_TESTS=True):
        assert decide(request, snapshot, get_config()) == EXEMPT


# Scheduled windows ---------------------------------------------------------------------

HOUR = timedelta(hours=1)
NOON = datetime(2099, 6, 1, 12, 0, tzinfo=dt_timezone.utc)


def with_windows(*windows: Window) -> Snapshot:
    """Windows, the switch off, and the exempt flag as the data migration creates it."""
    exempt = FlagRule(name=EXEMPT_FLAG, superusers=True)
    return make_snapshot(get_config(), exempt=exempt, windows=windows)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (Window(start=NOON - HOUR, end=NOON + HOUR), True),
        (Window(start=None, end=NOON + HOUR), True),
        (Window(start=NOON, end=None), True),
        (Window(start=NOON + HOUR, end=None), False),
        (Window(start=NOON - HOUR, end=NOON), False),
    ],
)
def test_site_wide_at_a_given_time(window: Window, expected: bool) -> None:
    assert site_wide(with_windows(window), get_config(), now=NOON) is expected


def test_site_wide_without_windows_or_switch_is_off() -> None:
    assert site_wide(make_snapshot(get_config()), get_config(), now=NOON) is False


@pytest.mark.parametrize("override", [True, False])
def test_site_wide_setting_beats_windows(settings: Settings, override: bool) -> None:
    settings.MAINTENANCE_MODE = override
    config = get_config()
    for window in (Window(start=None, end=NOON + HOUR), Window(start=NOON + HOUR, end=None)):
        assert site_wide(with_windows(window), config, now=NOON) is override


def test_decide_in_and_out_of_a_window(rf: RequestFactory) -> None:
    now = datetime.now(dt_timezone.utc)
    config = get_config()
    current = with_windows(Window(start=now - HOUR, end=now + HOUR))
    upcoming = with_windows(Window(start=now + HOUR, end=now + 2 * HOUR))

    assert decide(anonymous(rf), current, config) == MAINTENANCE
    assert decide(anonymous(rf), upcoming, config) == PASS
    assert decide(user_request(rf, is_superuser=True), current, config) == EXEMPT


# The visitor (MAINTENANCE_MODE_GET_AUTHENTICATED_USER) ---------------------------------

TOKEN_USER = baker.prepare(User, id=11, is_staff=True)


def token_user(request: HttpRequest) -> User | None:
    """The user of a token header, None without one."""
    return TOKEN_USER if "Authorization" in request.headers else None


def test_visitor_is_the_request_user_by_default(rf: RequestFactory) -> None:
    request = user_request(rf)

    assert visitor(request, get_config()) is request.user
    assert visitor(rf.get("/"), get_config()) is None


def test_visitor_from_the_authenticated_user_function(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.test_decision.token_user"
    with_token = anonymous(rf, headers={"Authorization": "Token abc"})
    without = anonymous(rf)

    assert visitor(with_token, get_config()) is TOKEN_USER
    # None: request.user, or None without one.
    assert visitor(without, get_config()) is without.user
    assert visitor(rf.get("/", headers={"Authorization": "Token abc"}), get_config()) is TOKEN_USER
    assert visitor(rf.get("/"), get_config()) is None


def test_the_function_user_decides_user_exemptions(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.test_decision.token_user"
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True

    assert verdict(anonymous(rf, headers={"Authorization": "Token abc"}), on()) == EXEMPT
    assert verdict(anonymous(rf), on()) == MAINTENANCE


def test_an_unimportable_function_is_e015_and_ignored(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.test_decision.no_such_function"
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True

    assert [
        message.id
        for message in checks.run_checks()
        if (message.id or "").startswith("maintenance_waffle.")
    ] == ["maintenance_waffle.E015"]
    request = user_request(rf, is_staff=True)
    assert visitor(request, get_config()) is request.user
    assert verdict(request, on()) == EXEMPT


def test_flag_is_active_for_a_given_user(rf: RequestFactory) -> None:
    rule = FlagRule(name=FLAG, user_ids=frozenset({5}))
    listed = baker.prepare(User, id=5)
    request = user_request(rf, id=6)

    assert flag_is_active(rule, request, get_config()) is False
    assert flag_is_active(rule, request, get_config(), listed) is True
    request.user = listed
    assert flag_is_active(rule, request, get_config()) is True
    # None: no user at all, whatever request.user is.
    assert flag_is_active(rule, request, get_config(), None) is False


# Logging out (MAINTENANCE_MODE_LOGOUT_*) -----------------------------------------------


def with_session(request: WSGIRequest) -> WSGIRequest:
    request.session = SessionStore()
    return request


@pytest.mark.parametrize(
    ("fields", "settings_values", "logout"),
    [
        ({}, (False, None, None), False),
        ({}, (True, None, None), True),
        ({}, (False, True, True), False),
        ({"is_staff": True}, (True, None, None), True),
        ({"is_staff": True}, (True, False, None), False),
        ({"is_staff": True}, (False, True, None), True),
        ({"is_staff": True}, (False, None, True), False),
        ({"is_superuser": True}, (True, None, None), True),
        ({"is_superuser": True}, (True, None, False), False),
        ({"is_superuser": True}, (False, None, True), True),
        ({"is_superuser": True}, (False, True, None), False),
        ({"is_superuser": True, "is_staff": True}, (False, True, None), False),
        ({"is_superuser": True, "is_staff": True}, (True, True, False), False),
        ({"is_superuser": True, "is_staff": True}, (False, False, True), True),
    ],
)
def test_who_is_logged_out(
    settings: Settings,
    rf: RequestFactory,
    fields: dict[str, Any],
    settings_values: tuple[bool, bool | None, bool | None],
    logout: bool,
) -> None:
    (
        settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER,
        settings.MAINTENANCE_MODE_LOGOUT_STAFF_USER,
        settings.MAINTENANCE_MODE_LOGOUT_SUPERUSER,
    ) = settings_values

    result = verdict(with_session(user_request(rf, **fields)))

    assert result.logout is logout
    assert result.applies
    if logout:
        # Decided as the anonymous user the request becomes.
        assert result.respond
    else:
        assert result.respond is not fields.get("is_superuser", False)


def test_anonymous_visitors_are_never_logged_out(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    settings.MAINTENANCE_MODE_LOGOUT_STAFF_USER = True
    settings.MAINTENANCE_MODE_LOGOUT_SUPERUSER = True

    assert verdict(with_session(anonymous(rf))) == MAINTENANCE
    assert verdict(with_session(rf.get("/"))) == MAINTENANCE


def test_logout_then_anonymous_exemption(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    settings.MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER = True
    settings.MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER = True

    assert verdict(with_session(user_request(rf)), on()) == Decision(True, False, logout=True)


def test_no_logout_without_a_session(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    settings.MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER = True

    # Still decided as the logged-in user it stays.
    assert verdict(user_request(rf), on()) == EXEMPT


@pytest.mark.parametrize("path", ["/admin/", "/force-off/", "/maintenance-mode/on/"])
def test_no_logout_on_exempt_paths(settings: Settings, rf: RequestFactory, path: str) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True

    assert verdict(with_session(user_request(rf, path))) == EXEMPT


def test_no_logout_when_maintenance_is_off(settings: Settings, rf: RequestFactory) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    config = get_config()

    assert decide(with_session(user_request(rf)), make_snapshot(config), config) == PASS


def test_logout_of_a_user_without_staff_and_superuser_fields(
    settings: Settings, rf: RequestFactory
) -> None:
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.hooks.token_user"
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    settings.MAINTENANCE_MODE_IGNORE_SUPERUSER = True
    request = with_session(anonymous(rf))
    assert verdict(request) == MAINTENANCE

    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    assert verdict(request) == Decision(True, True, logout=True)


@pytest.mark.parametrize(
    "name", ["MAINTENANCE_MODE_LOGOUT_STAFF_USER", "MAINTENANCE_MODE_LOGOUT_SUPERUSER"]
)
def test_an_invalid_logout_override_is_a_check_error_and_follows_the_general_setting(
    settings: Settings, rf: RequestFactory, name: str
) -> None:
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    setattr(settings, name, "no")
    messages = [
        message
        for message in checks.run_checks()
        if (message.id or "").startswith("maintenance_waffle.")
    ]
    assert [message.id for message in messages] == ["maintenance_waffle.E004"]
    assert name in messages[0].msg
    fields: dict[str, Any] = {"is_staff" if name.endswith("STAFF_USER") else "is_superuser": True}

    # "no" is not False: ignored, so LOGOUT_AUTHENTICATED_USER decides.
    assert verdict(with_session(user_request(rf, **fields))).logout is True
