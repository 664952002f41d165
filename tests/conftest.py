from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, cast

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache
from django.test import AsyncClient, Client

from maintenance_waffle.conf import IGNORED_SETTINGS, RENAMED_SETTINGS, SETTINGS
from maintenance_waffle.state import state

#: Every setting this app reads or reports on.
OUR_SETTINGS = [setting.name for setting in SETTINGS] + [*RENAMED_SETTINGS, *IGNORED_SETTINGS]


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    # Waffle's cache survives between tests (Django does not clear it), and so would
    # this process's snapshot.
    cache.clear()
    state.reset()
    yield
    state.reset()


@pytest.fixture
def live_settings() -> Iterator[Any]:
    """``django.conf.settings`` itself, to assign on directly as django-maintenance-mode's
    users do (no ``setting_changed``); this app's settings are put back afterwards."""
    holder = cast(Any, settings)._wrapped.__dict__
    saved = {name: holder[name] for name in OUR_SETTINGS if name in holder}
    yield settings
    for name in OUR_SETTINGS:
        if name in holder:
            delattr(settings, name)  # also forgets the value LazySettings cached
    holder.update(saved)


class SyncedAsyncClient:
    """An AsyncClient driven from synchronous tests, through Django's ASGI handler."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name in {"get", "post", "head", "put", "delete", "options", "patch", "generic"}:
            return async_to_sync(attribute)
        return attribute


@pytest.fixture(params=["wsgi", "asgi"])
def http(request: pytest.FixtureRequest, client: Client, async_client: AsyncClient) -> Any:
    """The test client, once through the sync (WSGI) and once through the async stack."""
    if request.param == "wsgi":
        return client
    return SyncedAsyncClient(async_client)


Commit = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Commit:
    """Run the on-commit callbacks registered inside the block, as a commit would."""

    def block() -> AbstractContextManager[Any]:
        return django_capture_on_commit_callbacks(execute=True)  # type: ignore[no-any-return]

    return block
