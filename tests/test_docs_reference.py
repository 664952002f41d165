"""The reference pages docs/reference/settings.md, checks.md and command.md are made from
the code by docs/_ext/mw_reference.py and committed: they must be what it makes now."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.core.management.base import BaseCommand

from maintenance_waffle.conf import (
    CHECK_SUMMARIES,
    IGNORED_SETTINGS,
    RENAMED_SETTINGS,
    SETTINGS,
    InstallationId,
    SettingsId,
    check_id,
)
from maintenance_waffle.management.commands.maintenance_mode import Command
from tests.checks_helpers import check_ids

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import mw_reference  # noqa: E402  (docs/_ext is not a package)

ALL_IDS = sorted([*check_ids(InstallationId), *check_ids(SettingsId)])


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return mw_reference.generate()


def headings(text: str, level: str) -> list[str]:
    return re.findall(rf"^{level} `([^`]+)`$", text, flags=re.MULTILINE)


# The committed pages ----------------------------------------------------------------------


def test_committed_pages_are_what_the_code_makes(pages):
    assert sorted(pages) == ["reference/checks.md", "reference/command.md", "reference/settings.md"]
    for path, text in pages.items():
        committed = (DOCS / path).read_text(encoding="utf-8")
        assert committed == text, f"docs/{path} is stale: run make docs to regenerate it."


def test_check_from_the_command_line_with_the_sample_site():
    # As the docs build makes them: another process, on the sample site's settings.
    environ = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, str(DOCS / "_ext" / "mw_reference.py"), "--check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr + "\nRun make docs to regenerate the pages."


def test_stale_and_write_only_touch_what_changed(tmp_path):
    pages = {"reference/a.md": "a\n", "reference/b.md": "b\n", "c.md": "c\n"}
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "a.md").write_text("a\n")
    (tmp_path / "reference" / "b.md").write_text("old\n")

    assert mw_reference.stale(pages, tmp_path) == ["reference/b.md", "c.md"]
    assert mw_reference.write(pages, tmp_path) == ["reference/b.md", "c.md"]
    assert (tmp_path / "reference" / "b.md").read_text() == "b\n"
    assert mw_reference.stale(pages, tmp_path) == []
    assert mw_reference.write(pages, tmp_path) == []


# Settings ---------------------------------------------------------------------------------


def test_every_setting_has_a_type_and_a_meaning():
    for setting in SETTINGS:
        assert setting.type, setting.name
        assert setting.doc, setting.name
        assert setting.doc == setting.doc.strip(), setting.name
        assert "\n\n\n" not in setting.doc, setting.name
    for name, why in IGNORED_SETTINGS.items():
        assert why.endswith("."), name


def test_settings_page_has_each_setting_in_order_then_those_that_no_longer_apply(pages):
    text = pages["reference/settings.md"]

    assert headings(text, "##") == [setting.name for setting in SETTINGS]
    assert headings(text, "###") == [*IGNORED_SETTINGS, *RENAMED_SETTINGS]
    for setting in SETTINGS:
        assert f"({setting.name})=\n## `{setting.name}`\n\n" in text
        assert f"**Default:** `{mw_reference.python_literal(setting.default)}`" in text
        assert setting.doc in text
    for old, new in RENAMED_SETTINGS.items():
        assert f"({old})=\n### `{old}`\n\nRenamed to [`{new}`](#{new})" in text


# System checks ----------------------------------------------------------------------------


def test_every_check_id_has_a_summary_and_one_example():
    examples = [example.id for example in mw_reference.EXAMPLES]

    assert sorted(CHECK_SUMMARIES) == ALL_IDS
    assert examples == ALL_IDS


@pytest.mark.parametrize("example", mw_reference.EXAMPLES, ids=lambda example: example.id)
def test_each_example_gives_exactly_its_id(example):
    messages = example.run()

    assert [message.id for message in messages] == [check_id(example.id)]
    level = checks.ERROR if example.id.startswith("E") else checks.WARNING
    assert messages[0].level == level
    assert messages[0].hint


def test_checks_page_has_each_id_in_order_with_its_message(pages):
    text = pages["reference/checks.md"]

    assert headings(text, "##") == [check_id(id_) for id_ in ALL_IDS]
    for example in mw_reference.EXAMPLES:
        message = example.run()[0]
        assert f"({check_id(example.id)})=\n" in text
        assert CHECK_SUMMARIES[example.id] in text
        assert message.msg in text
        assert f"HINT: {message.hint}" in text


def test_an_example_giving_another_id_stops_the_page():
    with pytest.raises(ValueError, match="The example of E003 gives"):
        mw_reference.check_message(mw_reference.Example("E003"))


def test_an_id_without_an_example_stops_the_page(monkeypatch):
    monkeypatch.setattr(mw_reference, "EXAMPLES", mw_reference.EXAMPLES[1:])

    with pytest.raises(ValueError, match=r"\['E001'\]"):
        mw_reference.checks_page()


# The command ------------------------------------------------------------------------------


def test_command_page_has_every_argument_of_the_parser(pages):
    text = pages["reference/command.md"]
    parser = Command().create_parser("manage.py", "maintenance_mode")
    common = {action.dest for action in BaseCommand().create_parser("manage.py", "x")._actions}
    ours = [action for action in parser._actions if action.dest not in common]

    assert ours[0].dest == "state"
    entries = re.findall(r"^`([^`]+)`\n: ", text, flags=re.MULTILINE)
    assert [entry.split()[0] for entry in entries] == [
        (action.option_strings or [action.dest])[0] for action in ours
    ]
    assert "`--bypass-ttl DURATION`\n: " in text
    for action in ours:
        assert action.help
        assert mw_reference._escape(action.help) + "." in text
    usage = text.split("```text\n", 1)[1].split("```", 1)[0]
    assert usage.startswith("manage.py maintenance_mode [--start START]")
    assert "[--area NAME | --read-only]" in usage
    assert usage.rstrip().endswith(" state")
    assert max(len(line) for line in usage.splitlines()) <= mw_reference.WIDTH
