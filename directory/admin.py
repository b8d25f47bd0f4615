"""Admin for the directory: fellowships, groups (with their meetings inline), locations, places."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from directory.models import Fellowship, Group, Location, Place
from meetings.models import Meeting


@admin.register(Fellowship)
class FellowshipAdmin(admin.ModelAdmin):
    list_display = ["name", "abbreviation", "slug", "philosophy", "audience", "focus"]
    list_filter = ["philosophy", "audience", "focus"]
    search_fields = ["name", "abbreviation", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class MeetingInline(admin.TabularInline):
    model = Meeting
    extra = 0
    fields = ["name", "day", "start_time", "end_time", "attendance", "access", "status", "location"]
    autocomplete_fields = ["location"]
    show_change_link = True
    ordering = ["day", "start_time"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "fellowship", "status", "meeting_count", "updated"]
    list_filter = ["status", "fellowship"]
    list_select_related = ["fellowship"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["fellowship"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MeetingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_meeting_count=Count("meetings"))

    @admin.display(description=_("meetings"), ordering="_meeting_count")
    def meeting_count(self, obj):
        return obj._meeting_count


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "city", "state", "postal_code", "approximate", "timezone"]
    list_filter = ["approximate", "country", "state"]
    search_fields = ["name", "address", "city", "postal_code"]
    fieldsets = [
        (None, {"fields": ["name", "address", "city", "state", "postal_code", "country"]}),
        (_("Map"), {"fields": ["latitude", "longitude", "approximate", "timezone"]}),
        (_("Notes"), {"fields": ["directions", "accessibility_notes"]}),
    ]


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["code", "city", "state", "country", "latitude", "longitude", "timezone"]
    list_filter = ["country", "state"]
    search_fields = ["code", "city"]
    # Reference data reloaded by load_places; the admin is for looking things up.
    readonly_fields = ["country", "code", "city", "state", "latitude", "longitude", "timezone"]

    def has_add_permission(self, request):
        return False
