"""Small functions named by dotted path in settings under test."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """A client-IP getter reading a proxy header (None when the header is missing)."""
    return request.headers.get("X-Real-IP")


def get_context(request: HttpRequest) -> dict[str, Any]:
    return {"greeting": "hello from get_context"}


def get_context_with_status(request: HttpRequest) -> dict[str, Any]:
    return {"status": "degraded", "component": "database"}


def get_context_not_a_dict(request: HttpRequest) -> list[str]:
    return ["not", "a", "dict"]


def response_type(request: HttpRequest) -> str:
    """JSON for the API, HTML for everything else (django-maintenance-mode #204)."""
    return "json" if request.path.startswith("/api/") else "html"


def response_type_xml(request: HttpRequest) -> str:
    return "xml"


def authenticated_user(request: HttpRequest) -> Any:
    """A token-authentication stand-in: the user named by the X-User header, else None."""
    username = request.headers.get("X-User")
    if username is None:
        return None
    return get_user_model()._default_manager.filter(username=username).first()


class TokenUser:
    """A user of a custom user model without ``is_staff`` and ``is_superuser``."""

    pk = 4242
    is_authenticated = True
    is_anonymous = False


def token_user(request: HttpRequest) -> TokenUser:
    return TokenUser()


#: Importable, but not a function.
not_a_function = "tests.hooks.get_context"
