"""Secret bypass links: a signed, expiring cookie that lets one browser through.

``create_link()`` stores a ``BypassKey`` and returns a token; the link
``/maintenance-mode/bypass/<token>/`` checks it and sets the cookie, which names the key
and is signed with the project's SECRET_KEY. Every process honours a cookie while its
key is in force in the snapshot (not revoked, not expired), so ``revoke_all()`` closes
every link and every cookie within the refresh interval.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.core import signing

from maintenance_waffle import store
from maintenance_waffle.audit import Context, record
from maintenance_waffle.models import BypassKey
from maintenance_waffle.state import Snapshot, state

COOKIE_NAME = "maintenance_bypass"
_SALT = "maintenance_waffle.bypass"
_TTL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(value: str) -> timedelta:
    """'90', '90s', '15m', '2h' or '1d' as a timedelta (at least a second, at most 30 days)."""
    match = _TTL.match(value)
    if match is None:
        raise ValueError(f"Invalid duration: {value!r}; use e.g. 30m, 2h or 1d.")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 1 <= seconds <= 30 * 86400:
        raise ValueError(f"Invalid duration: {value!r}; it must be between 1s and 30d.")
    return timedelta(seconds=seconds)


def create_link(ttl: timedelta, channel: str, user: Any = None) -> tuple[str, BypassKey]:
    """A new bypass key valid for ``ttl``, and the token of its link."""
    key = store.create_bypass_key(
        expires=store.current_time() + ttl,
        created_by=str(user.get_username()) if getattr(user, "is_authenticated", False) else "",
    )
    record(
        f"bypass link #{key.pk}",
        "",
        f"created, valid until {key.expires.isoformat()}",
        Context(channel, user),
        store.write_alias(),
    )
    return signing.dumps(key.pk, salt=_SALT), key


def revoke_all(channel: str, user: Any = None) -> int:
    """Revoke every bypass link and cookie; return how many keys were in force."""
    count = store.revoke_bypass_keys(store.current_time())
    # A bulk update sends no signal: make this process re-read at once.
    state.invalidate()
    if count:
        record(
            "bypass links",
            f"{count} in force",
            "all revoked",
            Context(channel, user),
            store.write_alias(),
        )
    return count


def key_of(token: str) -> int | None:
    """The key id a token or cookie names, if its signature is good."""
    try:
        key = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    return key if isinstance(key, int) else None


def cookie_lets_through(cookie: str | None, snapshot: Snapshot, now: datetime) -> bool:
    """Whether a bypass cookie names a key in force (no I/O: the snapshot has the keys)."""
    if not cookie or not snapshot.bypass_keys:
        return False
    key = key_of(cookie)
    return any(pk == key and expires > now for pk, expires in snapshot.bypass_keys)
