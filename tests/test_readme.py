from __future__ import annotations

import re
from pathlib import Path

from maintenance_waffle.conf import DEFAULTS, IGNORED_SETTINGS, InstallationId, SettingsId
from tests.checks_helpers import check_ids

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0]

    assert [line.split()[:2] for line in block.splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]


def test_every_setting_has_a_subsection_and_nothing_else_does() -> None:
    documented = re.findall(r"^### `([A-Z_]+)`$", README, flags=re.MULTILINE)

    assert documented == [*DEFAULTS, *IGNORED_SETTINGS]


def test_every_check_id_is_in_the_table_and_nothing_else_is() -> None:
    documented = re.findall(r"^\| `maintenance_waffle\.([EW]\d{3})` \|", README, re.MULTILINE)

    assert sorted(documented) == documented
    assert set(documented) == {*check_ids(InstallationId), *check_ids(SettingsId)}


def test_migration_table_covers_every_upstream_setting() -> None:
    section = README.split("## Migrating from django-maintenance-mode", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(MAINTENANCE_MODE[A-Z_]*)`", section, flags=re.MULTILINE)
    upstream = [
        name for name in [*DEFAULTS, *IGNORED_SETTINGS] if name.startswith("MAINTENANCE_MODE")
    ]

    assert len(upstream) == 25
    assert set(upstream) <= set(rows)


def test_links_work_on_a_package_index_page() -> None:
    # PyPI shows the README without the repository around it: a relative link or image
    # would lead nowhere there.
    targets = re.findall(r"\]\(([^)\s]+)\)", README)

    assert targets
    assert [target for target in targets if not target.startswith("https://")] == []


def test_snippets_import_what_they_use() -> None:
    for block in re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL):
        if "include(" in block:
            assert "from django.urls import include" in block, block
