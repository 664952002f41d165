"""Whether the browser tests can run here: Playwright's Python package and Debian's Chromium,
and axe-core (from npm) for the accessibility tests.

Where one is missing the tests are skipped, with the reason; with
``MAINTENANCE_WAFFLE_REQUIRE_SERVICES=1`` (as in CI) that is a failure instead.
``MAINTENANCE_WAFFLE_CHROMIUM`` names another Chromium executable
(``MAINTENANCE_WAFFLE_CHROMIUM=/nonexistent`` shows the skip).

Playwright's own browser downloads are never used: the tests drive the system's Chromium.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tests.stack.services import unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "MAINTENANCE_WAFFLE_CHROMIUM"
NEEDS = "browser tests need Chromium and Playwright"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Chromium, driven through Playwright's sync API; closed on exit."""
    path = Path(os.environ.get(CHROMIUM, "/usr/bin/chromium"))
    if not os.access(path, os.X_OK):
        unavailable(NEEDS, f"no Chromium at {path} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable(NEEDS, 'the playwright package is not installed (pip install -e ".[test]")')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


AXE = "MAINTENANCE_WAFFLE_AXE"
AXE_NEEDS = "accessibility tests need axe-core"
#: Where `make axe` (npm ci in this folder, package.json pins the version) puts axe-core.
AXE_DEFAULT = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


def axe_source() -> str:
    """axe-core's script, from ``MAINTENANCE_WAFFLE_AXE`` or tests/browser/node_modules
    (``MAINTENANCE_WAFFLE_AXE=/nonexistent`` shows the skip)."""
    path = Path(os.environ.get(AXE, AXE_DEFAULT))
    if not path.is_file():
        unavailable(AXE_NEEDS, f"no axe-core at {path} (make axe, or npm ci in tests/browser)")
    return path.read_text(encoding="utf-8")
