"""Helpers for a project's tests: pytest fixtures and unittest context managers.

pytest loads this module through the ``pytest11`` entry point, before Django is set up
(pytest-django does that later) and in projects that do not use Django at all: nothing
here imports Django's models, or anything that does, until a fixture or helper runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ContextDecorator, ExitStack, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

try:
    import pytest
except ImportError:
    # Django's test runner without pytest installed: the unittest helpers only.
    pytest = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import unittest

    from maintenance_waffle.core import (
        maintenance_mode_off,
        maintenance_mode_on,
        override_maintenance_mode,
        override_scope,
    )

    _TestCaseBase = unittest.TestCase
else:
    _TestCaseBase = object

__all__ = [
    "MaintenanceArea",
    "MaintenanceTestMixin",
    "area_down",
    "maintenance_mode_off",
    "maintenance_mode_on",
    "override_maintenance_mode",
    "read_only",
    "reset_state",
]

#: Re-exported from maintenance_waffle.core when first used: core imports the models.
_CORE_NAMES = frozenset(
    {"maintenance_mode_off", "maintenance_mode_on", "override_maintenance_mode"}
)


def __getattr__(name: str) -> Any:
    if name in _CORE_NAMES:
        from maintenance_waffle import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reset_state() -> None:
    """Forget this process's maintenance snapshot, so that the next check reads the
    state afresh. Nothing to do (and nothing imported) when no snapshot was ever taken."""
    # Only imported once Django is set up with this app installed; until then there is
    # no snapshot to forget, and importing it here would need the models.
    module = sys.modules.get("maintenance_waffle.state")
    if module is not None:
        module.state.reset()


def _forget_waffle_cache(switch_name: str) -> None:
    # waffle flushes its cache for a switch when the transaction commits, which a test
    # wrapped in a rolled-back transaction never does: a value waffle cached during the
    # test would outlive it.
    from waffle import get_waffle_switch_model

    get_waffle_switch_model()(name=switch_name).flush()


class _Override(ContextDecorator):
    """Change one scope's stored state for a block or a function, then put back exactly
    what was stored before (core.override_scope), and drop waffle's cached value for its
    switch."""

    def __init__(self) -> None:
        # The overrides entered, each holding what it will put back.
        self._saved: list[override_scope] = []

    def _scope(self) -> str:
        """The scope changed, after checking the arguments."""
        raise NotImplementedError

    def _apply(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> None:
        from maintenance_waffle.core import override_scope

        override = override_scope(self._scope(), self._apply)
        override.__enter__()
        self._saved.append(override)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        from maintenance_waffle.conf import get_config

        override = self._saved.pop()
        override.__exit__(exc_type, exc, traceback)
        _forget_waffle_cache(get_config().scope_switch_name(override.scope))


class read_only(_Override):
    """Read-only mode on (or off) for a block or a function, then as it was before."""

    def __init__(self, value: bool = True, *, reason: str | None = None) -> None:
        super().__init__()
        self.value = value
        self.reason = reason

    def _scope(self) -> str:
        from maintenance_waffle.conf import READ_ONLY

        return READ_ONLY

    def _apply(self) -> None:
        from maintenance_waffle.core import set_read_only

        set_read_only(self.value, reason=self.reason)


class area_down(_Override):
    """The area ``area`` of ``MAINTENANCE_WAFFLE_AREAS`` down for a block or a function,
    then as it was before. ValueError for an area the setting does not name."""

    def __init__(self, area: str, *, reason: str | None = None) -> None:
        super().__init__()
        self.area = area
        self.reason = reason

    def _scope(self) -> str:
        from maintenance_waffle.conf import area_scope, get_config
        from maintenance_waffle.core import check_area

        check_area(get_config(), self.area)
        return area_scope(self.area)

    def _apply(self) -> None:
        from maintenance_waffle.core import set_maintenance_mode

        set_maintenance_mode(True, reason=self.reason, area=self.area)


@contextmanager
def _maintenance_on() -> Iterator[None]:
    from maintenance_waffle.conf import get_config
    from maintenance_waffle.core import override_maintenance_mode

    try:
        with override_maintenance_mode(True):
            yield
    finally:
        _forget_waffle_cache(get_config().switch_name)


class MaintenanceArea(Protocol):
    """The ``maintenance_area`` fixture: puts an area down for the rest of the test."""

    def __call__(self, area: str, reason: str | None = None) -> None: ...


class MaintenanceTestMixin(_TestCaseBase):
    """For Django's ``TestCase`` and ``TransactionTestCase``: each test starts and ends
    with a fresh maintenance snapshot, and can switch maintenance on for the rest of
    the test; whatever it switched is put back as it was when the test ends."""

    def setUp(self) -> None:
        reset_state()
        self.addCleanup(reset_state)
        super().setUp()

    def _for_the_test(self, manager: Any) -> None:
        manager.__enter__()
        self.addCleanup(manager.__exit__, None, None, None)

    def maintenance_on(self) -> None:
        """Site-wide maintenance on until the end of the test."""
        self._for_the_test(_maintenance_on())

    def read_only_on(self, reason: str | None = None) -> None:
        """Read-only mode on until the end of the test."""
        self._for_the_test(read_only(True, reason=reason))

    def maintenance_area(self, area: str, reason: str | None = None) -> None:
        """The area ``area`` down until the end of the test."""
        self._for_the_test(area_down(area, reason=reason))


# pytest ----------------------------------------------------------------------------------

if pytest is not None:

    @pytest.fixture(autouse=True)
    def _maintenance_waffle_fresh_state() -> Iterator[None]:
        # The snapshot is the process's: without this, a test could see the state an
        # earlier one read, until the refresh interval passed.
        reset_state()
        yield
        reset_state()

    # Each fixture takes pytest-django's ``db``: with ``transactional_db`` (or the
    # ``django_db(transaction=True)`` marker) the test still gets that instead.

    @pytest.fixture
    def maintenance_on(db: None) -> Iterator[None]:
        """Site-wide maintenance on for the test, then exactly as it was stored before."""
        with _maintenance_on():
            yield

    @pytest.fixture
    def read_only_on(db: None) -> Iterator[None]:
        """Read-only mode on for the test, then exactly as it was stored before."""
        with read_only(True):
            yield

    @pytest.fixture
    def maintenance_area(db: None) -> Iterator[MaintenanceArea]:
        """A callable, ``maintenance_area("checkout", reason=None)``, that puts an area
        of ``MAINTENANCE_WAFFLE_AREAS`` down for the rest of the test (ValueError for an
        unknown one); every area it touched is put back as it was stored before."""
        with ExitStack() as stack:

            def down(area: str, reason: str | None = None) -> None:
                stack.enter_context(area_down(area, reason=reason))

            yield down
