#!/usr/bin/env python
"""Run the sample site's management commands: ``python sample_site/manage.py <command>``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    # The project package is ``sample_site``: import it from the repository root, not
    # this folder's modules as top-level ones.
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:
        del sys.path[0]
    sys.path.insert(0, str(here.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
