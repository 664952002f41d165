from __future__ import annotations

from typing import Any

from django.core.cache.backends.locmem import LocMemCache


class CountingCache(LocMemCache):
    """LocMemCache that counts the keys it handles, to prove a code path uses none."""

    operations = 0

    def make_and_validate_key(self, *args: Any, **kwargs: Any) -> str:
        type(self).operations += 1
        return super().make_and_validate_key(*args, **kwargs)
