"""A project's test suite that turns maintenance on in one test sees it off in the next,
in any order, with the default refresh interval and no reset of ours."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from model_bakery import baker

from maintenance_waffle.conf import get_config
from maintenance_waffle.core import set_maintenance_mode
from maintenance_waffle.state import state

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("order", [[], ["--reverse"], ["--shuffle", "1"], ["--shuffle", "7"]])
def test_no_test_sees_another_ones_maintenance(order: list[str]) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_CURRENT_TEST", None)
    result = subprocess.run(
        [sys.executable, "-m", "django", "test", "tests.suites.isolation", "-v", "2", *order],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "Ran 4 tests" in result.stderr


# Inside one process ------------------------------------------------------------------------


class Rollback(Exception):
    pass


@pytest.mark.django_db
def test_a_state_read_in_a_rolled_back_transaction_is_read_again() -> None:
    config = get_config()
    assert not state.get(config).switch

    with contextlib.suppress(Rollback), transaction.atomic():
        set_maintenance_mode(True)
        assert state.get(config).switch
        assert state.peek() is not None  # kept while the transaction is open
        raise Rollback

    assert state.peek() is None
    assert not state.get(config).switch


@pytest.mark.django_db
def test_a_state_read_in_a_committed_savepoint_stays_right() -> None:
    config = get_config()
    with transaction.atomic():
        set_maintenance_mode(True)
        assert state.get(config).switch

    assert state.peek() is None
    assert state.get(config).switch


@pytest.mark.django_db
def test_a_transaction_that_changed_nothing_of_ours_keeps_the_state(
    django_assert_num_queries: Any,
) -> None:
    snapshot = state.get(get_config())

    with transaction.atomic():
        baker.make(User)
        with django_assert_num_queries(0):
            assert state.get(get_config()) is snapshot


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_commit_the_state_is_read_once_then_kept(
    django_assert_num_queries: Any,
) -> None:
    config = get_config()
    with transaction.atomic():
        set_maintenance_mode(True)
        assert state.get(config).switch

    assert state.get(config).switch  # read again: the transaction is over
    with django_assert_num_queries(0):
        assert state.get(config).switch
