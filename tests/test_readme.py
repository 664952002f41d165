from __future__ import annotations

import re
from pathlib import Path

from maintenance_waffle.conf import DEFAULTS, IGNORED_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0]

    assert [line.split()[:2] for line in block.splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]


def test_migration_table_covers_every_upstream_setting() -> None:
    guide = (ROOT / "docs" / "guides" / "migrating.md").read_text()
    rows = re.findall(r"^\| `(MAINTENANCE_MODE[A-Z_]*)`", guide, flags=re.MULTILINE)
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
