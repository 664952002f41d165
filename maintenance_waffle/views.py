"""The on/off URLs (a confirmation form on GET, the change on POST, CSRF-checked), the
bypass link and the status endpoint."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from maintenance_waffle import store
from maintenance_waffle.audit import changing
from maintenance_waffle.bypass import COOKIE_NAME, key_of
from maintenance_waffle.conf import get_config
from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode, settable
from maintenance_waffle.decision import (
    areas_in_force,
    ends_at,
    read_only_in_force,
    reason_in_force,
    site_wide,
)
from maintenance_waffle.models import Channel
from maintenance_waffle.responses import csp_nonce, retry_after_value
from maintenance_waffle.state import state

__all__ = ["bypass", "maintenance_mode_off", "maintenance_mode_on", "status"]


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return "/"


def _change(request: HttpRequest, value: bool) -> HttpResponse:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.is_superuser:
        raise PermissionDenied
    next_url = _next_url(request)
    context = {
        "value": value,
        "current": get_maintenance_mode(),
        "next": next_url,
        "locked": not settable(),
    }
    if context["locked"]:
        # The state is fixed by settings.MAINTENANCE_MODE: nothing to change here.
        return render(request, "maintenance_waffle/confirm.html", context, status=409)
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip() if value else None
        with changing(Channel.URL, user=user, reason=reason):
            set_maintenance_mode(value, reason=reason, user=user)
        return HttpResponseRedirect(next_url)
    return render(request, "maintenance_waffle/confirm.html", context)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
def maintenance_mode_on(request: HttpRequest) -> HttpResponse:
    """Turn maintenance on (superusers only)."""
    return _change(request, True)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
def maintenance_mode_off(request: HttpRequest) -> HttpResponse:
    """Turn maintenance off (superusers only)."""
    return _change(request, False)


@never_cache
@require_http_methods(["GET", "HEAD"])
def bypass(request: HttpRequest, token: str) -> HttpResponse:
    """A secret bypass link: set the bypass cookie, then go on to a page of this site."""
    key = key_of(token)
    found = None
    now = store.current_time()
    if key is not None:
        found = store.bypass_keys_in_force(store.read_alias(), now).filter(pk=key).first()
    if found is None:
        return render(
            request,
            "maintenance_waffle/bypass_invalid.html",
            {"csp_nonce": csp_nonce(request)},
            status=403,
        )
    response = HttpResponseRedirect(_next_url(request))
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max(1, int((store.aware(found.expires) - now).total_seconds())),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


# csrf_exempt: it changes nothing, and a POST is to get its 405, not CSRF's 403.
@csrf_exempt
@require_http_methods(["GET", "HEAD"])
def status(request: HttpRequest) -> HttpResponse:
    """The maintenance state as JSON, for load balancers, status pages and single-page
    apps: the same for every visitor (nothing of theirs is read, no cookie is set), never
    in maintenance itself, cacheable for a second."""
    config = get_config()
    snapshot = state.get(config)
    now = store.current_time()
    on = site_wide(snapshot, config, now)
    areas = areas_in_force(snapshot, now)
    body: dict[str, Any] = {
        "maintenance_mode": on,
        "read_only": read_only_in_force(snapshot, now),
        "areas": {area: area in areas for area in config.area_names},
        "reason": None,
        "ends_at": None,
        "retry_after": None,
    }
    if on:
        body["reason"] = reason_in_force(snapshot, config, now=now) or None
        end = ends_at(snapshot, config, now)
        if end is not None:
            # In the project's time zone, not one a middleware activated for this visitor.
            zone = timezone.get_default_timezone()
            body["ends_at"] = timezone.localtime(end, zone).isoformat()
        # As the maintenance response's header, in seconds (not an HTTP-date).
        retry_after = retry_after_value(config, end, now)
        if retry_after is not None and retry_after.isascii() and retry_after.isdigit():
            body["retry_after"] = int(retry_after)
    response = JsonResponse(body)
    if request.method == "HEAD":
        # RFC 9110, 9.3.2: a HEAD response carries no content.
        response.content = b""
    # Shared by everybody: load balancers and browsers may reuse it for a second.
    response["Cache-Control"] = "max-age=1"
    return response
