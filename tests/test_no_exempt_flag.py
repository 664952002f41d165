"""``MAINTENANCE_WAFFLE_EXEMPT_FLAG = None``: no exempt flag at all, as with
django-maintenance-mode, which exempts nobody by default."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.management import call_command
from model_bakery import baker
from waffle.models import Flag

from maintenance_waffle.conf import build, get_config
from maintenance_waffle.core import set_maintenance_mode
from maintenance_waffle.state import state
from tests.test_migrations import create_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_exempt_flag(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG = None


def test_it_is_a_valid_setting() -> None:
    config = build()

    assert config.problems == ()
    assert (config.exempt_flag_name, config.flag_names) == (None, ("maintenance_mode",))
    assert not [m for m in run_checks() if str(m.id).startswith("maintenance_waffle.")]


def test_superusers_get_the_maintenance_response(http: Any) -> None:
    # The migration's exempt flag lets superusers through; without one, nobody is.
    http.force_login(baker.make(User, is_superuser=True, is_staff=True))
    set_maintenance_mode(True)

    assert http.get("/").status_code == 503
    assert http.get("/admin/").status_code == 200  # the admin site is still exempt


def test_the_snapshot_has_no_exempt_rule() -> None:
    assert state.get(get_config()).exempt is None


def test_the_migration_creates_no_exempt_flag() -> None:
    Flag.objects.all().delete()

    create_rows()

    assert list(Flag.objects.values_list("name", flat=True)) == ["maintenance_mode"]


def test_status_says_there_is_none() -> None:
    out = StringIO()
    call_command("maintenance_mode", "status", verbosity=2, stdout=out)

    assert "  exempt flag: none (settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG)\n" in out.getvalue()


def test_the_dashboard_says_there_is_none(admin_client: Any) -> None:
    content = admin_client.get("/admin/maintenance_waffle/maintenance/").content.decode()

    assert "No exempt flag (settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG is None)." in content


def test_a_string_of_another_type_is_still_an_error(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_EXEMPT_FLAG = 5

    assert [problem.id for problem in build().problems] == ["E009"]
