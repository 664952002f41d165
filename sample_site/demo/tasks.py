"""Background work of the sample site (see sample_site/celery.py).

- ``add_note`` writes to the database: it waits while the site is in maintenance or in
  read-only mode. The beat scheduler queues one every ``SAMPLE_CELERY_BEAT_SECONDS``.
- ``checkout_report`` reads the checkout's data: it waits while the ``checkout`` area is
  down too (``maintenance_area``).
- ``ping`` touches nothing: it runs whatever the maintenance (``run_during_maintenance``).
"""

from __future__ import annotations

from celery import shared_task

from sample_site.demo.models import Note


@shared_task(name="demo.add_note")
def add_note(text: str) -> int:
    return int(Note.objects.create(text=text).pk)


@shared_task(name="demo.checkout_report", maintenance_area="checkout")
def checkout_report() -> int:
    return int(Note.objects.count())


@shared_task(name="demo.ping", run_during_maintenance=True)
def ping() -> str:
    return "pong"
