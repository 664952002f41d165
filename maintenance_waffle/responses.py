"""Building the maintenance response."""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import time
from datetime import datetime
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.module_loading import import_string
from django.utils.translation import get_language, gettext_lazy

from maintenance_waffle.conf import AREA_PREFIX, READ_ONLY, Config
from maintenance_waffle.decision import reason_in_force, scope_ends_at
from maintenance_waffle.state import Snapshot, current_time

logger = logging.getLogger("maintenance_waffle")

PACKAGED_TEMPLATE = "maintenance_waffle/503.html"
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"
PROBLEM_JSON = "application/problem+json"
# RFC 9110, 12.4.2: a weight is 0 to 1 with at most three decimals.
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


try:
    # Django 6.0+: the nonce of the request's Content-Security-Policy header, if any.
    _csp_nonce: Any = import_string("django.middleware.csp.get_nonce")
except ImportError:  # Django 5.2 sends no policy of its own
    _csp_nonce = None


def csp_nonce(request: HttpRequest) -> Any:
    """The CSP nonce Django gives ``request`` (a lazy string), or None: the packaged
    page's inline style and scripts carry it, so a policy with nonces allows them."""
    return _csp_nonce(request) if _csp_nonce is not None else None


@functools.lru_cache(maxsize=64)
def prefers_json(accept: str) -> bool:
    """Whether the best-ranked media range of an Accept header is a JSON type.

    Ranked by q-value, then specificity (RFC 9110, 12.5.1); ``*/*``, ``text/html`` and
    an empty header mean HTML.
    """
    best: tuple[float, int, int] | None = None
    best_type = ""
    for index, item in enumerate(accept.split(",")):
        media_range, *params = (part.strip() for part in item.split(";"))
        media_range = media_range.lower()
        if "/" not in media_range:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE.fullmatch(value) else 0.0
        if quality <= 0:
            continue
        kind, subtype = media_range.split("/", 1)
        specificity = 0 if kind == "*" else 1 if subtype == "*" else 2
        rank = (quality, specificity, -index)
        if best is None or rank > best:
            best, best_type = rank, media_range
    if not best_type:
        return False
    kind, subtype = best_type.split("/", 1)
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


@functools.lru_cache(maxsize=8)
def _template(name: str) -> Any:
    try:
        return get_template(name)
    except TemplateDoesNotExist:
        return get_template(PACKAGED_TEMPLATE)


def _load_template(name: str) -> Any:
    if settings.DEBUG:
        # Template edits show up at once while developing.
        _template.cache_clear()
    return _template(name)


@functools.lru_cache(maxsize=8)
def _redirect_location(url: str, script_prefix: str) -> str:
    return resolve_url(url)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def reset(**kwargs: Any) -> None:
    """``setting_changed`` receiver: forget loaded templates and resolved URLs."""
    _template.cache_clear()
    _redirect_location.cache_clear()
    _texts.cache_clear()


# The packaged page's sentences, translated once per language rather than on every 503.
_TEXTS = {
    "title": gettext_lazy("Down for maintenance"),
    "badge": gettext_lazy("Maintenance"),
    "heading": gettext_lazy("We’ll be back soon"),  # noqa: RUF001 - typographic apostrophe
    "lead": gettext_lazy("This site is down for planned maintenance. Thank you for your patience."),
    "reason": gettext_lazy("What we are doing:"),
    "ends": gettext_lazy("Expected back:"),
    "later": gettext_lazy("Please try again in a little while."),
    # The page's script puts the delay, worded by the browser in the page's language
    # ("5 minutes", "5 Minuten"), in place of %(time)s, so the sentence stays cacheable.
    # Translators: %(time)s is a duration such as "5 minutes" or "30 seconds".
    "retry": gettext_lazy("This page will reload itself in %(time)s."),
}


#: What the page says instead for read-only mode and for an area.
_SCOPE_TEXTS = {
    READ_ONLY: {
        "title": gettext_lazy("Changes paused for maintenance"),
        "badge": gettext_lazy("Read-only"),
        "heading": gettext_lazy("Changes are paused for a while"),
        "lead": gettext_lazy(
            "You can keep browsing, but nothing can be saved while we work on the site. "
            "Thank you for your patience."
        ),
    },
    AREA_PREFIX: {
        "heading": gettext_lazy("This part of the site is down for maintenance"),
        "lead": gettext_lazy("The rest of the site is available. Thank you for your patience."),
    },
}
#: The detail of problem details when no reason is given, by kind of scope.
_DETAILS = {
    "": gettext_lazy("The site is down for maintenance. Please try again later."),
    READ_ONLY: gettext_lazy(
        "The site is read-only for maintenance: changes are paused. Please try again later."
    ),
    AREA_PREFIX: gettext_lazy(
        "This part of the site is down for maintenance. Please try again later."
    ),
}


def _kind(scope: str) -> str:
    """ "" (site-wide), READ_ONLY or AREA_PREFIX (any area)."""
    return AREA_PREFIX if scope.startswith(AREA_PREFIX) else scope


@functools.lru_cache(maxsize=32)
def _texts(language: str | None, kind: str = "") -> dict[str, str]:
    # Escaped once here, so that rendering does not escape them again.
    texts: dict[str, str] = {
        key: escape(str(text)) for key, text in {**_TEXTS, **_SCOPE_TEXTS.get(kind, {})}.items()
    }
    language = language or settings.LANGUAGE_CODE
    right_to_left = language.split("-")[0] in settings.LANGUAGES_BIDI
    texts["language"] = escape(language)
    texts["direction"] = escape("rtl" if right_to_left else "ltr")
    return texts


def page_texts(scope: str = "") -> dict[str, str]:
    """The packaged page's texts in the active language, for the maintenance of
    ``scope`` ("" site-wide, "read-only", "area:<name>").

    ``language`` and ``direction`` are for the ``lang`` and ``dir`` attributes.
    """
    return _texts(get_language(), _kind(scope))


def _scope_members(scope: str) -> dict[str, Any]:
    """Problem details' extension members for read-only mode and areas."""
    if scope == READ_ONLY:
        return {"read_only": True}
    if scope:
        return {"area": scope.removeprefix(AREA_PREFIX)}
    return {}


def _scope_context(scope: str) -> dict[str, Any]:
    """The page's context about the scope: ``maintenance_read_only`` and
    ``maintenance_area``."""
    return {
        "maintenance_read_only": scope == READ_ONLY,
        "maintenance_area": (
            scope.removeprefix(AREA_PREFIX) if scope.startswith(AREA_PREFIX) else None
        ),
    }


def retry_after_value(config: Config, ends_at: datetime | None, now: datetime) -> str | None:
    """``Retry-After`` for maintenance that ends at ``ends_at`` (None: until turned off):
    the seconds left until then (RFC 9110, 10.2.3), else
    ``MAINTENANCE_MODE_RETRY_AFTER``; None when that setting is empty."""
    if not config.retry_after or ends_at is None:
        return config.retry_after
    return str(max(1, math.ceil((ends_at - now).total_seconds())))


@functools.lru_cache(maxsize=2)
def _expires(second: int) -> str:
    # The Expires header is the same for every response within one second.
    return http_date(second)


def _response_type(request: HttpRequest, config: Config) -> str:
    function = config.response_type_function
    if function is None:
        return config.response_type
    kind = function(request=request)
    if kind in ("auto", "html", "json"):
        return str(kind)
    logger.error(
        "settings.MAINTENANCE_MODE_RESPONSE_TYPE: %r returned %r, not 'auto', 'html' or "
        "'json'; answering as 'auto'.",
        function,
        kind,
    )
    return "auto"


def _context(request: HttpRequest, config: Config) -> dict[str, Any]:
    if config.get_context is None:
        return {}
    context = config.get_context(request=request)
    if isinstance(context, dict):
        return context
    logger.error(
        "settings.MAINTENANCE_MODE_GET_CONTEXT: %r returned %r, not a dict; ignoring it.",
        config.get_context,
        context,
    )
    return {}


def build(
    request: HttpRequest, snapshot: Snapshot, config: Config, scope: str = ""
) -> HttpResponse:
    """The maintenance response for ``request``, in maintenance of ``scope`` ("" for
    site-wide or targeted maintenance, "read-only", "area:<name>")."""
    if config.redirect_url:
        return HttpResponseRedirect(_redirect_location(config.redirect_url, get_script_prefix()))

    kind = _response_type(request, config)
    negotiated = kind == "auto"
    if negotiated:
        kind = "problem" if prefers_json(request.META.get("HTTP_ACCEPT", "")) else "html"

    status = config.status_code
    now = current_time()
    reason = reason_in_force(snapshot, config, scope, now)
    ends_at = scope_ends_at(snapshot, config, scope, now)
    retry_after = retry_after_value(config, ends_at, now)
    context = _context(request, config)
    head = request.method == "HEAD"

    response: HttpResponse
    if kind == "json":
        response = JsonResponse(context, status=status)
    elif kind == "problem":
        body = {
            "type": "about:blank",
            "title": _title(status),
            "status": status,
            "detail": reason or str(_DETAILS[_kind(scope)]),
            "retry_after": int(retry_after)
            if retry_after and retry_after.isascii() and retry_after.isdigit()
            else None,
            "ends_at": ends_at.isoformat() if ends_at else None,
            **_scope_members(scope),
            **context,
        }
        body["status"] = status  # RFC 9457, 3.1.2: always the response's own status
        response = HttpResponse(
            b"" if head else json.dumps(body).encode(), content_type=PROBLEM_JSON, status=status
        )
    else:
        content = ""
        if not head:
            context = {
                "csp_nonce": csp_nonce(request),
                "maintenance_texts": page_texts(scope),
                **_scope_context(scope),
                "maintenance_reason": reason,
                "maintenance_ends_at": ends_at,
                "retry_after": retry_after,
                # Seconds (not an HTTP-date): the page reloads itself after them.
                "retry_seconds": retry_after if retry_after and retry_after.isdecimal() else None,
                **context,
            }
            content = _load_template(config.template).render(context, request)
        response = HttpResponse(content, status=status)

    if head:
        # RFC 9110, 9.3.2: a HEAD response carries no content.
        response.content = b""
    if retry_after:
        response["Retry-After"] = retry_after
    # What add_never_cache_headers() writes, without parsing headers on every 503.
    response["Expires"] = _expires(int(time.time()))
    response["Cache-Control"] = NEVER_CACHE
    if negotiated:
        response["Vary"] = "Accept"  # a new response: nothing to merge with yet
    return response
