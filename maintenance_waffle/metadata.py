"""The package's metadata under django-maintenance-mode's module name for it."""

from __future__ import annotations

from maintenance_waffle import (
    __author__,
    __copyright__,
    __description__,
    __license__,
    __title__,
    __version__,
)

#: No address of its own: issues and questions go to the repository.
__email__ = ""

__all__ = [
    "__author__",
    "__copyright__",
    "__description__",
    "__email__",
    "__license__",
    "__title__",
    "__version__",
]
