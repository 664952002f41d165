from __future__ import annotations

from django.contrib import admin

from sample_site.demo.models import Note


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("text", "author", "created")
