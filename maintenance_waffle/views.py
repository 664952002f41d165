"""The on/off URLs: a confirmation form on GET, the change on POST (CSRF-checked)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from maintenance_waffle import store
from maintenance_waffle.audit import changing
from maintenance_waffle.bypass import COOKIE_NAME, key_of
from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode, settable
from maintenance_waffle.models import Channel
from maintenance_waffle.responses import csp_nonce

__all__ = ["bypass", "maintenance_mode_off", "maintenance_mode_on"]


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
