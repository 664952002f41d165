from __future__ import annotations

from django.urls import path

from maintenance_waffle import views

urlpatterns = [
    path("off/", views.maintenance_mode_off, name="maintenance_mode_off"),
    path("on/", views.maintenance_mode_on, name="maintenance_mode_on"),
    path("bypass/<str:token>/", views.bypass, name="maintenance_mode_bypass"),
    path("status/", views.status, name="maintenance_mode_status"),
]
