"""maintenance_waffle.testing: the pytest plugin (fixtures registered through the
``pytest11`` entry point) and the unittest helpers, in this process and in a project's
own pytest run."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import unittest
from collections.abc import Iterator
from contextlib import ContextDecorator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from waffle import get_waffle_switch_model
from waffle.models import Switch
from waffle.utils import get_cache

from maintenance_waffle import core, testing
from maintenance_waffle.conf import READ_ONLY, area_scope, get_config
from maintenance_waffle.core import (
    get_maintenance_mode,
    get_read_only,
    set_maintenance_mode,
    set_read_only,
)
from maintenance_waffle.state import state
from maintenance_waffle.store import SiteState, read_site_state, write_alias
from maintenance_waffle.testing import (
    MaintenanceArea,
    MaintenanceTestMixin,
    area_down,
    read_only,
    reset_state,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
HOUR = timedelta(hours=1)
AREAS = {"checkout": [r"^/page/"], "reports": [r"^/async/"]}
PROBLEM = {"accept": "application/problem+json"}


@pytest.fixture(autouse=True)
def areas(settings: Any) -> None:
    settings.MAINTENANCE_WAFFLE_AREAS = AREAS


def stored() -> dict[str, SiteState]:
    """What is stored for every scope."""
    config = get_config()
    scopes = ["", READ_ONLY, area_scope("checkout"), area_scope("reports")]
    return {
        scope: read_site_state(config.scope_switch_name(scope), write_alias(), scope)
        for scope in scopes
    }


@pytest.fixture
def restored(db: None) -> Iterator[dict[str, SiteState]]:
    """A stored state with reasons and windows in every scope, checked again after the
    teardown of the fixtures a test requests after this one."""
    now = timezone.now()
    set_maintenance_mode(True, start=now + HOUR, end=now + 2 * HOUR, reason="Tonight")
    set_read_only(True, reason="Copying the database")
    set_maintenance_mode(True, start=now + HOUR, reason="Provider upgrade", area="checkout")
    set_maintenance_mode(True, reason="Rebuilding reports", area="reports")
    before = stored()
    assert before[""].windows
    assert before[READ_ONLY].reason == "Copying the database"
    yield before
    assert stored() == before


# The plugin is registered ------------------------------------------------------------------


def test_the_plugin_is_loaded_through_its_entry_point(request: pytest.FixtureRequest) -> None:
    plugin = request.config.pluginmanager.get_plugin("maintenance_waffle")

    assert plugin is testing
    assert "_maintenance_waffle_fresh_state" in request.fixturenames


def test_importing_the_module_imports_no_django() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = (
        "import sys, maintenance_waffle.testing as t; "
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('django', 'waffle')), "
        "sorted(n for n in sys.modules if n.startswith('maintenance_waffle.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] ['maintenance_waffle.testing']"


def test_without_pytest_only_the_unittest_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("_testing_without_pytest", testing.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "pytest", None)  # what an ImportError looks like

    spec.loader.exec_module(module)

    assert module.pytest is None
    assert not hasattr(module, "maintenance_on")
    assert not hasattr(module, "_maintenance_waffle_fresh_state")
    assert issubclass(module.read_only, ContextDecorator)


def test_core_helpers_are_re_exported() -> None:
    assert testing.override_maintenance_mode is core.override_maintenance_mode
    assert testing.maintenance_mode_on is core.maintenance_mode_on
    assert testing.maintenance_mode_off is core.maintenance_mode_off
    with pytest.raises(AttributeError, match="has no attribute 'maintenance_mode'"):
        testing.maintenance_mode  # noqa: B018


# The snapshot is reset ---------------------------------------------------------------------


def test_reset_state_forgets_the_snapshot() -> None:
    state.get(get_config())
    assert state.current() is not None

    reset_state()

    assert state.current() is None


def test_reset_state_without_a_state_module_does_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snapshot = state.get(get_config())
    monkeypatch.delitem(sys.modules, "maintenance_waffle.state")

    reset_state()

    assert state.current() is snapshot


# Fixtures ----------------------------------------------------------------------------------


def test_maintenance_on(restored: dict[str, SiteState], maintenance_on: None, http: Any) -> None:
    assert get_maintenance_mode() is True
    assert stored()[""] == SiteState(active=True)
    response = http.get("/")
    assert response.status_code == 503
    assert "Tonight" not in response.content.decode()


def test_read_only_on(restored: dict[str, SiteState], read_only_on: None, http: Any) -> None:
    assert get_read_only() is True
    assert stored()[READ_ONLY] == SiteState(active=True)
    assert http.get("/").status_code == 200
    assert http.post("/").status_code == 503


def test_maintenance_area(
    restored: dict[str, SiteState], maintenance_area: MaintenanceArea, http: Any
) -> None:
    maintenance_area("checkout", reason="Payment provider upgrade")
    maintenance_area("reports")
    maintenance_area("checkout", reason="Still upgrading")  # twice: both put back

    assert get_maintenance_mode(area="checkout") is True
    assert stored()[area_scope("reports")] == SiteState(active=True)
    body = http.get("/page/", headers=PROBLEM).json()
    assert (body["area"], body["detail"]) == ("checkout", "Still upgrading")
    assert http.get("/").status_code == 200


def test_maintenance_area_refuses_an_unknown_area(
    restored: dict[str, SiteState], maintenance_area: MaintenanceArea
) -> None:
    with pytest.raises(ValueError, match="Unknown maintenance area 'shop'"):
        maintenance_area("shop")

    assert stored() == restored


def test_all_three_together(
    restored: dict[str, SiteState],
    maintenance_on: None,
    read_only_on: None,
    maintenance_area: MaintenanceArea,
) -> None:
    maintenance_area("reports")

    assert (get_maintenance_mode(), get_read_only()) == (True, True)
    assert get_maintenance_mode(area="reports") is True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transactional_test_keeps_its_transactions(maintenance_on: None) -> None:
    # The fixtures take ``db``, which must not turn this test into a rolled-back one.
    assert not connection.in_atomic_block
    assert get_maintenance_mode() is True


@pytest.fixture
def waffle_cache_checked(db: None) -> Iterator[str]:
    """The cache key of waffle's maintenance switch, checked empty after the teardown of
    the fixtures a test requests after this one."""
    key = get_waffle_switch_model()._cache_key(get_config().switch_name)
    yield key
    assert get_cache().get(key) is None


def test_waffles_cache_is_flushed_when_a_fixture_ends(
    waffle_cache_checked: str, maintenance_on: None
) -> None:
    # waffle caches what it read; the flush it asks for at commit never comes here.
    assert Switch.get(get_config().switch_name).active is True
    assert get_cache().get(waffle_cache_checked) is not None


def test_waffles_cache_is_flushed_when_a_helper_ends(waffle_cache_checked: str) -> None:
    with area_down("checkout"):
        assert Switch.get(get_config().area_switch_name("checkout")).active is True
        key = get_waffle_switch_model()._cache_key(get_config().area_switch_name("checkout"))
        assert get_cache().get(key) is not None

    assert get_cache().get(key) is None


# Existing tests, written with the fixtures (tests/test_middleware.py, tests/test_scopes.py) -


def test_maintenance_answers_503(maintenance_on: None, http: Any) -> None:
    response = http.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "3600"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only_refuses_changes(read_only_on: None, http: Any, method: str) -> None:
    body = getattr(http, method)("/", headers=PROBLEM).json()

    assert body["read_only"] is True
    assert "area" not in body


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_read_only_serves_safe_requests(read_only_on: None, http: Any, method: str) -> None:
    assert getattr(http, method)("/").status_code == 200


def test_an_area_down(maintenance_area: MaintenanceArea, http: Any) -> None:
    maintenance_area("checkout", reason="Payment provider upgrade")

    body = http.get("/page/", headers=PROBLEM).json()

    assert body["area"] == "checkout"
    assert body["detail"] == "Payment provider upgrade"
    assert http.get("/").status_code == 200
    assert http.get("/async/").status_code == 200


# Unittest helpers --------------------------------------------------------------------------


def test_read_only_as_a_context_manager(restored: dict[str, SiteState]) -> None:
    with read_only(reason="Upgrading"):
        assert get_read_only() is True
        assert stored()[READ_ONLY] == SiteState(active=True, reason="Upgrading")
        with read_only(False):
            assert get_read_only() is False
        assert get_read_only() is True

    assert stored() == restored


def test_area_down_as_a_decorator_restores_after_an_exception(
    restored: dict[str, SiteState],
) -> None:
    @area_down("reports", reason="Rebuilding")
    def fails() -> None:
        assert stored()[area_scope("reports")] == SiteState(active=True, reason="Rebuilding")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fails()

    assert stored() == restored


def test_area_down_refuses_an_unknown_area_and_changes_nothing(
    restored: dict[str, SiteState],
) -> None:
    helper = area_down("shop")

    with pytest.raises(ValueError, match="Unknown maintenance area 'shop'"):
        helper.__enter__()

    assert stored() == restored
    assert helper._saved == []


def test_a_helper_that_fails_to_apply_changes_nothing(restored: dict[str, SiteState]) -> None:
    helper = read_only(reason=5)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="reason argument type is not str"):
        helper.__enter__()

    assert stored() == restored
    assert helper._saved == []


def test_the_mixin_switches_for_the_rest_of_a_test(restored: dict[str, SiteState]) -> None:
    seen: list[Any] = []

    class Case(MaintenanceTestMixin, unittest.TestCase):
        def test_it(self) -> None:
            seen.append(state.current())
            self.maintenance_on()
            self.read_only_on(reason="Copying")
            self.maintenance_area("checkout")
            self.maintenance_area("reports", reason="Later")
            seen.append(
                (
                    get_maintenance_mode(),
                    get_read_only(),
                    get_maintenance_mode(area="checkout"),
                    stored()[READ_ONLY].reason,
                    stored()[area_scope("reports")].reason,
                )
            )

    state.get(get_config())
    result = unittest.TestResult()

    Case("test_it").run(result)

    assert result.wasSuccessful(), result.errors + result.failures
    assert seen == [None, (True, True, True, "Copying", "Later")]
    assert stored() == restored
    assert state.current() is None  # reset again when the test ended


def test_the_mixin_refuses_an_unknown_area(restored: dict[str, SiteState]) -> None:
    class Case(MaintenanceTestMixin, unittest.TestCase):
        def test_it(self) -> None:
            self.maintenance_area("shop")

    result = unittest.TestResult()

    Case("test_it").run(result)

    assert len(result.errors) == 1
    assert "Unknown maintenance area 'shop'" in result.errors[0][1]
    assert stored() == restored


# A project's own pytest run ----------------------------------------------------------------

SETTINGS = """
SECRET_KEY = "inner"
USE_TZ = True
INSTALLED_APPS = [{apps}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
CACHES = {{"default": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MAINTENANCE_WAFFLE_AREAS = {{"checkout": [r"^/checkout/"]}}
# Long enough that a snapshot kept from one test would still be served in the next.
MAINTENANCE_WAFFLE_REFRESH_INTERVAL = 3600
"""

APPS = '"django.contrib.auth", "django.contrib.contenttypes", "waffle", "maintenance_waffle"'

FIXTURE_TESTS = """
import pytest
from waffle.models import Switch
from waffle.utils import get_cache

from maintenance_waffle.conf import get_config
from maintenance_waffle.core import get_maintenance_mode, get_read_only, set_maintenance_mode
from maintenance_waffle.state import state

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_before(db):
    set_maintenance_mode(True, reason="Stored before")
    yield
    # After maintenance_on's teardown: put back as it was.
    assert get_maintenance_mode() is True
    assert state.get(get_config()).reason == "Stored before"


def test_1_maintenance_on(maintenance_on):
    assert get_maintenance_mode() is True
    assert state.current() is not None


def test_2_off_again_and_a_fresh_snapshot():
    assert state.current() is None
    assert get_maintenance_mode() is False


def test_3_read_only_on(read_only_on):
    assert get_read_only() is True


def test_4_area(maintenance_area):
    maintenance_area("checkout", reason="Upgrade")
    assert get_maintenance_mode(area="checkout") is True
    with pytest.raises(ValueError):
        maintenance_area("shop")


def test_5_nothing_left_over():
    assert state.current() is None
    assert (get_maintenance_mode(), get_read_only()) == (False, False)
    assert get_maintenance_mode(area="checkout") is False
    assert not Switch.objects.filter(active=True).exists()


def test_6_restored_to_what_was_stored(stored_before, maintenance_on):
    assert get_maintenance_mode() is True
"""

UNITTEST_TESTS = """
from django.test import TestCase

from maintenance_waffle.core import get_maintenance_mode, get_read_only
from maintenance_waffle.testing import (
    MaintenanceTestMixin,
    area_down,
    maintenance_mode_on,
    override_maintenance_mode,
    read_only,
)


class HelpersTests(MaintenanceTestMixin, TestCase):
    def test_1_mixin(self):
        self.maintenance_on()
        self.read_only_on()
        self.maintenance_area("checkout")
        self.assertTrue(get_maintenance_mode())
        self.assertTrue(get_read_only())
        self.assertTrue(get_maintenance_mode(area="checkout"))

    def test_2_nothing_left_over(self):
        self.assertFalse(get_maintenance_mode())
        self.assertFalse(get_read_only())
        self.assertFalse(get_maintenance_mode(area="checkout"))

    @read_only()
    def test_3_decorators(self):
        self.assertTrue(get_read_only())
        with area_down("checkout"):
            self.assertTrue(get_maintenance_mode(area="checkout"))
        self.assertFalse(get_maintenance_mode(area="checkout"))
        with maintenance_mode_on():
            self.assertTrue(get_maintenance_mode())

    @override_maintenance_mode(True)
    def test_4_override(self):
        self.assertTrue(get_maintenance_mode())
"""

PLAIN_TESTS = """
import sys


def test_plain(request):
    assert "_maintenance_waffle_fresh_state" in request.fixturenames
    assert "maintenance_waffle.state" not in sys.modules
"""


def inner_pytest(tmp_path: Path, settings: str | None, files: dict[str, str]) -> str:
    """Run pytest in a project of its own at ``tmp_path``; its output."""
    ini = "[pytest]\naddopts = -p no:cacheprovider\n"
    if settings is not None:
        (tmp_path / "inner_settings.py").write_text(settings)
        ini += "DJANGO_SETTINGS_MODULE = inner_settings\npythonpath = .\n"
    (tmp_path / "pytest.ini").write_text(ini)
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def summary(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_a_projects_pytest_run(tmp_path: Path) -> None:
    output = inner_pytest(
        tmp_path,
        SETTINGS.format(apps=APPS),
        {"test_fixtures.py": FIXTURE_TESTS, "test_unittest.py": UNITTEST_TESTS},
    )

    assert re.match(r"10 passed in ", summary(output)), output


@pytest.mark.parametrize(
    "inner_settings",
    [None, SETTINGS.format(apps='"django.contrib.contenttypes"')],
    ids=["without-django", "without-the-app"],
)
def test_harmless_where_the_app_is_not_used(tmp_path: Path, inner_settings: str | None) -> None:
    output = inner_pytest(tmp_path, inner_settings, {"test_plain.py": PLAIN_TESTS})

    assert re.match(r"1 passed in ", summary(output)), output
