"""Admin for the agent portal's content: "Novedades" (001 §4). Loaded by AgentsConfig.ready."""

from django.contrib import admin

from .models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "published_at", "active")
    list_filter = ("active",)
    search_fields = ("title", "body")
    date_hierarchy = "published_at"
