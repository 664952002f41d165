"""Figures measured by the stack tests, printed (and saved) at the end of the run."""

from __future__ import annotations

from typing import Any

FIGURES: dict[str, Any] = {}
