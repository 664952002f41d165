from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client, override_settings
from django.urls import resolve, reverse
from django.utils import timezone
from model_bakery import baker

from maintenance_waffle import bypass, views
from maintenance_waffle.bypass import (
    COOKIE_NAME,
    cookie_lets_through,
    create_link,
    key_of,
    parse_ttl,
    revoke_all,
)
from maintenance_waffle.models import BypassKey, Channel, MaintenanceChange
from maintenance_waffle.state import Snapshot, state
from tests.rows import set_switch

if TYPE_CHECKING:
    from tests.conftest import Commit

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def link(token: str) -> str:
    return f"/maintenance-mode/bypass/{token}/"


def expire(key: BypassKey) -> None:
    BypassKey.objects.filter(pk=key.pk).update(expires=timezone.now() - MINUTE)
    # A bulk update sends no signal: stands for the refresh interval passing.
    state.invalidate()


# parse_ttl --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("15m", 15 * 60),
        ("2h", 2 * 3600),
        ("1d", 86400),
        (" 5 m ", 300),
        ("1s", 1),
        ("30d", 30 * 86400),
        ("720h", 30 * 86400),
    ],
)
def test_parse_ttl(value: str, seconds: int) -> None:
    assert parse_ttl(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["", "h", "abc", "1w", "-5m", "1.5h", "5 mins", "2H", "1h30m"])
def test_parse_ttl_refuses_other_forms(value: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid duration: .*; use e\.g\. 30m, 2h or 1d\.$"):
        parse_ttl(value)


@pytest.mark.parametrize("value", ["0", "0s", "0d", "31d", "721h", "2592001"])
def test_parse_ttl_refuses_durations_out_of_bounds(value: str) -> None:
    with pytest.raises(ValueError, match=r"it must be between 1s and 30d\.$") as info:
        parse_ttl(value)

    assert str(info.value) == f"Invalid duration: {value!r}; it must be between 1s and 30d."


# create_link, key_of, revoke_all ------------------------------------------------------------


def test_create_link_stores_a_key_and_records_it(
    commit: Commit,
) -> None:
    user = baker.make(User, username="alice")
    before = timezone.now()

    with commit():
        token, key = create_link(2 * HOUR, Channel.DASHBOARD, user)

    assert key_of(token) == key.pk
    assert BypassKey.objects.get() == key
    assert before + 2 * HOUR <= key.expires <= timezone.now() + 2 * HOUR
    assert (key.revoked, key.created_by) == (False, "alice")
    assert str(key) == f"#{key.pk} until {key.expires.isoformat()}"
    change = MaintenanceChange.objects.get()
    assert (change.channel, change.actor, change.user, change.subject, change.old) == (
        "dashboard",
        "alice",
        user,
        f"bypass link #{key.pk}",
        "",
    )
    assert change.new == f"created, valid until {key.expires.isoformat()}"


def test_create_link_without_a_user() -> None:
    _, key = create_link(HOUR, Channel.COMMAND)

    assert key.created_by == ""


def test_each_link_has_its_own_key() -> None:
    first, first_key = create_link(HOUR, Channel.API)
    second, second_key = create_link(HOUR, Channel.API)

    assert first != second
    assert (key_of(first), key_of(second)) == (first_key.pk, second_key.pk)


def test_key_of_refuses_a_tampered_token() -> None:
    token, _ = create_link(HOUR, Channel.API)
    value, signature = token.rsplit(":", 1)
    tampered = signature[:-1] + ("A" if signature[-1] != "A" else "B")

    assert key_of(f"{value}:{tampered}") is None
    assert key_of(token + "x") is None
    assert key_of("") is None
    assert key_of("not-a-token") is None


def test_key_of_refuses_a_token_signed_for_something_else() -> None:
    assert key_of(signing.dumps(1)) is None
    assert key_of(signing.dumps(1, salt="another.salt")) is None


@pytest.mark.parametrize("payload", ["1", 1.0, None, [1], {"key": 1}])
def test_key_of_refuses_payloads_other_than_an_int(payload: Any) -> None:
    assert key_of(signing.dumps(payload, salt=bypass._SALT)) is None


def test_revoke_all_revokes_the_keys_in_force_and_records_it(
    commit: Commit,
) -> None:
    user = baker.make(User, username="bob")
    create_link(HOUR, Channel.API)
    create_link(HOUR, Channel.API)
    _, old = create_link(HOUR, Channel.API)
    expire(old)

    with commit():
        count = revoke_all(Channel.COMMAND, user)

    assert count == 2
    assert list(BypassKey.objects.order_by("pk").values_list("revoked", flat=True)) == [
        True,
        True,
        False,  # expired anyway: not "in force"
    ]
    change = MaintenanceChange.objects.get()
    assert (change.channel, change.actor, change.subject, change.old, change.new) == (
        "command",
        "bob",
        "bypass links",
        "2 in force",
        "all revoked",
    )


def test_revoke_all_with_nothing_in_force_records_nothing(
    commit: Commit,
) -> None:
    with commit():
        count = revoke_all(Channel.COMMAND)

    assert count == 0
    assert not MaintenanceChange.objects.exists()


# cookie_lets_through ------------------------------------------------------------------------


NOW = datetime(2099, 1, 1, 12, tzinfo=timezone.get_fixed_timezone(0))


def test_cookie_lets_through_a_key_in_force() -> None:
    cookie = signing.dumps(7, salt=bypass._SALT)
    snapshot = Snapshot(bypass_keys=((3, NOW + HOUR), (7, NOW + MINUTE)))

    assert cookie_lets_through(cookie, snapshot, NOW) is True


@pytest.mark.parametrize(
    ("cookie", "keys"),
    [
        (None, ((7, NOW + HOUR),)),
        ("", ((7, NOW + HOUR),)),
        (signing.dumps(7, salt=bypass._SALT), ()),
        # Expired since the snapshot was read.
        (signing.dumps(7, salt=bypass._SALT), ((7, NOW),)),
        (signing.dumps(7, salt=bypass._SALT), ((7, NOW - MINUTE),)),
        (signing.dumps(8, salt=bypass._SALT), ((7, NOW + HOUR),)),
        (signing.dumps(7), ((7, NOW + HOUR),)),
        ("7", ((7, NOW + HOUR),)),
    ],
)
def test_cookie_lets_through_refuses(
    cookie: str | None, keys: tuple[tuple[int, datetime], ...]
) -> None:
    assert cookie_lets_through(cookie, Snapshot(bypass_keys=keys), NOW) is False


# The link -------------------------------------------------------------------------------------


def test_the_link_sets_the_cookie_and_goes_home(client: Client) -> None:
    token, _ = create_link(2 * HOUR, Channel.API)

    response = client.get(link(token))

    assert response.status_code == 302
    assert response["Location"] == "/"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == token
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] == ""
    assert cookie["path"] == "/"
    # Valid for the time the key has left.
    assert 2 * 3600 - 60 <= int(cookie["max-age"]) <= 2 * 3600
    assert "no-cache" in response["Cache-Control"]


def test_the_cookie_is_secure_over_https(client: Client) -> None:
    token, _ = create_link(HOUR, Channel.API)

    response = client.get(link(token), secure=True)

    assert response.status_code == 302
    assert response.cookies[COOKIE_NAME]["secure"] is True


def test_the_cookie_lasts_as_long_as_the_key(client: Client) -> None:
    token, key = create_link(HOUR, Channel.API)
    BypassKey.objects.filter(pk=key.pk).update(expires=timezone.now() + 10 * MINUTE)

    response = client.get(link(token))

    assert 540 <= int(response.cookies[COOKIE_NAME]["max-age"]) <= 600


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/page/?tab=1", "/page/?tab=1"),
        ("/admin/", "/admin/"),
        ("http://testserver/page/", "http://testserver/page/"),
        ("https://evil.example/", "/"),
        ("//evil.example/page/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_the_link_goes_on_to_a_page_of_this_site_only(
    client: Client, next_url: str, location: str
) -> None:
    token, _ = create_link(HOUR, Channel.API)

    response = client.get(link(token), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == location


def test_an_http_next_is_ignored_over_https(client: Client) -> None:
    token, _ = create_link(HOUR, Channel.API)

    response = client.get(link(token), {"next": "http://testserver/page/"}, secure=True)

    assert response["Location"] == "/"


def assert_refused(response: Any) -> None:
    assert response.status_code == 403
    assert COOKIE_NAME not in response.cookies
    assert "This bypass link does not work" in response.content.decode()
    assert "style=" not in response.content.decode()  # no style attributes: a strict CSP
    assert "no-cache" in response["Cache-Control"]


def test_a_bad_token_is_refused(client: Client) -> None:
    assert_refused(client.get(link("not-a-token")))
    assert_refused(client.get(link(signing.dumps(1))))


def test_a_token_naming_no_key_is_refused(client: Client) -> None:
    assert_refused(client.get(link(signing.dumps(12345, salt=bypass._SALT))))


def test_an_expired_link_is_refused(client: Client) -> None:
    token, key = create_link(HOUR, Channel.API)
    expire(key)

    assert_refused(client.get(link(token)))


def test_a_revoked_link_is_refused(client: Client) -> None:
    token, _ = create_link(HOUR, Channel.API)
    revoke_all(Channel.API)

    assert_refused(client.get(link(token)))


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_link_only_answers_get_and_head(client: Client, method: str) -> None:
    token, _ = create_link(HOUR, Channel.API)

    assert getattr(client, method)(link(token)).status_code == 405
    assert client.head(link(token)).status_code == 302


# Through maintenance ------------------------------------------------------------------------


def test_the_link_is_reachable_during_maintenance(http: Any) -> None:
    set_switch(True)
    token, _ = create_link(HOUR, Channel.API)

    assert http.get("/").status_code == 503
    assert http.get(link(token)).status_code == 302
    assert http.get(link("not-a-token")).status_code == 403


def test_the_cookie_lets_this_browser_through(http: Any) -> None:
    set_switch(True)
    token, _ = create_link(HOUR, Channel.API)
    assert http.get("/").status_code == 503

    response = http.get(link(token), {"next": "/page/"})

    assert response["Location"] == "/page/"
    assert http.get("/").status_code == 200
    assert http.get("/page/").status_code == 200
    # Another browser still gets the maintenance page.
    assert Client().get("/").status_code == 503


def test_a_new_link_works_at_once_in_this_process(http: Any) -> None:
    set_switch(True)
    assert http.get("/").status_code == 503  # the snapshot is read

    token, _ = create_link(HOUR, Channel.API)
    http.cookies[COOKIE_NAME] = token

    assert http.get("/").status_code == 200


def revoke(key: BypassKey) -> None:
    """Revoke every link in force: ``key``, the only one."""
    assert revoke_all(Channel.API) == 1


@pytest.mark.parametrize("end", [revoke, expire], ids=["revoked", "expired"])
def test_the_cookie_stops_working_once_the_key_ends(
    http: Any, end: Callable[[BypassKey], None]
) -> None:
    set_switch(True)
    token, key = create_link(HOUR, Channel.API)
    http.get(link(token))
    assert http.get("/").status_code == 200

    end(key)

    assert http.get("/").status_code == 503


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, pk: str(pk),
        lambda token, pk: signing.dumps(pk),
        lambda token, pk: signing.dumps(pk, salt=bypass._SALT, key="another secret"),
        lambda token, pk: token[:-2] + ("xx" if not token.endswith("xx") else "yy"),
    ],
)
def test_a_forged_cookie_is_refused(http: Any, forge: Callable[[str, int], str]) -> None:
    set_switch(True)
    token, key = create_link(HOUR, Channel.API)

    http.cookies[COOKIE_NAME] = forge(token, key.pk)

    assert http.get("/").status_code == 503


def test_no_cookie_needed_while_off(http: Any) -> None:
    token, _ = create_link(HOUR, Channel.API)

    assert http.get("/").status_code == 200
    assert http.get(link(token)).status_code == 302


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_links_without_time_zone_support(client: Client) -> None:
    set_switch(True)
    token, key = create_link(HOUR, Channel.API)
    assert timezone.is_naive(key.expires)

    response = client.get(link(token))

    assert response.status_code == 302
    assert 3600 - 60 <= int(response.cookies[COOKIE_NAME]["max-age"]) <= 3600
    assert client.get("/").status_code == 200
    assert revoke_all(Channel.API) == 1
    assert client.get("/").status_code == 503


def test_the_link_url() -> None:
    assert reverse("maintenance_mode_bypass", args=["abc:def"]) == link("abc:def")
    assert resolve(link("abc:def")).func is views.bypass
