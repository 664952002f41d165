from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
import waffle
from django.apps import apps
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, migrations
from django.test import RequestFactory
from django.utils.connection import ConnectionDoesNotExist
from model_bakery import baker
from waffle.models import Flag, Switch
from waffle.utils import get_setting, keyfmt

migration_module = importlib.import_module("maintenance_waffle.migrations.0001_waffle_rows")

pytestmark = pytest.mark.django_db

FLAG_FIELDS = ("everyone", "superusers", "staff", "authenticated", "percent", "testing")


def create_rows() -> None:
    migration_module.create_rows(apps, SimpleNamespace(connection=connection))


def flag_values(name: str) -> tuple[object, ...]:
    return tuple(Flag.objects.values_list(*FLAG_FIELDS).get(name=name))


# After migrating ---------------------------------------------------------------------------


def test_switch_row_is_off():
    row = Switch.objects.get(name="maintenance_mode")
    assert (row.active, row.note) == (False, "")


def test_targeted_flag_targets_nobody():
    flag = Flag.objects.get(name="maintenance_mode")
    assert flag_values("maintenance_mode") == (False, False, False, False, None, False)
    assert list(flag.users.all()) == []
    assert list(flag.groups.all()) == []
    assert flag.note.startswith("Targeted maintenance")


def test_exempt_flag_exempts_superusers_only():
    flag = Flag.objects.get(name="maintenance_mode_exempt")
    assert flag_values("maintenance_mode_exempt") == (None, True, False, False, None, False)
    assert list(flag.users.all()) == []
    assert list(flag.groups.all()) == []
    assert flag.note == "Who bypasses maintenance."


def test_only_our_rows_exist():
    # The read-only switch comes from migrate's post_migrate (so do areas' switches).
    assert sorted(Switch.objects.values_list("name", flat=True)) == [
        "maintenance_mode",
        "maintenance_mode_read_only",
    ]
    assert sorted(Flag.objects.values_list("name", flat=True)) == [
        "maintenance_mode",
        "maintenance_mode_exempt",
    ]


def test_migration_is_reversible_and_not_elidable():
    (operation,) = migration_module.Migration.operations
    assert isinstance(operation, migrations.RunPython)
    assert operation.reversible
    assert operation.reverse_code is migrations.RunPython.noop
    assert operation.elidable is False


# create_rows() -------------------------------------------------------------------------


def test_create_rows_keeps_existing_values():
    switch = Switch.objects.get(name="maintenance_mode")
    switch.active = True
    switch.note = "Upgrading"
    switch.save()
    flag = Flag.objects.get(name="maintenance_mode")
    flag.everyone = True
    flag.note = "mine"
    flag.save()
    exempt = Flag.objects.get(name="maintenance_mode_exempt")
    exempt.superusers = False
    exempt.staff = True
    exempt.save()

    create_rows()

    switch.refresh_from_db()
    assert (switch.active, switch.note) == (True, "Upgrading")
    assert flag_values("maintenance_mode") == (True, False, False, False, None, False)
    assert Flag.objects.get(name="maintenance_mode").note == "mine"
    assert flag_values("maintenance_mode_exempt") == (None, False, True, False, None, False)
    assert Switch.objects.count() == 2
    assert Flag.objects.count() == 2


def test_create_rows_recreates_deleted_rows():
    Switch.objects.all().delete()
    Flag.objects.all().delete()
    create_rows()
    assert Switch.objects.get(name="maintenance_mode").active is False
    assert flag_values("maintenance_mode") == (False, False, False, False, None, False)
    assert flag_values("maintenance_mode_exempt") == (None, True, False, False, None, False)


def test_create_rows_uses_the_names_from_settings(settings):
    settings.MAINTENANCE_WAFFLE_SWITCH = "other_switch"
    settings.MAINTENANCE_WAFFLE_FLAG = "other_flag"
    settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG = "other_exempt"
    create_rows()
    assert Switch.objects.get(name="other_switch").active is False
    assert flag_values("other_flag") == (False, False, False, False, None, False)
    assert flag_values("other_exempt") == (None, True, False, False, None, False)
    # The default rows are left alone.
    assert Switch.objects.filter(name="maintenance_mode").exists()
    assert Flag.objects.count() == 4


def test_create_rows_uses_the_schema_editors_database():
    create_rows()
    with pytest.raises(ConnectionDoesNotExist, match="no_such_alias"):
        migration_module.create_rows(
            apps, SimpleNamespace(connection=SimpleNamespace(alias="no_such_alias"))
        )


def test_create_rows_forgets_a_cached_missing_switch():
    Switch.objects.get(name="maintenance_mode").delete()
    # Waffle now caches "no such switch" (its own flush waits for a commit that an
    # atomic test never makes).
    assert waffle.switch_is_active("maintenance_mode") is False
    assert Switch.get("maintenance_mode").pk is None
    create_rows()
    assert Switch.get("maintenance_mode").pk is not None


def test_create_rows_forgets_a_cached_missing_exempt_flag():
    Flag.objects.get(name="maintenance_mode_exempt").delete()
    request = RequestFactory().get("/")
    request.user = baker.make(User, is_superuser=True)
    assert waffle.flag_is_active(request, "maintenance_mode_exempt") is False
    create_rows()
    assert waffle.flag_is_active(request, "maintenance_mode_exempt") is True


def test_create_rows_deletes_every_cache_entry_of_the_three_names():
    keys = [keyfmt(get_setting("SWITCH_CACHE_KEY"), "maintenance_mode")]
    for name in ("maintenance_mode", "maintenance_mode_exempt"):
        for setting in ("FLAG_CACHE_KEY", "FLAG_USERS_CACHE_KEY", "FLAG_GROUPS_CACHE_KEY"):
            keys.append(keyfmt(get_setting(setting), name))
    keys += [get_setting("ALL_SWITCHES_CACHE_KEY"), get_setting("ALL_FLAGS_CACHE_KEY")]
    unrelated = keyfmt(get_setting("SWITCH_CACHE_KEY"), "unrelated")
    cache.set_many(dict.fromkeys([*keys, unrelated], "stale"))
    create_rows()
    assert cache.get_many(keys) == {}
    assert cache.get(unrelated) == "stale"


# migrate backwards and forwards --------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_to_zero_and_back_keeps_the_rows():
    switch = Switch.objects.get(name="maintenance_mode")
    switch.active = True
    switch.save()
    call_command("migrate", "maintenance_waffle", "zero", verbosity=0)
    assert Switch.objects.get(name="maintenance_mode").active is True
    call_command("migrate", "maintenance_waffle", verbosity=0)
    assert Switch.objects.get(name="maintenance_mode").active is True
    assert Flag.objects.count() == 2
