"""The sample site's Celery app (optional: ``pip install -e ".[celery]"`` and a broker).

Its tasks wait while the site is in maintenance or read-only mode, thanks to the one line
``defer_during_maintenance(app)``. Run a worker (with the beat scheduler) from the
repository root::

    .venv/bin/celery -A sample_site worker --beat --loglevel INFO

``SAMPLE_CELERY_BROKER`` names the broker (default ``redis://127.0.0.1:6379/1``).
"""

from __future__ import annotations

import os

from celery import Celery

from maintenance_waffle.celery import defer_during_maintenance

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_site.settings")

app = Celery("sample_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
defer_during_maintenance(app)
app.autodiscover_tasks()
