from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    # Reasons were kept in waffle's Switch note, which is waffle's ("where this Switch is
    # used"); they are not carried over, as a note may well not be meant for visitors.
    dependencies = [("maintenance_waffle", "0004_change_stamp")]
    operations = [
        migrations.CreateModel(
            name="MaintenanceReason",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("scope", models.CharField(max_length=100, unique=True, verbose_name="scope")),
                ("text", models.TextField(blank=True, verbose_name="reason")),
                ("since", models.DateTimeField(auto_now=True, verbose_name="since")),
            ],
            options={
                "verbose_name": "maintenance reason",
                "verbose_name_plural": "maintenance reasons",
            },
        ),
    ]
