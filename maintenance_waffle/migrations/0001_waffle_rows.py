from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations


def create_rows(apps: Any, schema_editor: Any) -> None:
    """Create the switch and both flags unless rows of those names already exist."""
    from waffle.utils import get_cache, get_setting, keyfmt

    from maintenance_waffle.conf import get_config

    config = get_config()
    using = schema_editor.connection.alias
    switch_model = apps.get_model(getattr(settings, "WAFFLE_SWITCH_MODEL", "waffle.Switch"))
    flag_model = apps.get_model(getattr(settings, "WAFFLE_FLAG_MODEL", "waffle.Flag"))
    switch_model.objects.using(using).get_or_create(
        name=config.switch_name,
        defaults={"active": False, "note": ""},
    )
    flag_model.objects.using(using).get_or_create(
        name=config.flag_name,
        defaults={
            "everyone": False,
            "superusers": False,
            "note": "Targeted maintenance: set Everyone to Unknown, then choose groups, "
            "users or a percentage.",
        },
    )
    if config.exempt_flag_name is not None:  # None: no exempt flag at all
        flag_model.objects.using(using).get_or_create(
            name=config.exempt_flag_name,
            defaults={
                "everyone": None,
                "superusers": True,
                "note": "Who bypasses maintenance.",
            },
        )
    # Historical models skip waffle's cache flush, and a "missing" entry may be cached.
    cache = get_cache()
    keys = [keyfmt(get_setting("SWITCH_CACHE_KEY"), config.switch_name)]
    for name in config.flag_names:
        for key in ("FLAG_CACHE_KEY", "FLAG_USERS_CACHE_KEY", "FLAG_GROUPS_CACHE_KEY"):
            keys.append(keyfmt(get_setting(key), name))
    cache.delete_many(keys)
    cache.delete_many([get_setting("ALL_SWITCHES_CACHE_KEY"), get_setting("ALL_FLAGS_CACHE_KEY")])


class Migration(migrations.Migration):
    dependencies = [("waffle", "0004_update_everyone_nullbooleanfield")]

    operations = [migrations.RunPython(create_rows, migrations.RunPython.noop, elidable=False)]
