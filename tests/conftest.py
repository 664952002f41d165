from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.test import AsyncClient, Client

from maintenance_waffle.state import state


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    # Waffle's cache survives between tests (Django does not clear it), and so would
    # this process's snapshot.
    cache.clear()
    state.reset()
    yield
    state.reset()


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
