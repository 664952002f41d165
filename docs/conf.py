"""Sphinx configuration of the documentation site (MyST Markdown, Furo).

Build it with ``sphinx-build -W --keep-going -b html docs docs/_build/html``. The reference
pages under ``reference/`` are made from the code by the ``mw_reference`` extension
(docs/_ext/mw_reference.py), which needs Django set up: the sample site's settings, the
same for every build, so that the committed pages never depend on who built them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_site.settings")
django.setup()

import maintenance_waffle  # noqa: E402  (Django is set up first)

project = "maintenance_waffle"
author = "maintenance_waffle contributors"
copyright = "maintenance_waffle contributors"
version = release = maintenance_waffle.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "mw_reference"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_ext", "screenshots"]

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]

autodoc_typehints = "description"
autodoc_member_order = "bysource"

html_theme = "furo"
html_title = f"maintenance_waffle {release}"
