from __future__ import annotations

import contextlib
from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.core.signals import setting_changed
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MaintenanceWaffleConfig(AppConfig):
    name = "maintenance_waffle"
    verbose_name = _("Maintenance mode")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from maintenance_waffle import checks as app_checks

        checks.register(app_checks.check_installation)
        checks.register(app_checks.check_settings)
        checks.register(app_checks.check_areas, checks.Tags.urls)
        if not apps.is_installed("waffle"):
            return  # check_installation says so (maintenance_waffle.E001)

        from maintenance_waffle import audit, conf, decision, responses, state

        conf.publish_defaults()

        setting_changed.connect(conf.reset, dispatch_uid="maintenance_waffle.conf.reset")
        conf.on_change(decision.reset, responses.reset, state.settings_changed)
        state.connect()
        audit.connect()
        post_migrate.connect(
            create_switches, sender=self, dispatch_uid="maintenance_waffle.create_switches"
        )
        if apps.is_installed("django.contrib.admin"):
            from django.contrib import admin

            from maintenance_waffle.admin import replace_waffle_admins

            replace_waffle_admins(admin.site)


def create_switches(using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``: the read-only switch and every configured area's switch, off,
    so that they show in waffle's admin (rows that exist are left alone; the switch of
    an area removed from settings stays, ignored)."""
    from django.db import DatabaseError, router
    from waffle import get_waffle_switch_model

    from maintenance_waffle import store
    from maintenance_waffle.conf import get_config

    if not router.allow_migrate_model(using, get_waffle_switch_model()):
        return
    # waffle's tables may not be there (migrated back to zero): migrate reports that.
    with contextlib.suppress(DatabaseError):
        store.create_switches(get_config().switch_names[1:], using)
