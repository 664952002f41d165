from __future__ import annotations

from django.apps import AppConfig, apps
from django.core import checks
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class MaintenanceWaffleConfig(AppConfig):
    name = "maintenance_waffle"
    verbose_name = _("Maintenance mode")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from maintenance_waffle import checks as app_checks

        checks.register(app_checks.check_installation)
        checks.register(app_checks.check_settings)
        if not apps.is_installed("waffle"):
            return  # check_installation says so (maintenance_waffle.E001)

        from maintenance_waffle import audit, conf, decision, responses, state

        conf.publish_defaults()

        setting_changed.connect(conf.reset, dispatch_uid="maintenance_waffle.conf.reset")
        conf.on_change(decision.reset, responses.reset, state.settings_changed)
        state.connect()
        audit.connect()
        if apps.is_installed("django.contrib.admin"):
            from django.contrib import admin

            from maintenance_waffle.admin import replace_waffle_admins

            replace_waffle_admins(admin.site)
