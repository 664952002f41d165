"""django-maintenance-mode's state backends: the state here is waffle's switch.

``MAINTENANCE_MODE_STATE_BACKEND`` is ignored (check W002), so no backend is ever used.
The base class stays importable, so that code naming it (a project's own backend, or
test helpers written for django-maintenance-mode) still imports.
"""

from __future__ import annotations

from typing import Any


class AbstractStateBackend:
    """The interface django-maintenance-mode's backends implement; never called here."""

    def get_value(self) -> Any:
        raise NotImplementedError("the maintenance state is waffle's switch")

    def set_value(self, value: Any) -> None:
        raise NotImplementedError("the maintenance state is waffle's switch")
