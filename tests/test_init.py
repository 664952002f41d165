from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import maintenance_waffle

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "name",
    ["__title__", "__description__", "__version__", "__author__", "__license__", "__copyright__"],
)
def test_metadata_is_text(name: str) -> None:
    value = getattr(maintenance_waffle, name)

    assert isinstance(value, str)
    assert value.strip() == value
    assert value


def test_metadata_values() -> None:
    assert maintenance_waffle.__title__ == "maintenance-waffle"
    assert maintenance_waffle.__license__ == "MIT"
    assert "maintenance" in maintenance_waffle.__description__.lower()
    assert maintenance_waffle.__author__ in maintenance_waffle.__copyright__


def test_version() -> None:
    assert re.fullmatch(r"\d+(\.\d+){1,2}", maintenance_waffle.__version__)


def test_title_is_the_distribution_name() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()

    assert f'\nname = "{maintenance_waffle.__title__}"\n' in pyproject


def test_importing_the_package_imports_nothing_from_django() -> None:
    script = (
        "import sys, maintenance_waffle; print(sorted(m for m in sys.modules if 'django' in m))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout == "[]\n"
