"""Every code example of the guides (docs/guides/*.md) and of README.md runs.

- ```python blocks run in order, each page in one namespace, as a doctest session would,
  with Django set up on the test settings and a test database; the ``MAINTENANCE_*``
  settings a page assigns must pass the system checks. A page whose examples define
  tests (``def test_…``, a ``TestCase``) is run by pytest instead, against the sample
  site with the pytest plugin, and every test must pass.
- ```sh blocks run line by line against the sample site (``python manage.py …``), on a
  migrated SQLite database with the demo data, one per page; paths under /srv/example/
  and /etc/nginx/snippets/ go to a temporary directory. Commands that install packages,
  start long-running processes or need a server (``NOT_RUN``) are not run.
- ```nginx blocks, with what the page's commands wrote, pass ``nginx -t``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error
from django.test import override_settings

from maintenance_waffle import checks
from tests.stack.test_nginx import nginx_accepts
from tests.test_testing_plugin import inner_pytest, summary

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "sample_site" / "manage.py"
PAGES = [*sorted((ROOT / "docs" / "guides").glob("*.md")), ROOT / "README.md"]

#: A fenced block, possibly indented (inside a list item): its language and text.
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<language>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.S | re.M
)
#: ``python manage.py`` as the guides write it, and as the sample site's pages do.
MANAGE_PY = re.compile(r"^(?:\.venv/bin/)?python3? (?:sample_site/)?manage\.py\b")
#: Commands of the examples that are not run here, and why.
NOT_RUN = {
    "pip": "installs packages",
    "celery": "starts a worker or needs a broker",
    "systemctl": "manages a system service",
    "curl": "needs a running server",
    "make": "runs the project's own targets",
    "sudo": "needs another account",
}
#: Commands run as they are, after the paths are mapped.
RUN_AS_IS = {"touch", "rm", "mkdir", "cat"}
#: Paths of the examples, and where they go here.
MAPPED = ("/srv/example", "/etc/nginx/snippets")
DEFINES_TESTS = re.compile(r"^\s*(?:def test_|class \w+\(.*TestCase\))", re.M)


def blocks(page: Path, *languages: str) -> list[str]:
    """The fenced blocks of ``page`` in ``languages``, dedented, in order."""
    return [
        textwrap.dedent(
            "\n".join(line.removeprefix(match["indent"]) for line in match["body"].splitlines())
        )
        for match in FENCE.finditer(page.read_text())
        if match["language"] in languages
    ]


def commands(block: str) -> list[str]:
    """The command lines of a shell block: continuations joined, comments left out."""
    joined = re.sub(r"\s*\\\n\s*", " ", block)
    return [
        line.strip()
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def pages_with(*languages: str) -> list[Any]:
    return [
        pytest.param(page, id=page.relative_to(ROOT).as_posix())
        for page in PAGES
        if blocks(page, *languages)
    ]


# Parsing -----------------------------------------------------------------------------


def test_blocks_inside_list_items_and_their_languages(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text\n\n```python\nx = 1\n```\n\n* item\n\n  ```sh\n  python manage.py check \\\n"
        "      --deploy  # all of it\n  # a comment\n  ```\n\n```text\nout\n```\n"
    )

    assert blocks(page, "python") == ["x = 1"]
    [shell] = blocks(page, "sh")
    assert commands(shell) == ["python manage.py check --deploy  # all of it"]


def test_every_guide_has_examples_and_every_example_a_known_language() -> None:
    known = {"python", "sh", "nginx", "text"}
    for page in PAGES:
        languages = {match["language"] for match in FENCE.finditer(page.read_text())}
        assert languages <= known, (page.name, languages - known)
    assert all(blocks(page, "python", "sh", "nginx") for page in PAGES), [
        page.name for page in PAGES if not blocks(page, "python", "sh", "nginx")
    ]


# Python ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    [
        param
        for param in pages_with("python")
        if not DEFINES_TESTS.search("\n".join(blocks(param.values[0], "python")))
    ],
)
def test_python_examples_run(page: Path) -> None:
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for index, block in enumerate(blocks(page, "python")):
        exec(compile(block, f"{page.name} (block {index + 1})", "exec"), namespace)

    ours = {name: value for name, value in namespace.items() if name.startswith("MAINTENANCE_")}
    with override_settings(**ours):
        errors = [message for message in checks.check_settings() if isinstance(message, Error)]
    assert errors == []


@pytest.mark.parametrize(
    "page",
    [
        param
        for param in pages_with("python")
        if DEFINES_TESTS.search("\n".join(blocks(param.values[0], "python")))
    ],
)
def test_test_examples_pass(page: Path, tmp_path: Path) -> None:
    output = inner_pytest(
        tmp_path,
        "from sample_site.settings import *  # noqa: F403\n",
        {"test_examples.py": "\n\n".join(blocks(page, "python"))},
    )

    assert " passed" in summary(output)


# Shell and nginx ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample site's SQLite database, migrated, with the demo data."""
    database = tmp_path_factory.mktemp("sample") / "db.sqlite3"
    for arguments in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run(
            [sys.executable, str(MANAGE), *arguments, "--verbosity", "0"],
            env=sample_env(database),
            check=True,
            timeout=120,
        )
    return database


def sample_env(database: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SAMPLE_", "DJANGO_", "PYTEST_"))
    }
    env["SAMPLE_DB_NAME"] = str(database)
    return env


def program_of(command: str) -> str:
    """What a command line runs: ``pip`` for ``python -m pip``, else its first word's name."""
    words = command.split()
    name = Path(words[0]).name
    return "pip" if name.startswith("python") and words[1:3] == ["-m", "pip"] else name


def mapped(command: str, directory: Path) -> str:
    command = MANAGE_PY.sub(f"{shlex.quote(sys.executable)} {shlex.quote(str(MANAGE))}", command)
    for path in MAPPED:
        command = command.replace(path, f"{directory}{path}")
    return command


@pytest.mark.parametrize("page", pages_with("sh", "nginx"))
def test_shell_and_nginx_examples_run(page: Path, sample_database: Path, tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    shutil.copy(sample_database, database)
    for path in MAPPED:
        (tmp_path / path.lstrip("/")).mkdir(parents=True)
    (tmp_path / "srv" / "example" / "maintenance").mkdir()

    for block in blocks(page, "sh"):
        for command in commands(block):
            program = program_of(command)
            if program in NOT_RUN:
                continue
            line = mapped(command, tmp_path)
            assert MANAGE_PY.match(command) or program in RUN_AS_IS, (
                f"{page.name}: {command!r} is neither run here nor in NOT_RUN"
            )
            result = subprocess.run(
                ["bash", "-c", line],
                cwd=tmp_path,
                env=sample_env(database),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"

    for block in blocks(page, "nginx"):
        nginx_accepts(mapped(block, tmp_path), tmp_path)
