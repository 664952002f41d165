from __future__ import annotations

import os

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from maintenance_waffle.conf import get_config
from maintenance_waffle.core import get_maintenance_mode
from maintenance_waffle.decorators import force_maintenance_mode_off, force_maintenance_mode_on
from sample_site.demo.models import Note
from sample_site.demo.users import BETA_GROUP, DEMO_USERS


class NoteForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Note
        fields = ("text",)


class GuestbookForm(forms.Form):
    name = forms.CharField(max_length=50)
    message = forms.CharField(max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """A guide to trying each feature."""
    config = get_config()
    context = {
        "demo_users": DEMO_USERS,
        "beta_group": BETA_GROUP,
        "switch_name": config.switch_name,
        "flag_name": config.flag_name,
        "exempt_flag_name": config.exempt_flag_name,
        "read_only_switch_name": config.read_only_switch_name,
        "checkout_switch_name": config.area_switch_name("checkout"),
    }
    return render(request, "home.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def notes(request: HttpRequest) -> HttpResponse:
    """A page that reads and writes the database."""
    form = NoteForm()
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        form = NoteForm(request.POST)
        if form.is_valid():
            note = form.save(commit=False)
            note.author = request.user
            note.save()
            messages.success(request, "Note saved.")
            return redirect("notes")
    context = {
        "form": form,
        "notes": Note.objects.select_related("author")[:20],
        "note_count": Note.objects.count(),
    }
    return render(request, "notes.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def guestbook(request: HttpRequest) -> HttpResponse:
    """A form anyone may send: read-only mode answers its POST with the 503 page.

    It keeps nothing: a valid message is thanked for and forgotten.
    """
    form = GuestbookForm()
    if request.method == "POST":
        form = GuestbookForm(request.POST)
        if form.is_valid():
            messages.success(request, f"Thank you, {form.cleaned_data['name']}!")
            return redirect("guestbook")
    return render(request, "guestbook.html", {"form": form})


@require_GET
def checkout(request: HttpRequest) -> HttpResponse:
    """The page of the "checkout" area (MAINTENANCE_WAFFLE_AREAS), which can be taken
    down alone while the rest of the site stays up."""
    return render(request, "checkout.html", {"area": getattr(request, "maintenance_area", None)})


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """A page that reads neither the database nor the session."""
    return render(request, "about.html")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: exempt through MAINTENANCE_MODE_IGNORE_URLS."""
    return HttpResponse("ok", content_type="text/plain")


@force_maintenance_mode_off
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """Always reachable, even while the site is in maintenance."""
    context = {
        "site_wide": get_maintenance_mode(),
        "this_request": getattr(request, "maintenance_mode", False),
    }
    return render(request, "status.html", context)


@force_maintenance_mode_off
@require_GET
def status_json(request: HttpRequest) -> JsonResponse:
    """The state as this server process sees it (which process answered, too)."""
    return JsonResponse(
        {
            "pid": os.getpid(),
            "maintenance_mode": bool(getattr(request, "maintenance_mode", False)),
            "site_wide": get_maintenance_mode(),
        }
    )


@force_maintenance_mode_on
def always_down(request: HttpRequest) -> HttpResponse:
    """Always answered with the maintenance response: this body is never sent."""
    return HttpResponse("This is never shown.")  # pragma: no cover


@require_GET
def api_ping(request: HttpRequest) -> JsonResponse:
    """A JSON endpoint: in maintenance, JSON clients get application/problem+json."""
    return JsonResponse({"ping": "pong", "time": timezone.now().isoformat()})
