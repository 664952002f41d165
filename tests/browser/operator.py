"""An operator in the browser: a superuser's session, made before the browser starts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.test import Client

if TYPE_CHECKING:
    from playwright.sync_api import Page

DASHBOARD = "/admin/maintenance_waffle/maintenance/"
CHANGES = "/admin/maintenance_waffle/maintenancechange/"
WINDOWS = "/admin/maintenance_waffle/maintenancewindow/"


def operator_session(live_server: Any, django_user_model: Any) -> dict[str, str]:
    """A logged-in superuser's session cookie.

    Made with Django's test client, before the first page: from then on the ORM is not
    to be used in the test's thread (see the new_page fixture).
    """
    user = django_user_model.objects.create_superuser("operator", "operator@example.com", "x")
    client = Client()
    client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def log_in(page: Page, session: dict[str, str]) -> None:
    page.context.add_cookies([session])  # type: ignore[list-item]
