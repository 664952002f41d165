from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("maintenance_waffle", "0005_reason")]
    operations = [
        migrations.AddField(
            model_name="maintenancewindow",
            name="scope",
            field=models.CharField(
                blank=True,
                default="",
                help_text='Empty: the whole site; "read-only"; or "area:" and an area\'s name.',
                max_length=60,
                verbose_name="scope",
            ),
        ),
    ]
