"""Fixtures of the browser tests: Chromium pages on the live server."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django.contrib.admin
import pytest
from pytest_django import Settings

from tests.browser.availability import launched_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(autouse=True)
def _admin_static(settings: Settings) -> None:
    # The test project has no staticfiles app; the live server then serves STATIC_ROOT
    # under STATIC_URL, so point it at the admin's files for styled admin pages.
    settings.STATIC_ROOT = str(Path(django.contrib.admin.__file__).parent / "static")


@pytest.fixture
def new_page(live_server: Any) -> Iterator[Callable[..., Page]]:
    """Opens a page in a new browser context, with cookies of its own.

    Chromium starts with the first page and stops before the test database is flushed.
    From the first page on, Playwright's sync API runs an event loop in this thread:
    Django then refuses ORM calls here (SynchronousOnlyOperation), and rightly so, as
    they would go through new connections, not the one the live server shares. So a
    test prepares its data first.
    """
    with contextlib.ExitStack() as stack:
        browser: Browser | None = None

        def new_page(width: int = 1280, height: int = 800) -> Page:
            nonlocal browser
            if browser is None:
                browser = stack.enter_context(launched_chromium())
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="en-US"
            )
            context.set_default_timeout(10_000)
            return context.new_page()

        yield new_page


def screenshot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots with `make screenshots` (MAINTENANCE_WAFFLE_SCREENSHOTS=1), else
    a temporary folder, so that a test run leaves the work tree as it was."""
    if os.environ.get("MAINTENANCE_WAFFLE_SCREENSHOTS"):
        return DOCS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., None]:
    """Saves a page as <name>.png in screenshot_folder()."""
    folder = screenshot_folder(tmp_path_factory)
    folder.mkdir(parents=True, exist_ok=True)

    def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
        # Finite animations (the badge's pulse) are run to their end: stable images.
        page.screenshot(path=folder / f"{name}.png", full_page=full_page, animations="disabled")

    return screenshot


@pytest.fixture(autouse=True)
def _app_static(
    _admin_static: None, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # And this app's own files (its style sheets and scripts) beside the admin's: one
    # folder of links to both.
    root = tmp_path_factory.getbasetemp() / "static"
    if not root.exists():
        root.mkdir()
        app = Path(__file__).resolve().parents[2] / "maintenance_waffle" / "static"
        for folder in (Path(settings.STATIC_ROOT) / "admin", app / "maintenance_waffle"):
            (root / folder.name).symlink_to(folder, target_is_directory=True)
    settings.STATIC_ROOT = str(root)
