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

from maintenance_waffle.conf import conf
from maintenance_waffle.core import get_maintenance_mode, set_maintenance_mode


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
        "locked": conf.MAINTENANCE_MODE is not None,
    }
    if context["locked"]:
        # The state is fixed by settings.MAINTENANCE_MODE: nothing to change here.
        return render(request, "maintenance_waffle/confirm.html", context, status=409)
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip() if value else None
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


__all__ = ["maintenance_mode_off", "maintenance_mode_on"]
