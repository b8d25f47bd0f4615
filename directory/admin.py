"""Admin for the directory.

/admin/ (staff): fellowships, groups (with their meetings inline), locations, places and
the requests to manage a group, with history and revert on groups and locations.
/manage/ (organizers): their own groups, and the locations their meetings use.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import AnonymityWarningsMixin, OrganizerHistoryAdmin, organizer_site
from directory.models import (
    Fellowship,
    FellowshipTranslation,
    Group,
    Location,
    OrganizerRequest,
    Place,
)
from directory.services import (
    group_approve,
    location_shared_beyond,
    location_update_for_organizer,
    meetings_follow_location_zone,
    organizer_request_approve,
    organizer_request_decline,
)
from meetings.models import Meeting
from recoverymap.admin_sites import HistoryAdmin

GROUP_PUBLIC_TEXT = ("name", "description")
LOCATION_PUBLIC_TEXT = ("name", "directions", "accessibility_notes")
LOCATION_FIELDSETS = [
    (None, {"fields": ["name", "address", "city", "state", "postal_code", "country"]}),
    (_("Map"), {"fields": ["latitude", "longitude", "approximate", "timezone"]}),
    (_("Notes"), {"fields": ["directions", "accessibility_notes"]}),
]


class FellowshipTranslationInline(admin.StackedInline):
    """The fellowship's texts in Spanish, edited beside the English ones."""

    model = FellowshipTranslation
    extra = 0


@admin.register(Fellowship)
class FellowshipAdmin(admin.ModelAdmin):
    list_display = ["name", "abbreviation", "slug", "philosophy", "audience", "focus"]
    list_filter = ["philosophy", "audience", "focus"]
    search_fields = ["name", "abbreviation", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [FellowshipTranslationInline]


class MeetingInline(admin.TabularInline):
    model = Meeting
    extra = 0
    fields = ["name", "day", "start_time", "end_time", "attendance", "access", "status", "location"]
    autocomplete_fields = ["location"]
    show_change_link = True
    ordering = ["day", "start_time"]


@admin.register(Group)
class GroupAdmin(AnonymityWarningsMixin, HistoryAdmin):
    list_display = ["name", "fellowship", "status", "meeting_count", "updated"]
    list_filter = ["status", "fellowship"]
    list_select_related = ["fellowship"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["fellowship", "organizers"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["reminded_at"]
    inlines = [MeetingInline]
    actions = ["approve_groups"]
    anonymity_fields = GROUP_PUBLIC_TEXT

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_meeting_count=Count("meetings"))

    @admin.display(description=_("meetings"), ordering="_meeting_count")
    def meeting_count(self, obj):
        return obj._meeting_count

    @admin.action(description=_("Approve the selected pending groups (publish them)"))
    def approve_groups(self, request, queryset):
        pending = queryset.filter(status=Group.Status.PENDING)
        for group in pending:
            group_approve(group=group, by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d group approved; its organizers were emailed.",
                "%(count)d groups approved; their organizers were emailed.",
                len(pending),
            )
            % {"count": len(pending)},
            messages.SUCCESS,
        )


@admin.register(Location)
class LocationAdmin(AnonymityWarningsMixin, HistoryAdmin):
    list_display = ["__str__", "city", "state", "postal_code", "approximate", "timezone"]
    list_filter = ["approximate", "country", "state"]
    search_fields = ["name", "address", "city", "postal_code"]
    fieldsets = LOCATION_FIELDSETS
    anonymity_fields = LOCATION_PUBLIC_TEXT

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        meetings_follow_location_zone(location=obj, by=request.user)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["code", "city", "state", "country", "latitude", "longitude", "timezone"]
    list_filter = ["country", "state"]
    search_fields = ["code", "city"]
    # Reference data reloaded by load_places; the admin is for looking things up.
    readonly_fields = ["country", "code", "city", "state", "latitude", "longitude", "timezone"]

    def has_add_permission(self, request):
        return False


@admin.register(OrganizerRequest)
class OrganizerRequestAdmin(admin.ModelAdmin):
    """The steward's queue: people asking to manage a group. Approve or decline with
    the actions; the person is emailed either way."""

    list_display = ["user", "group", "status", "created", "decided_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["user", "group", "decided_by"]
    search_fields = ["user__email", "user__display_name", "group__name"]
    readonly_fields = ["user", "group", "message", "status", "created", "decided_at", "decided_by"]
    actions = ["approve", "decline"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Approve: make them organizers of the group"))
    def approve(self, request, queryset):
        self._decide(request, queryset, organizer_request_approve)

    @admin.action(description=_("Decline"))
    def decline(self, request, queryset):
        self._decide(request, queryset, organizer_request_decline)

    def _decide(self, request, queryset, service):
        done = 0
        for organizer_request in queryset.filter(status=OrganizerRequest.Status.PENDING):
            try:
                service(request=organizer_request, by=request.user)
            except ValidationError as error:  # decided meanwhile by someone else
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                done += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d request decided; the person was emailed.",
                "%(count)d requests decided; each person was emailed.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )


# /manage/ ---------------------------------------------------------------------------


class ManageMeetingInline(admin.TabularInline):
    """The group's meetings, to open one; changes happen on the meeting's own page."""

    model = Meeting
    extra = 0
    fields = ["name", "day", "start_time", "attendance", "status", "last_confirmed"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    ordering = ["day", "start_time"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True  # the parent group is already scoped to the person


@admin.register(Group, site=organizer_site)
class ManageGroupAdmin(OrganizerHistoryAdmin):
    list_display = ["name", "fellowship", "status", "meeting_count", "updated"]
    list_select_related = ["fellowship"]
    search_fields = ["name"]
    fields = ["fellowship", "name", "slug", "status", "description", "website", "email", "phone"]
    readonly_fields = ["fellowship", "slug", "status"]
    inlines = [ManageMeetingInline]
    anonymity_fields = GROUP_PUBLIC_TEXT

    def get_queryset(self, request):
        return (
            Group.objects.for_organizer(request.user)
            .select_related("fellowship")
            .annotate(_meeting_count=Count("meetings"))
        )

    def has_add_permission(self, request):
        return False  # new groups are listed through the site, for staff to review

    @admin.display(description=_("meetings"), ordering="_meeting_count")
    def meeting_count(self, obj):
        return obj._meeting_count


SHARED_LOCATION_RULE = _(
    "Many groups can meet at one place. If meetings of other groups also use this place, "
    "your changes are saved as a new place for your group's meetings only; the other "
    "groups keep the place as it was, and staff can merge the two if the change was "
    "right for everyone."
)


@admin.register(Location, site=organizer_site)
class ManageLocationAdmin(OrganizerHistoryAdmin):
    list_display = ["__str__", "city", "state", "postal_code"]
    search_fields = ["name", "address", "city", "postal_code"]
    anonymity_fields = LOCATION_PUBLIC_TEXT

    def get_queryset(self, request):
        return Location.objects.for_organizer(request.user)

    def get_fieldsets(self, request, obj=None):
        first, *rest = LOCATION_FIELDSETS
        description = SHARED_LOCATION_RULE
        shared = (
            obj is not None
            and not request.user.is_staff
            and location_shared_beyond(obj, request.user)
        )
        if shared:
            description = _(
                "Other groups' meetings also use this place. Saving will create a new "
                "place for your group's meetings; theirs stay here, unchanged."
            )
        return [(first[0], {**first[1], "description": description}), *rest]

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        update = location_update_for_organizer(location=obj, by=request.user)
        if update.copied:
            self.message_user(
                request,
                _(
                    "Other groups' meetings also use this place, so your changes were saved "
                    "as a new place for your group's meetings. The other groups keep the "
                    "original as it was."
                ),
                messages.INFO,
            )
        self.warn_about_anonymity(request, update.location)
