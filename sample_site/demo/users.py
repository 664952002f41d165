"""The demo accounts that ``load_demo`` creates (and the home page lists)."""

from __future__ import annotations

from typing import NamedTuple


class DemoUser(NamedTuple):
    username: str
    password: str
    is_superuser: bool
    is_staff: bool
    groups: tuple[str, ...]
    shows: str


BETA_GROUP = "beta"

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "admin",
        "admin-pass-123",
        is_superuser=True,
        is_staff=True,
        groups=(),
        shows="superuser: exempt through the maintenance_mode_exempt flag (sees the site "
        "and the banner), may use /maintenance-mode/on/ and /off/",
    ),
    DemoUser(
        "staff",
        "staff-pass-123",
        is_superuser=False,
        is_staff=True,
        groups=(),
        shows="staff: may change waffle flags and switches in the admin (always reachable), "
        "but gets the 503 page on the site",
    ),
    DemoUser(
        "beta",
        "beta-pass-123",
        is_superuser=False,
        is_staff=False,
        groups=(BETA_GROUP,),
        shows="member of group 'beta': in maintenance when the maintenance_mode flag "
        "targets that group",
    ),
    DemoUser(
        "alice",
        "alice-pass-123",
        is_superuser=False,
        is_staff=False,
        groups=(),
        shows="plain user: sees the site unless the switch is on",
    ),
)
