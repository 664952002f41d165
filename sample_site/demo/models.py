from __future__ import annotations

from django.conf import settings
from django.db import models


class Note(models.Model):
    """A line of text that a signed-in user left on the notes page."""

    text = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created = models.DateTimeField(auto_now_add=True)

    objects: models.Manager[Note] = models.Manager()

    class Meta:
        ordering = ("-created", "-id")

    def __str__(self) -> str:
        return self.text
