"""Where axe-core is looked for, and what happens where it is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.availability import AXE, AXE_DEFAULT, axe_source
from tests.stack.services import REQUIRE_SERVICES


def test_axe_core_is_read_from_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    script = tmp_path / "axe.min.js"
    script.write_text("window.axe = {};", encoding="utf-8")
    monkeypatch.setenv(AXE, str(script))

    assert axe_source() == "window.axe = {};"


def test_axe_core_comes_from_npm_by_default() -> None:
    assert AXE_DEFAULT.parts[-4:] == ("browser", "node_modules", "axe-core", "axe.min.js")


def test_without_axe_core_the_tests_are_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(AXE, "/nonexistent/axe.min.js")
    monkeypatch.delenv(REQUIRE_SERVICES, raising=False)

    with pytest.raises(
        pytest.skip.Exception, match=re.escape("no axe-core at /nonexistent/axe.min.js")
    ):
        axe_source()


def test_without_axe_core_the_tests_fail_where_it_is_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(AXE, "/nonexistent/axe.min.js")
    monkeypatch.setenv(REQUIRE_SERVICES, "1")

    with pytest.raises(
        pytest.fail.Exception, match=re.escape("no axe-core at /nonexistent/axe.min.js")
    ):
        axe_source()
