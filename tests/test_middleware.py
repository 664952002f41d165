from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import waffle
from django.contrib.auth.models import AnonymousUser, Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.core import checks
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from model_bakery import baker

from maintenance_waffle.core import set_maintenance_mode
from maintenance_waffle.decision import bucket
from maintenance_waffle.middleware import MaintenanceModeMiddleware
from maintenance_waffle.models import MaintenanceWindow
from tests.caches import CountingCache
from tests.rows import (
    exempt_flag,
    logged_in,
    set_switch,
    switch_table_gone,
    target,
    update_switch,
)

pytestmark = pytest.mark.django_db


def assert_maintenance(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "3600"
    assert "no-store" in response["Cache-Control"]


def test_is_sync_and_async_capable() -> None:
    assert MaintenanceModeMiddleware.sync_capable
    assert MaintenanceModeMiddleware.async_capable


def test_off_passes(http: Any) -> None:
    response = http.get("/page/")

    assert response.status_code == 200
    assert response.content == b"maintenance_mode=False\n"


def test_async_view_passes(http: Any) -> None:
    assert http.get("/async/").content == b"async home"


def test_switch_on_answers_503(http: Any, maintenance_on: None) -> None:
    response = http.get("/")

    assert_maintenance(response)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"We\xe2\x80\x99ll be back soon" in response.content


def test_unknown_urls_get_503_not_404(http: Any, maintenance_on: None) -> None:
    assert_maintenance(http.get("/no/such/page/"))


def test_reason_is_shown(http: Any) -> None:
    set_switch(True, "Moving to a bigger database")

    assert b"Moving to a bigger database" in http.get("/").content


def test_reason_ends_with_its_maintenance(http: Any) -> None:
    set_maintenance_mode(True, reason="Moving to a bigger database")
    assert b"Moving to a bigger database" in http.get("/").content

    set_maintenance_mode(False)
    call_command("waffle_switch", "maintenance_mode", "on", stdout=StringIO())

    response = http.get("/", headers={"accept": "application/json"})
    assert_maintenance(response)
    assert response.json()["detail"] == (
        "The site is down for maintenance. Please try again later."
    )
    assert b"Moving to a bigger database" not in http.get("/").content


def test_waffles_note_is_never_shown(http: Any) -> None:
    update_switch(active=True, note="Used by the deploy script")

    response = http.get("/", headers={"accept": "application/json"})
    assert_maintenance(response)
    assert "deploy script" not in response.json()["detail"]


def test_head_gets_no_body(http: Any, maintenance_on: None) -> None:
    response = http.head("/")

    assert_maintenance(response)
    assert response.content == b""


def test_json_clients_get_problem_details(http: Any) -> None:
    set_switch(True, "Upgrading")

    response = http.get("/", headers={"accept": "application/json"})

    assert_maintenance(response)
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Upgrading"
    assert "Accept" in response["Vary"]


def test_every_method_is_answered(http: Any) -> None:
    set_switch(True)

    assert_maintenance(http.post("/"))
    assert_maintenance(http.delete("/"))


def test_admin_stays_reachable(http: Any, maintenance_on: None) -> None:
    assert http.get("/admin/login/").status_code == 200


@override_settings(MAINTENANCE_MODE_IGNORE_ADMIN_SITE=False)
def test_admin_can_be_closed_too(http: Any) -> None:
    set_switch(True)

    assert_maintenance(http.get("/admin/login/"))


def test_off_url_stays_reachable(http: Any) -> None:
    set_switch(True)

    response = http.get("/maintenance-mode/off/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@override_settings(MAINTENANCE_MODE_IGNORE_URLS=(r"^/healthz$",))
def test_ignored_urls_pass(http: Any) -> None:
    set_switch(True)

    assert http.get("/healthz").status_code == 200
    assert_maintenance(http.get("/healthz/more"))


def test_superusers_are_exempt_by_the_exempt_flag(http: Any) -> None:
    set_switch(True)
    http.force_login(baker.make(User, is_superuser=True))

    response = http.get("/page/")

    assert response.status_code == 200
    # Exempt, but still in maintenance: templates can show a banner.
    assert response.content == b"maintenance_mode=True\n"


def test_staff_are_not_exempt_by_default(http: Any) -> None:
    set_switch(True)
    http.force_login(baker.make(User, is_staff=True))

    assert_maintenance(http.get("/"))


def test_exempt_flag_groups_pass(http: Any) -> None:
    set_switch(True)
    operators = baker.make(Group)
    target(exempt_flag(), superusers=False).groups.add(operators)
    operator, visitor = baker.make(User, _quantity=2)
    operator.groups.add(operators)

    http.force_login(operator)
    assert http.get("/").status_code == 200
    http.force_login(visitor)
    assert_maintenance(http.get("/"))


def test_exempt_flag_off_for_everyone_exempts_nobody(http: Any) -> None:
    set_switch(True)
    target(exempt_flag(), everyone=False)
    http.force_login(baker.make(User, is_superuser=True))

    assert_maintenance(http.get("/"))


def test_targeted_flag_puts_a_group_into_maintenance(http: Any) -> None:
    beta = baker.make(Group, name="beta")
    target(superusers=False).groups.add(beta)
    member, other = baker.make(User, _quantity=2)
    member.groups.add(beta)

    http.force_login(member)
    assert_maintenance(http.get("/"))
    http.force_login(other)
    response = http.get("/page/")
    assert response.status_code == 200
    assert response.content == b"maintenance_mode=False\n"


def test_targeted_flag_for_listed_users_and_staff(http: Any) -> None:
    listed, plain = baker.make(User, _quantity=2)
    target(staff=True).users.add(listed)

    http.force_login(listed)
    assert_maintenance(http.get("/"))
    http.force_login(baker.make(User, is_staff=True))
    assert_maintenance(http.get("/"))
    http.force_login(plain)
    assert http.get("/").status_code == 200
    http.logout()
    assert http.get("/").status_code == 200


def test_targeted_flag_for_everyone_is_not_site_wide(http: Any) -> None:
    target(everyone=True)

    assert_maintenance(http.get("/"))
    assert http.get("/admin/login/").status_code == 200


def test_targeted_flag_by_language(http: Any) -> None:
    target(languages="de")

    assert_maintenance(http.get("/", headers={"accept-language": "de"}))
    assert http.get("/", headers={"accept-language": "en"}).status_code == 200


def test_exemption_beats_targeting(http: Any) -> None:
    beta = baker.make(Group)
    target(superusers=False).groups.add(beta)
    admin = baker.make(User, is_superuser=True)
    admin.groups.add(beta)
    http.force_login(admin)

    response = http.get("/page/")

    assert response.content == b"maintenance_mode=True\n"


def test_targeted_percentage_is_deterministic_per_user(http: Any) -> None:
    target(percent=50)
    users = baker.make(User, _quantity=12)
    inside = [u for u in users if bucket("maintenance_mode", f"user:{u.pk}") < 50]
    outside = [u for u in users if u not in inside]
    assert inside
    assert outside

    for user in users:
        http.force_login(user)
        expected = 503 if user in inside else 200
        assert [http.get("/").status_code for _ in range(2)] == [expected, expected]


def test_forged_waffle_cookies_and_override_change_nothing(http: Any) -> None:
    set_switch(True)
    target(exempt_flag(), percent=50, testing=True)
    visitor = next(
        user
        for user in baker.make(User, _quantity=20)
        if bucket("maintenance_mode_exempt", f"user:{user.pk}") >= 50
    )
    http.force_login(visitor)
    http.cookies["dwf_maintenance_mode_exempt"] = "True"
    http.cookies["dwft_maintenance_mode_exempt"] = "True"

    with override_settings(WAFFLE_OVERRIDE=True):
        assert_maintenance(http.get("/?maintenance_mode_exempt=1&dwft_maintenance_mode_exempt=1"))
        assert_maintenance(http.get("/", headers={"dwft-maintenance-mode-exempt": "1"}))


@override_settings(MAINTENANCE_WAFFLE_TRUST_WAFFLE_COOKIES=True)
def test_waffle_cookies_decide_when_trusted(http: Any) -> None:
    set_switch(True)
    target(exempt_flag(), percent=1)
    http.cookies["dwf_maintenance_mode_exempt"] = "True"

    response = http.get("/")

    assert response.status_code == 200
    # WaffleMiddleware re-sends the cookie it was given.
    assert response.cookies["dwf_maintenance_mode_exempt"].value == "True"


@override_settings(MAINTENANCE_MODE=True)
def test_setting_true_forces_maintenance(http: Any) -> None:
    assert_maintenance(http.get("/"))


@override_settings(MAINTENANCE_MODE=False)
def test_setting_false_overrides_the_switch(http: Any) -> None:
    set_switch(True)

    assert http.get("/").status_code == 200


def test_a_change_in_this_process_is_seen_at_once(http: Any) -> None:
    assert http.get("/").status_code == 200

    set_maintenance_mode(True)
    assert_maintenance(http.get("/"))

    set_maintenance_mode(False)
    assert http.get("/").status_code == 200


@override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=3600)
def test_a_change_elsewhere_waits_for_the_refresh(http: Any) -> None:
    assert http.get("/").status_code == 200
    # As another process would: no signal reaches this one.
    update_switch(active=True)
    assert http.get("/").status_code == 200

    with override_settings(MAINTENANCE_WAFFLE_REFRESH_INTERVAL=0):
        assert_maintenance(http.get("/"))


def test_a_missing_table_never_becomes_a_500(http: Any) -> None:
    with switch_table_gone():
        assert http.get("/").status_code == 200


@override_settings(MAINTENANCE_MODE_STATE_BACKEND_FALLBACK_VALUE=True)
def test_failing_closed_answers_503(http: Any) -> None:
    with switch_table_gone():
        assert_maintenance(http.get("/"))


def test_force_on_views_get_503_without_calling_the_view(http: Any) -> None:
    assert_maintenance(http.get("/force-on/"))
    assert_maintenance(http.get("/async-force-on/"))


def test_force_off_views_pass_while_on(http: Any) -> None:
    set_switch(True)

    assert http.get("/force-off/").content == b"forced off"
    assert http.get("/async-force-off/").content == b"async forced off"


def test_no_queries_and_no_cache_operations_when_off(http: Any) -> None:
    with override_settings(
        CACHES={"default": {"BACKEND": "tests.caches.CountingCache"}},
        ROOT_URLCONF="tests.urls",
    ):
        http.get("/")  # loads the snapshot
        CountingCache.operations = 0
        with CaptureQueriesContext(connection) as queries:
            for _ in range(3):
                assert http.get("/").status_code == 200

        assert len(queries) == 0
        assert CountingCache.operations == 0
        # The counter works: waffle's own check costs a cache round trip.
        waffle.switch_is_active("maintenance_mode")
        assert CountingCache.operations > 0


def test_no_queries_and_no_cache_operations_for_anonymous_visitors_when_on(http: Any) -> None:
    set_switch(True)
    with override_settings(
        CACHES={"default": {"BACKEND": "tests.caches.CountingCache"}},
        # The steady state, however slow the machine: no refresh falls due meanwhile.
        MAINTENANCE_WAFFLE_REFRESH_INTERVAL=60,
    ):
        http.get("/")
        CountingCache.operations = 0
        with CaptureQueriesContext(connection) as queries:
            for _ in range(3):
                assert_maintenance(http.get("/"))
        assert len(queries) == 0
        assert CountingCache.operations == 0


def test_request_without_user_attribute(rf: Any) -> None:
    set_switch(True)
    middleware = MaintenanceModeMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    request = rf.get("/")

    response = middleware(request)

    assert response.status_code == 503
    assert request.maintenance_mode is True


@override_settings(MAINTENANCE_MODE_REDIRECT_URL="/maintenance/")
def test_redirect_url_sends_visitors_to_a_page_that_stays_up(http: Any) -> None:
    set_switch(True)

    response = http.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/maintenance/"
    assert http.get("/maintenance/").content == b"we are busy"


# Scheduled windows ---------------------------------------------------------------------

HOUR = timedelta(hours=1)


def test_an_active_window_answers_503(http: Any) -> None:
    now = timezone.now()
    set_maintenance_mode(True, start=now - HOUR, end=now + HOUR / 2, reason="Reindexing")

    response = http.get("/")

    assert response.status_code == 503
    assert 1 <= int(response["Retry-After"]) <= 1800
    assert b"Reindexing" in response.content
    assert b"Expected back:" in response.content


def test_a_window_without_an_end_answers_503(http: Any) -> None:
    set_maintenance_mode(True, start=timezone.now() - HOUR)

    assert_maintenance(http.get("/"))


def test_a_future_window_passes(http: Any) -> None:
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)

    response = http.get("/page/")

    assert response.status_code == 200
    assert response.content == b"maintenance_mode=False\n"


def test_an_ended_window_passes(http: Any) -> None:
    now = timezone.now()
    MaintenanceWindow.objects.create(start=now - 2 * HOUR, end=now - HOUR)

    response = http.get("/page/")

    assert response.status_code == 200
    assert response.content == b"maintenance_mode=False\n"


def test_a_window_added_in_this_process_is_seen_at_once(http: Any) -> None:
    assert http.get("/").status_code == 200

    window = MaintenanceWindow.objects.create(start=None, end=timezone.now() + HOUR)
    assert http.get("/").status_code == 503

    window.delete()
    assert http.get("/").status_code == 200


def test_exempt_users_pass_an_active_window(http: Any) -> None:
    set_maintenance_mode(True, end=timezone.now() + HOUR)
    http.force_login(baker.make(User, is_superuser=True))

    response = http.get("/page/")

    assert response.status_code == 200
    assert response.content == b"maintenance_mode=True\n"


@override_settings(MAINTENANCE_MODE=False)
def test_the_setting_false_beats_an_active_window(http: Any) -> None:
    MaintenanceWindow.objects.create(start=None, end=timezone.now() + HOUR)

    assert http.get("/").status_code == 200


# Logging users out (MAINTENANCE_MODE_LOGOUT_*) -----------------------------------------


def test_logout_authenticated_user(http: Any, settings: Any) -> None:
    set_switch(True)
    http.force_login(baker.make(User))
    # Logged-in users pass, so a 503 shows the user was logged out first.
    settings.MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER = True
    assert http.get("/").status_code == 200
    assert logged_in(http)

    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    assert_maintenance(http.get("/"))
    assert not logged_in(http)

    # The session was flushed: the next request is anonymous too.
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = False
    assert_maintenance(http.get("/"))


@override_settings(
    MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True, MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER=True
)
def test_logged_out_users_pass_when_anonymous_users_are_exempt(http: Any) -> None:
    set_switch(True)
    http.force_login(baker.make(User))

    response = http.get("/page/")

    assert response.status_code == 200
    assert response.content == b"maintenance_mode=True\n"
    assert not logged_in(http)


@override_settings(MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True)
def test_logout_in_a_window(http: Any) -> None:
    set_maintenance_mode(True, end=timezone.now() + HOUR)
    http.force_login(baker.make(User))

    assert http.get("/").status_code == 503
    assert not logged_in(http)


@override_settings(MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True)
def test_logout_for_the_targeted_flag(http: Any) -> None:
    user = baker.make(User)
    target(superusers=False).users.add(user)
    http.force_login(user)

    assert http.get("/").status_code == 503
    assert not logged_in(http)


@pytest.mark.parametrize(
    ("fields", "logout", "expected_out"),
    [
        # Staff: None follows LOGOUT_AUTHENTICATED_USER, True/False decide.
        ({"is_staff": True}, (True, None, None), True),
        ({"is_staff": True}, (False, None, None), False),
        ({"is_staff": True}, (True, False, None), False),
        ({"is_staff": True}, (False, True, None), True),
        ({"is_staff": True}, (False, None, True), False),
        # Superusers likewise, with LOGOUT_SUPERUSER.
        ({"is_superuser": True}, (True, None, None), True),
        ({"is_superuser": True}, (False, None, None), False),
        ({"is_superuser": True}, (True, None, False), False),
        ({"is_superuser": True}, (False, None, True), True),
        ({"is_superuser": True}, (False, True, None), False),
        # A superuser who is also staff follows LOGOUT_SUPERUSER.
        ({"is_superuser": True, "is_staff": True}, (False, True, False), False),
        ({"is_superuser": True, "is_staff": True}, (True, True, False), False),
        ({"is_superuser": True, "is_staff": True}, (False, False, True), True),
        ({"is_superuser": True, "is_staff": True}, (True, False, None), True),
        # Other users follow LOGOUT_AUTHENTICATED_USER only.
        ({}, (False, True, True), False),
        ({}, (True, False, False), True),
    ],
)
def test_logout_staff_user_and_superuser(
    http: Any,
    settings: Any,
    fields: dict[str, Any],
    logout: tuple[bool, bool | None, bool | None],
    expected_out: bool,
) -> None:
    set_switch(True)
    # Everyone logged in passes: a 503 shows the user was logged out.
    settings.MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER = True
    (
        settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER,
        settings.MAINTENANCE_MODE_LOGOUT_STAFF_USER,
        settings.MAINTENANCE_MODE_LOGOUT_SUPERUSER,
    ) = logout
    http.force_login(baker.make(User, **fields))

    response = http.get("/")

    assert response.status_code == (503 if expected_out else 200)
    assert logged_in(http) is not expected_out


@override_settings(MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True)
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/admin/", 200),
        ("/admin/maintenance_waffle/maintenancewindow/", 200),
        ("/force-off/", 200),
        ("/class-force-off/", 200),
        ("/maintenance-mode/off/", 200),
    ],
)
def test_nobody_is_logged_out_on_exempt_paths(http: Any, path: str, status: int) -> None:
    set_switch(True)
    http.force_login(baker.make(User, is_staff=True, is_superuser=True))

    assert http.get(path).status_code == status
    assert logged_in(http)


@override_settings(
    MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True, MAINTENANCE_MODE_IGNORE_URLS=(r"^/healthz$",)
)
def test_nobody_is_logged_out_on_ignored_urls(http: Any) -> None:
    set_switch(True)
    http.force_login(baker.make(User))

    assert http.get("/healthz").status_code == 200
    assert logged_in(http)


@override_settings(MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True)
def test_nobody_is_logged_out_when_maintenance_is_off(http: Any) -> None:
    http.force_login(baker.make(User))
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)

    assert http.get("/").status_code == 200
    assert logged_in(http)


@override_settings(MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True)
def test_a_request_without_a_session_is_not_logged_out(rf: RequestFactory) -> None:
    set_switch(True)
    middleware = MaintenanceModeMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    request = rf.get("/")
    user = baker.make(User)
    request.user = user

    response = middleware(request)

    assert response.status_code == 503
    assert request.user is user


@override_settings(
    MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER=True, MAINTENANCE_MODE_IGNORE_ANONYMOUS_USER=True
)
def test_a_request_with_a_session_is_logged_out_when_the_middleware_is_called_directly(
    rf: RequestFactory,
) -> None:
    set_switch(True)
    middleware = MaintenanceModeMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    request = rf.get("/")
    request.session = SessionStore()
    request.session["kept?"] = "no"
    request.user = baker.make(User)

    assert middleware(request) is None

    assert isinstance(request.user, AnonymousUser)
    assert "kept?" not in request.session


# MAINTENANCE_MODE_GET_AUTHENTICATED_USER -----------------------------------------------


def user_from_header(request: HttpRequest) -> User | None:
    """Stands in for token authentication: the user named by the X-User header."""
    username = request.headers.get("X-User")
    if username is None:
        return None
    found: User = User.objects.get(username=username)
    return found


HEADER_USER = "tests.test_middleware.user_from_header"


@override_settings(
    MAINTENANCE_MODE_GET_AUTHENTICATED_USER=HEADER_USER, MAINTENANCE_MODE_IGNORE_STAFF=True
)
def test_the_authenticated_user_function_decides_who_the_visitor_is(http: Any) -> None:
    set_switch(True)
    baker.make(User, username="operator", is_staff=True)

    assert http.get("/", headers={"X-User": "operator"}).status_code == 200
    assert_maintenance(http.get("/"))


@override_settings(
    MAINTENANCE_MODE_GET_AUTHENTICATED_USER=HEADER_USER, MAINTENANCE_MODE_IGNORE_STAFF=True
)
def test_the_request_user_is_used_when_the_function_returns_none(http: Any) -> None:
    set_switch(True)
    http.force_login(baker.make(User, is_staff=True))

    assert http.get("/").status_code == 200


@override_settings(MAINTENANCE_MODE_GET_AUTHENTICATED_USER=HEADER_USER)
def test_the_authenticated_user_function_is_used_for_the_exempt_flag(http: Any) -> None:
    set_switch(True)
    baker.make(User, username="root", is_superuser=True)
    baker.make(User, username="someone")

    assert http.get("/", headers={"X-User": "root"}).status_code == 200
    assert_maintenance(http.get("/", headers={"X-User": "someone"}))


@override_settings(MAINTENANCE_MODE_GET_AUTHENTICATED_USER=HEADER_USER)
def test_the_authenticated_user_function_is_used_for_the_targeted_flag(http: Any) -> None:
    beta = baker.make(User, username="beta")
    target(superusers=False).users.add(beta)

    assert_maintenance(http.get("/", headers={"X-User": "beta"}))
    assert http.get("/").status_code == 200


@override_settings(
    MAINTENANCE_MODE_GET_AUTHENTICATED_USER=HEADER_USER,
    MAINTENANCE_MODE_IGNORE_STAFF=True,
    MAINTENANCE_MODE_LOGOUT_STAFF_USER=True,
)
def test_the_authenticated_user_function_is_used_for_logout(http: Any) -> None:
    set_switch(True)
    baker.make(User, username="operator", is_staff=True)

    # Logged out first, so no longer staff.
    assert_maintenance(http.get("/", headers={"X-User": "operator"}))


def test_a_user_without_staff_and_superuser_fields(http: Any, settings: Any) -> None:
    settings.MAINTENANCE_MODE_GET_AUTHENTICATED_USER = "tests.hooks.token_user"
    settings.MAINTENANCE_MODE_IGNORE_STAFF = True
    settings.MAINTENANCE_MODE_IGNORE_SUPERUSER = True
    target(staff=True, superusers=True)
    # Not staff, not a superuser: not targeted ...
    assert http.get("/").status_code == 200

    set_switch(True)
    # ... and not exempt.
    assert_maintenance(http.get("/"))
    settings.MAINTENANCE_MODE_IGNORE_AUTHENTICATED_USER = True
    assert http.get("/").status_code == 200
    # Logged out like any authenticated user, then no longer exempt.
    settings.MAINTENANCE_MODE_LOGOUT_AUTHENTICATED_USER = True
    assert_maintenance(http.get("/"))


@override_settings(
    MAINTENANCE_MODE_GET_AUTHENTICATED_USER="tests.test_middleware.no_such_function",
    MAINTENANCE_MODE_IGNORE_STAFF=True,
)
def test_an_unimportable_authenticated_user_function_is_a_check_error_and_ignored(
    http: Any,
) -> None:
    [message] = [
        message
        for message in checks.run_checks()
        if (message.id or "").startswith("maintenance_waffle.")
    ]
    assert message.id == "maintenance_waffle.E015"
    assert "MAINTENANCE_MODE_GET_AUTHENTICATED_USER" in message.msg
    set_switch(True)

    assert_maintenance(http.get("/"))
    http.force_login(baker.make(User, is_staff=True))
    assert http.get("/").status_code == 200
