from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from sample_site import views

urlpatterns = [
    path("", views.home, name="home"),
    path("notes/", views.notes, name="notes"),
    path("about/", views.about, name="about"),
    path("guestbook/", views.guestbook, name="guestbook"),
    path("checkout/", views.checkout, name="checkout"),
    path("healthz", views.healthz, name="healthz"),
    path("status/", views.status, name="status"),
    path("status.json", views.status_json, name="status_json"),
    path("always-down/", views.always_down, name="always_down"),
    path("api/ping", views.api_ping, name="api_ping"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("maintenance-mode/", include("maintenance_waffle.urls")),
]
