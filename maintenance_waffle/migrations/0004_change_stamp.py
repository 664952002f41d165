from __future__ import annotations

from typing import Any

from django.db import migrations, models


def create_the_row(apps: Any, schema_editor: Any) -> None:
    # The one row the change stamp lives in (maintenance_waffle.store.STAMP).
    ChangeStamp = apps.get_model("maintenance_waffle", "ChangeStamp")
    ChangeStamp.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("maintenance_waffle", "0003_audit_and_bypass")]
    operations = [
        migrations.CreateModel(
            name="ChangeStamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "change stamp",
                "verbose_name_plural": "change stamps",
            },
        ),
        migrations.RunPython(create_the_row, migrations.RunPython.noop, elidable=False),
    ]
