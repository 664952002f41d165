"""The stored state: reading and writing it, and on a project with a primary and a
read replica, every read and write on the database the router names for it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from io import StringIO
from typing import TYPE_CHECKING, Any

import pytest
import waffle
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from waffle.models import Switch

from maintenance_waffle import store
from maintenance_waffle.bypass import create_link, revoke_all
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import maintenance_mode_off, set_maintenance_mode
from maintenance_waffle.models import (
    BypassKey,
    Channel,
    MaintenanceChange,
    MaintenanceReason,
    MaintenanceWindow,
)
from maintenance_waffle.state import load
from maintenance_waffle.store import SiteState, Window
from tests.rows import switch

if TYPE_CHECKING:
    from tests.conftest import Commit

pytestmark = pytest.mark.django_db

SWITCH = "maintenance_mode"
HOUR = timedelta(hours=1)
NOON = datetime(2099, 6, 1, 12, 0, tzinfo=dt_timezone.utc)


def stored() -> SiteState:
    return store.read_site_state(SWITCH, "default")


def test_groups_through_is_empty_for_a_user_model_without_groups() -> None:
    assert store.groups_through(User) == [User.groups.through]
    assert store.groups_through(Switch) == []


# read_site_state / write_site_state -----------------------------------------------------


def test_read_site_state_of_the_migrations_rows() -> None:
    assert stored() == SiteState(active=False, reason="", windows=())


def test_read_site_state_with_a_missing_switch() -> None:
    switch().delete()
    MaintenanceWindow.objects.create(start=NOON, end=None, reason="planned")

    assert stored() == SiteState(
        active=False, reason="", windows=(Window(start=NOON, end=None, reason="planned"),)
    )


def test_read_site_state_includes_ended_windows() -> None:
    ended = Window(start=None, end=timezone.now() - HOUR, reason="over")
    MaintenanceWindow.objects.create(start=ended.start, end=ended.end, reason=ended.reason)

    assert stored().windows == (ended,)


def test_write_then_read_round_trips() -> None:
    windows = (
        Window(start=NOON, end=NOON + HOUR, reason="first"),
        Window(start=NOON + 2 * HOUR, end=None, reason="second"),
    )

    store.write_site_state(SWITCH, True, "Upgrading", windows)

    assert stored() == SiteState(active=True, reason="Upgrading", windows=windows)
    assert load(get_config()).switch


def test_write_replaces_every_window() -> None:
    store.write_site_state(SWITCH, False, windows=(Window(start=NOON, end=None, reason="old"),))
    new = Window(start=None, end=NOON, reason="new")

    store.write_site_state(SWITCH, False, windows=(new,))

    assert stored().windows == (new,)
    store.write_site_state(SWITCH, False, windows=())
    assert not MaintenanceWindow.objects.exists()


def test_write_leaves_the_reason_and_windows_alone_when_not_given() -> None:
    window = Window(start=NOON, end=None, reason="kept")
    store.write_site_state(SWITCH, True, "why", (window,))

    store.write_site_state(SWITCH, True)

    assert stored() == SiteState(active=True, reason="why", windows=(window,))


def test_write_off_ends_the_reason_and_ignores_a_new_one() -> None:
    store.write_site_state(SWITCH, True, "why")

    store.write_site_state(SWITCH, False, "ignored")

    assert stored() == SiteState(active=False, reason="", windows=())
    assert not MaintenanceReason.objects.exists()


@pytest.mark.parametrize("command", ["waffle_switch", "waffle_delete"])
def test_switch_turned_off_elsewhere_ends_the_reason(command: str) -> None:
    store.write_site_state(SWITCH, True, "why")

    if command == "waffle_switch":
        call_command("waffle_switch", SWITCH, "off", stdout=StringIO())
    else:
        call_command("waffle_delete", "--switches", SWITCH, stdout=StringIO())
    store.write_site_state(SWITCH, True)

    assert stored() == SiteState(active=True, reason="", windows=())


def test_reason_is_never_waffles_note() -> None:
    row = switch()
    row.active, row.note = True, "where this switch is used"
    row.save()

    assert stored().reason == ""
    assert load(get_config()).reason == ""


def test_write_creates_a_missing_switch() -> None:
    switch().delete()

    store.write_site_state(SWITCH, True, "created")

    assert stored() == SiteState(active=True, reason="created", windows=())


@override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
def test_write_then_read_without_time_zone_support() -> None:
    window = Window(start=NOON, end=NOON + HOUR, reason="utc noon")

    store.write_site_state(SWITCH, False, windows=(window,))

    # Stored as naive Chicago time, read back as the same instant.
    row = MaintenanceWindow.objects.get()
    assert row.start == datetime(2099, 6, 1, 7, 0)
    assert stored().windows == (window,)


def test_saving_flushes_waffles_cache(commit: Commit) -> None:
    assert waffle.switch_is_active("maintenance_mode") is False  # cached as off

    with commit():
        store.write_site_state(SWITCH, True)

    assert waffle.switch_is_active("maintenance_mode") is True


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
)
def test_a_cache_outage_after_saving_is_only_a_warning(
    commit: Commit, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="maintenance_waffle"), commit():
        store.write_site_state(SWITCH, True, "Upgrading")

    assert switch().active
    assert "waffle's cache could not be flushed" in caplog.text


# A primary and a read replica ----------------------------------------------------------


def routed(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` with both databases and the router."""
    with_router = pytest.mark.usefixtures("router")(test)
    return pytest.mark.django_db(databases=["default", "primary"])(with_router)  # type: ignore[no-any-return]


@pytest.fixture
def router() -> Any:
    with override_settings(DATABASE_ROUTERS=["tests.routers.PrimaryReplicaRouter"]):
        yield


def switch_on(alias: str) -> bool:
    return bool(Switch.objects.using(alias).get(name="maintenance_mode").active)


def window_reasons(alias: str) -> list[str]:
    return list(MaintenanceWindow.objects.using(alias).values_list("reason", flat=True))


@routed
def test_the_aliases_follow_the_router(settings: Any) -> None:
    assert (store.read_alias(), store.write_alias()) == ("default", "primary")

    settings.WAFFLE_READ_FROM_WRITE_DB = True

    assert store.read_alias() == "primary"


@routed
def test_the_switch_and_the_windows_are_written_to_the_write_database() -> None:
    set_maintenance_mode(True, end=timezone.now() + HOUR, reason="Reindexing")

    assert window_reasons("primary") == ["Reindexing"]
    assert window_reasons("default") == []

    set_maintenance_mode(True)

    assert (switch_on("primary"), switch_on("default")) == (True, False)
    assert window_reasons("primary") == []


@routed
def test_the_snapshot_is_read_from_the_read_database_unless_told(settings: Any) -> None:
    set_maintenance_mode(True, end=timezone.now() + HOUR, reason="Reindexing")

    assert load(get_config()).windows == ()

    settings.WAFFLE_READ_FROM_WRITE_DB = True

    assert [window.reason for window in load(get_config()).windows] == ["Reindexing"]


@routed
def test_override_restores_what_the_write_database_had() -> None:
    set_maintenance_mode(True, reason="Moving")

    with maintenance_mode_off():
        assert switch_on("primary") is False

    assert switch_on("primary") is True
    assert store.reason(SWITCH, "primary") == "Moving"
    assert switch_on("default") is False


@routed
def test_the_audit_trail_is_written_to_the_write_database(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(using="primary", execute=True):
        set_maintenance_mode(True, reason="Moving")

    assert list(MaintenanceChange.objects.using("primary").values_list("old", "new")) == [
        ("off", "on")
    ]
    assert not MaintenanceChange.objects.using("default").exists()


@routed
def test_bypass_keys_live_on_the_write_database(settings: Any, client: Client) -> None:
    token, key = create_link(HOUR, Channel.API)

    assert BypassKey.objects.using("primary").filter(pk=key.pk).exists()
    assert not BypassKey.objects.using("default").exists()
    # Read from the replica, which has not got the key: the link is refused.
    assert client.get(f"/maintenance-mode/bypass/{token}/").status_code == 403

    settings.WAFFLE_READ_FROM_WRITE_DB = True

    assert client.get(f"/maintenance-mode/bypass/{token}/").status_code == 302
    assert revoke_all(Channel.API) == 1
    assert BypassKey.objects.using("primary").get().revoked is True


@routed
def test_the_dashboard_ends_a_window_on_the_write_database(
    admin_client: Client, settings: Any
) -> None:
    settings.WAFFLE_READ_FROM_WRITE_DB = True
    set_maintenance_mode(True, start=timezone.now() - HOUR, end=timezone.now() + HOUR)
    window = MaintenanceWindow.objects.using("primary").get()

    admin_client.post(
        "/admin/maintenance_waffle/maintenance/",
        {"action": "end_window", "window": window.pk, "confirm": "yes"},
    )

    window.refresh_from_db(using="primary")
    assert window.end is not None
    assert window.end <= timezone.now()


@routed
def test_window_transitions_are_claimed_on_the_write_database() -> None:
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR)

    claimed = store.claim_transitions(now + 3 * HOUR)

    assert [(old, new) for _, old, new in claimed] == [
        ("scheduled", "started"),
        ("started", "ended"),
    ]
    assert store.claim_transitions(now + 3 * HOUR) == []
