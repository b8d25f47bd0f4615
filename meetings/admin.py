"""Admin for meetings and their types."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting, MeetingType


@admin.register(MeetingType)
class MeetingTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_es", "category", "fellowship"]
    list_filter = ["category", ("fellowship", admin.EmptyFieldListFilter), "fellowship"]
    search_fields = ["code", "name", "name_es"]
    autocomplete_fields = ["fellowship"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "group",
        "fellowship",
        "day",
        "start_time",
        "attendance",
        "access",
        "status",
        "last_confirmed",
    ]
    list_filter = ["status", "attendance", "access", "day", "group__fellowship"]
    list_select_related = ["group__fellowship"]
    search_fields = ["name", "slug", "group__name", "location__name", "location__city"]
    autocomplete_fields = ["group", "location"]
    filter_horizontal = ["types"]
    date_hierarchy = "updated"
    readonly_fields = ["created", "updated"]
    fieldsets = [
        (None, {"fields": ["group", "name", "slug", "status"]}),
        (_("When"), {"fields": ["day", "start_time", "end_time", "timezone"]}),
        (_("Where"), {"fields": ["attendance", "location"]}),
        (
            _("Online"),
            {
                "fields": [
                    "conference_url",
                    "conference_url_notes",
                    "conference_phone",
                    "conference_phone_notes",
                ]
            },
        ),
        (_("What"), {"fields": ["access", "types", "notes"]}),
        (_("Freshness"), {"fields": ["last_confirmed", "created", "updated"]}),
    ]

    @admin.display(description=_("fellowship"), ordering="group__fellowship__name")
    def fellowship(self, obj):
        return obj.group.fellowship

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "types":
            kwargs["queryset"] = MeetingType.objects.select_related("fellowship")
        return super().formfield_for_manytomany(db_field, request, **kwargs)
