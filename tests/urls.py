from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tests import views

urlpatterns = [
    path("", views.home, name="home"),
    path("async/", views.async_home, name="async_home"),
    path("page/", views.context_page, name="context_page"),
    path("force-off/", views.forced_off, name="forced_off"),
    path("force-on/", views.forced_on, name="forced_on"),
    path("async-force-off/", views.async_forced_off, name="async_forced_off"),
    path("async-force-on/", views.async_forced_on, name="async_forced_on"),
    path("class-force-off/", views.ForcedOffView.as_view(), name="class_forced_off"),
    path("class-force-on/", views.ForcedOnView.as_view(), name="class_forced_on"),
    path("maintenance/", views.maintenance_page, name="maintenance_page"),
    path("healthz", views.home, name="healthz"),
    path("admin/", admin.site.urls),
    path("maintenance-mode/", include("maintenance_waffle.urls")),
]
