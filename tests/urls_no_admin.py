"""A URLconf without the admin site and without maintenance_waffle.urls."""

from __future__ import annotations

from django.urls import path

from tests import views

urlpatterns = [
    path("", views.home, name="home"),
    path("force-off/", views.forced_off, name="forced_off"),
]
