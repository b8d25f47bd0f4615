"""Admin for meetings, their types and the problems visitors report.

/admin/ (staff): everything, with history and revert on meetings.
/manage/ (organizers): their groups' meetings, which they can add to and change (live at
once) but not remove (a "delete" retires the meeting), and the reports on them.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import (
    AnonymityWarningsMixin,
    OrganizerAdminMixin,
    OrganizerHistoryAdmin,
    organizer_site,
)
from directory.models import Group, Location
from meetings.duplicates import (
    MatchRefused,
    copies_follow,
    copies_refresh,
    meeting_match_decide,
    meeting_match_join,
    meeting_matches_undecide,
)
from meetings.forms import MeetingAdminForm, past_midnight_note
from meetings.models import Meeting, MeetingMatch, MeetingType, ProblemReport, Source, SyncAttempt
from meetings.services import meeting_edits_keep, meeting_retire, problem_reports_close
from meetings.syncing import failing_streak, held_sync_apply, held_sync_discard, sources_sync
from recoverymap.admin_sites import HistoryAdmin, history_ids_or_404

MEETING_PUBLIC_TEXT = ("name", "notes")
MEETING_ONLINE_FIELDS = [
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
]


# Both admins (staff and organizers) show a meeting the same way.
MEETING_FIELDSETS = [
    (None, {"fields": ["group", "name", "slug", "status"]}),
    (_("When"), {"fields": ["day", "start_time", "end_time", "timezone"]}),
    (_("Where"), {"fields": ["attendance", "location"]}),
    (_("Online"), {"fields": MEETING_ONLINE_FIELDS}),
    (_("What"), {"fields": ["access", "medication_friendly", "types", "notes"]}),
    (_("Freshness"), {"fields": ["last_confirmed", "last_changed", "created", "updated"]}),
]


class ListingChangeMixin:
    """A save that changes something is the listing's last change (the feed's
    ``updated``); saving an unchanged form only confirms it."""

    def save_model(self, request, obj, form, change):
        if not change or form.has_changed():
            obj.last_changed = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(MeetingType)
class MeetingTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_es", "category", "fellowship"]
    list_filter = ["category", ("fellowship", admin.EmptyFieldListFilter), "fellowship"]
    search_fields = ["code", "name", "name_es"]
    autocomplete_fields = ["fellowship"]


class RevertTypesMixin:
    """simple-history's revert form takes many-to-many values from the current meeting;
    show the types of the version being reverted to instead, so reverting restores them."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history_ids_or_404(Meeting, object_id, version_id)
        version = Meeting.history.filter(id=unquote(object_id), history_id=version_id).first()
        if version is not None:
            request.historical_types = [row.meetingtype_id for row in version.types.all()]
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        types = getattr(request, "historical_types", None)
        if types is None:
            return form

        class VersionForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.initial["types"] = types

        return VersionForm


class MeetingFormMixin:
    """The meeting form of both admins: Save within reach at the top as at the bottom,
    times typed as people write them, and a meeting that runs past midnight said so."""

    form = MeetingAdminForm
    save_on_top = True

    def get_fieldsets(self, request, obj=None):
        """Fields a phone user rarely needs start folded: the join details of a meeting
        that is only in person, and when the listing was made and confirmed."""
        folded = {_("Freshness")}
        if obj is not None and not obj.is_online:
            folded.add(_("Online"))
        return [
            (name, {**options, "classes": ["collapse"]} if name in folded else options)
            for name, options in super().get_fieldsets(request, obj)
        ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if note := past_midnight_note(obj):
            self.message_user(request, note, messages.INFO)


class PlaceFilter(admin.SimpleListFilter):
    """Online meetings with no place at all: Meeting Guide clients cannot list them
    (they need at least the group's town), so staff give them one."""

    title = _("place")
    parameter_name = "place"

    def lookups(self, request, model_admin):
        return [("none", _("Online, with no town or address"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(location__isnull=True)
        return queryset


@admin.register(Meeting)
class MeetingAdmin(
    MeetingFormMixin, ListingChangeMixin, RevertTypesMixin, AnonymityWarningsMixin, HistoryAdmin
):
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
    list_filter = [
        "status",
        "attendance",
        PlaceFilter,
        "access",
        "day",
        "group__fellowship",
        ("duplicate_of", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["group__fellowship"]
    search_fields = ["name", "slug", "group__name", "location__name", "location__city"]
    autocomplete_fields = ["group", "location"]
    filter_horizontal = ["types"]
    date_hierarchy = "updated"
    readonly_fields = ["last_changed", "created", "updated"]
    anonymity_fields = MEETING_PUBLIC_TEXT
    fieldsets = MEETING_FIELDSETS

    @admin.display(description=_("fellowship"), ordering="group__fellowship__name")
    def fellowship(self, obj):
        return obj.group.fellowship

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "types":
            kwargs["queryset"] = MeetingType.objects.select_related("fellowship")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            meeting_edits_keep(meeting=obj, changed=form.changed_data, initial=form.initial)
        super().save_model(request, obj, form, change)
        copies_follow(obj)


class ProblemReportActions:
    """Resolve or dismiss reports, in either admin; only open ones change."""

    actions = ["resolve", "dismiss"]

    @admin.action(description=_("Resolve: the listing is fixed"), permissions=["change"])
    def resolve(self, request, queryset):
        self._close(request, queryset, ProblemReport.Status.RESOLVED)

    @admin.action(description=_("Dismiss: nothing was wrong"), permissions=["change"])
    def dismiss(self, request, queryset):
        self._close(request, queryset, ProblemReport.Status.DISMISSED)

    def _close(self, request, queryset, status):
        count = problem_reports_close(reports=queryset, status=status, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d report closed.", "%(count)d reports closed.", count)
            % {"count": count},
            messages.SUCCESS,
        )


REPORT_FIELDS = [
    "meeting",
    "category",
    "message",
    "email",
    "status",
    "created",
    "resolved_at",
    "resolved_by",
]


@admin.register(ProblemReport)
class ProblemReportAdmin(ProblemReportActions, admin.ModelAdmin):
    list_display = ["category", "meeting", "status", "created", "resolved_by"]
    list_filter = ["status", "category"]
    list_select_related = ["meeting__group", "resolved_by"]
    search_fields = ["meeting__name", "meeting__slug", "meeting__group__name", "message"]
    fields = REPORT_FIELDS
    readonly_fields = REPORT_FIELDS
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False


# /manage/ ---------------------------------------------------------------------------


@admin.register(Meeting, site=organizer_site)
class ManageMeetingAdmin(
    MeetingFormMixin, ListingChangeMixin, RevertTypesMixin, OrganizerHistoryAdmin
):
    """An organizer's meetings. Saving one publishes the change at once (the group is
    already approved, or still hidden while pending) and counts as confirming it."""

    list_display = ["__str__", "group", "day", "start_time", "attendance", "status", "confirmed"]
    list_filter = ["status", ("group", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["group"]
    search_fields = ["name", "group__name"]
    filter_horizontal = ["types"]
    readonly_fields = ["slug", "last_confirmed", "last_changed", "created", "updated"]
    delete_confirmation_template = "admin/manage/meeting_retire_confirmation.html"
    actions = ["retire"]
    anonymity_fields = MEETING_PUBLIC_TEXT
    fieldsets = MEETING_FIELDSETS

    def get_queryset(self, request):
        return Meeting.objects.for_organizer(request.user).select_related("group", "location")

    @admin.display(description=_("last confirmed"), ordering="last_confirmed")
    def confirmed(self, obj):
        return obj.last_confirmed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "group":
            kwargs["queryset"] = Group.objects.for_organizer(request.user)
        elif db_field.name == "location":
            kwargs["queryset"] = Location.objects.for_organizer(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "types":
            kwargs["queryset"] = MeetingType.objects.select_related("fellowship")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The organizer has just looked at the whole listing and saved it.
        obj.last_confirmed = timezone.now()
        if change:
            meeting_edits_keep(meeting=obj, changed=form.changed_data, initial=form.initial)
        super().save_model(request, obj, form, change)
        copies_follow(obj)

    # "Delete" retires: the meeting stays, inactive, with its page, history and reports.

    def has_delete_permission(self, request, obj=None):
        return self._in_scope(request, obj)

    def get_deleted_objects(self, objs, request):
        return [str(obj) for obj in objs], {}, set(), []

    def delete_model(self, request, obj):
        meeting_retire(meeting=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for meeting in queryset:
            meeting_retire(meeting=meeting, by=request.user)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(
            request,
            _("“%(meeting)s” is now inactive. Its page tells visitors it stopped meeting.")
            % {"meeting": obj_display},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("manage:meetings_meeting_changelist"))

    def log_deletions(self, request, queryset):
        for meeting in queryset:
            self.log_change(request, meeting, [{"changed": {"fields": ["status"]}}])

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Mark the selected meetings inactive"), permissions=["change"])
    def retire(self, request, queryset):
        for meeting in queryset:
            meeting_retire(meeting=meeting, by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d meeting marked inactive.",
                "%(count)d meetings marked inactive.",
                len(queryset),
            )
            % {"count": len(queryset)},
            messages.SUCCESS,
        )


@admin.register(ProblemReport, site=organizer_site)
class ManageProblemReportAdmin(ProblemReportActions, OrganizerAdminMixin, admin.ModelAdmin):
    """Reports on the organizer's meetings. Fix the listing, then resolve the report."""

    list_display = ["category", "meeting", "status", "created"]
    list_filter = ["status", "category"]
    search_fields = ["meeting__name", "message"]
    # Who closed a report is left out: organizers see staff only as "staff".
    fields = [name for name in REPORT_FIELDS if name != "resolved_by"]
    readonly_fields = fields
    # The admin's log of the report, people named by display name, never by email.
    object_history_template = "admin/manage/object_history.html"

    def get_queryset(self, request):
        return ProblemReport.objects.for_organizer(request.user).select_related("meeting__group")

    def has_add_permission(self, request):
        return False


# One meeting, listed once ------------------------------------------------------------


class MeetingMatchForm(forms.ModelForm):
    """A pair as staff decide it. Adding one joins two listings the matcher missed."""

    decision = forms.ChoiceField(
        label=_("decision"),
        required=False,
        choices=[
            ("", _("Leave it to the matcher")),
            (MeetingMatch.Status.JOINED, _("One meeting: show it once")),
            (MeetingMatch.Status.SPLIT, _("Two meetings: show both")),
        ],
        help_text=_("Your decision stands through every later sync and matching run."),
    )

    class Meta:
        model = MeetingMatch
        fields = ["first", "second", "winner"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        match = self.instance
        if "winner" in self.fields:
            self.fields["winner"].queryset = Meeting.objects.filter(
                pk__in=[match.first_id, match.second_id]
            )
        if match.pk and match.is_decided:
            self.initial["decision"] = match.status
        if not match.pk:
            self.fields["decision"].choices = self.fields["decision"].choices[1:2]
            self.fields["decision"].initial = MeetingMatch.Status.JOINED

    def clean(self):
        data = super().clean()
        first = data.get("first") or self.instance.first
        second = data.get("second") or self.instance.second
        winner, decision = data.get("winner"), data.get("decision")
        if not self.instance.pk and first and second:
            if first.pk == second.pk:
                raise forms.ValidationError(_("Choose two different listings."))
            decision = data["decision"] = MeetingMatch.Status.JOINED
        joined = decision == MeetingMatch.Status.JOINED and first and second
        if joined and first.group.fellowship_id != second.group.fellowship_id:
            raise forms.ValidationError(
                _("Meetings of two fellowships are never one meeting: they stay apart.")
            )
        if winner is not None and decision != MeetingMatch.Status.JOINED:
            self.add_error("winner", _("Choose the shown listing of a pair you join."))
        return data


REASON_WORDS = {
    "minutes_apart": _("starts %(value)s minutes apart"),
    "miles_apart": _("%(value)s miles apart"),
    "same_address": _("same address"),
    "same_room": _("same online room"),
    "name_similarity": _("names %(value)s alike (0 to 1)"),
}


@admin.register(MeetingMatch)
class MeetingMatchAdmin(HistoryAdmin):
    """Pairs of listings two sources give of what may be one meeting: staff split a
    wrong match, join a near miss (or, with "Add", any two listings) and choose which
    listing is shown."""

    form = MeetingMatchForm
    list_display = [
        "first_listing",
        "second_listing",
        "fellowship",
        "status",
        "score",
        "why",
        "shown",
        "decided_by",
        "updated",
    ]
    list_filter = ["status", "first__group__fellowship"]
    list_select_related = [
        "first__group__fellowship",
        "second__group",
        "first__duplicate_of",
        "second__duplicate_of",
        "decided_by",
    ]
    search_fields = ["first__name", "first__slug", "second__name", "second__slug"]
    autocomplete_fields = ["first", "second"]
    actions = ["join", "split", "show_first", "show_second"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["first", "second", "decision"]
        return [
            "first_listing",
            "second_listing",
            "status",
            "score",
            "why",
            "decision",
            "winner",
            "decided_by",
            "decided_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fields = ["first_listing", "second_listing", "status", "score", "why"]
        return [*fields, "decided_by", "decided_at"]

    @admin.display(description=_("first listing"), ordering="first__name")
    def first_listing(self, obj):
        return self._listing(obj.first)

    @admin.display(description=_("second listing"), ordering="second__name")
    def second_listing(self, obj):
        return self._listing(obj.second)

    def _listing(self, meeting):
        source = meeting.source or _("entered here")
        return format_html(
            '<a href="{}">{}</a><br><small>{} · {}</small>',
            reverse("admin:meetings_meeting_change", args=[meeting.pk]),
            meeting,
            source,
            meeting.get_status_display(),
        )

    @admin.display(description=_("fellowship"), ordering="first__group__fellowship__name")
    def fellowship(self, obj):
        return obj.first.group.fellowship

    @admin.display(description=_("why"))
    def why(self, obj):
        words = []
        for key, value in (obj.reasons or {}).items():
            template = REASON_WORDS.get(key)
            if template is not None:
                words.append(str(template) % {"value": value})
        return "; ".join(words)

    @admin.display(description=_("shown"))
    def shown(self, obj):
        first, second = obj.first, obj.second
        if first.duplicate_of_id == second.pk:
            return _("second")
        if second.duplicate_of_id == first.pk:
            return _("first")
        return _("both")

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        winner = form.cleaned_data.get("winner")
        if not change:
            match = meeting_match_join(
                first=form.cleaned_data["first"],
                second=form.cleaned_data["second"],
                winner=winner,
                by=request.user,
            )
            obj.pk = match.pk
        elif decision:
            meeting_match_decide(match=obj, status=decision, winner=winner, by=request.user)
        elif obj.is_decided:
            meeting_matches_undecide(matches=MeetingMatch.objects.filter(pk=obj.pk))

    def has_delete_permission(self, request, obj=None):
        # A wrong match is split, not deleted: the matcher would find it again.
        return False

    @admin.action(description=_("Join: one meeting, shown once"), permissions=["change"])
    def join(self, request, queryset):
        self._decide(request, queryset, MeetingMatch.Status.JOINED)

    @admin.action(description=_("Split: two meetings, both shown"), permissions=["change"])
    def split(self, request, queryset):
        self._decide(request, queryset, MeetingMatch.Status.SPLIT)

    @admin.action(description=_("Join and show the first listing"), permissions=["change"])
    def show_first(self, request, queryset):
        self._decide(request, queryset, MeetingMatch.Status.JOINED, winner="first")

    @admin.action(description=_("Join and show the second listing"), permissions=["change"])
    def show_second(self, request, queryset):
        self._decide(request, queryset, MeetingMatch.Status.JOINED, winner="second")

    def _decide(self, request, queryset, status, winner=None):
        done, refused = 0, 0
        for match in queryset.select_related("first__group", "second__group"):
            chosen = getattr(match, winner) if winner else None
            try:
                meeting_match_decide(match=match, status=status, winner=chosen, by=request.user)
            except MatchRefused:
                refused += 1
            else:
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d pair decided.", "%(count)d pairs decided.", done) % {"count": done},
            messages.SUCCESS,
        )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d pair left apart: meetings of two fellowships are never one.",
                    "%(count)d pairs left apart: meetings of two fellowships are never one.",
                    refused,
                )
                % {"count": refused},
                messages.WARNING,
            )


_TREND_MARKS = {"applied": "●", "unchanged": "○", "held": "◐", "discarded": "◌", "failed": "✕"}


class SyncAttemptInline(admin.TabularInline):
    model = SyncAttempt
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    fields = ["started", "outcome", "error_kind", "message", "read", "created", "updated"]
    readonly_fields = fields
    ordering = ["-started", "-id"]

    def get_queryset(self, request):
        recent = SyncAttempt.objects.filter(
            pk__in=Subquery(SyncAttempt.objects.filter(source=OuterRef("source")).values("pk")[:10])
        )
        return super().get_queryset(request).filter(pk__in=recent.values("pk"))


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "format",
        "fellowship",
        "enabled",
        "precedence",
        "meeting_count",
        "last_success",
        "last_result",
        "trend",
        "failing_streak",
    ]
    list_filter = ["enabled", "format", "fellowship"]
    list_select_related = ["fellowship"]
    search_fields = ["name", "url", "attribution_name"]
    readonly_fields = ["created", "last_fetched", "etag", "last_modified", "failure_notified"]
    inlines = [SyncAttemptInline]
    actions = ["sync_now"]
    fieldsets = [
        (None, {"fields": ["name", "url", "format", "fellowship", "enabled"]}),
        (
            _("Reading the source"),
            {
                "fields": [
                    "type_map",
                    "default_timezone",
                    "retire_missing",
                    "max_retire_percent",
                    "min_interval_minutes",
                    "precedence",
                ]
            },
        ),
        (
            _("Credit and corrections"),
            {
                "fields": [
                    "attribution_name",
                    "attribution_url",
                    "correction_contact",
                    "reuse_permission",
                ]
            },
        ),
        (
            _("Last fetch"),
            {"fields": readonly_fields, "classes": ["collapse"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "precedence" in form.changed_data:
            copies_refresh()  # which listing of each shared meeting is shown

    def get_queryset(self, request):
        attempts = SyncAttempt.objects.filter(source=OuterRef("pk")).exclude(
            outcome=SyncAttempt.Outcome.RUNNING
        )
        good = attempts.filter(
            outcome__in=[SyncAttempt.Outcome.APPLIED, SyncAttempt.Outcome.UNCHANGED]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                active_meetings=Count(
                    "meetings", filter=~Q(meetings__status=Meeting.Status.INACTIVE)
                ),
                last_good=Subquery(good.values("finished")[:1]),
                last_outcome=Subquery(attempts.values("outcome")[:1]),
                last_error=Subquery(attempts.values("error_kind")[:1]),
            )
        )

    @admin.display(description=_("meetings"), ordering="active_meetings")
    def meeting_count(self, obj):
        return obj.active_meetings

    @admin.display(description=_("last success"), ordering="last_good")
    def last_success(self, obj):
        return obj.last_good or _("never")

    @admin.display(description=_("last result"))
    def last_result(self, obj):
        if obj.last_outcome is None:
            return _("never synced")
        label = SyncAttempt.Outcome(obj.last_outcome).label
        if obj.last_error:
            return f"{label}: {SyncAttempt.ErrorKind(obj.last_error).label}"
        return label

    @admin.display(description=_("trend (latest last)"))
    def trend(self, obj):
        outcomes = obj.attempts.exclude(outcome=SyncAttempt.Outcome.RUNNING).values_list(
            "outcome", flat=True
        )[:10]
        return "".join(_TREND_MARKS.get(o, "?") for o in reversed(outcomes)) or "—"

    @admin.display(description=_("failing streak"))
    def failing_streak(self, obj):
        return failing_streak(obj)

    @admin.action(description=_("Sync the selected sources now"))
    def sync_now(self, request, queryset):
        results = sources_sync(sources=queryset.select_related("fellowship"), force=True)
        for result in results:
            level = messages.ERROR if result.failed else messages.INFO
            self.message_user(request, result.line(), level)


@admin.register(SyncAttempt)
class SyncAttemptAdmin(admin.ModelAdmin):
    list_display = [
        "source",
        "started",
        "finished",
        "outcome",
        "error_kind",
        "read",
        "created",
        "updated",
        "unchanged",
        "retired",
        "rejected",
    ]
    list_filter = ["outcome", "error_kind", "source"]
    list_select_related = ["source"]
    date_hierarchy = "started"
    actions = ["apply_held", "discard_held"]
    exclude = ["held_content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("held_content")

    def has_review_permission(self, request):
        """Whoever may change sources decides on their held syncs."""
        return request.user.has_perm("meetings.change_source")

    @admin.action(description=_("Apply the selected held syncs"), permissions=["review"])
    def apply_held(self, request, queryset):
        applied = 0
        for attempt in queryset.filter(outcome=SyncAttempt.Outcome.HELD).select_related(
            "source__fellowship"
        ):
            result = held_sync_apply(attempt=attempt, by=request.user)
            if result.outcome == SyncAttempt.Outcome.APPLIED:
                applied += 1
            else:
                self.message_user(request, result.message, messages.ERROR)
        self.message_user(
            request,
            ngettext("%(n)d held sync applied.", "%(n)d held syncs applied.", applied)
            % {"n": applied},
        )

    @admin.action(description=_("Discard the selected held syncs"), permissions=["review"])
    def discard_held(self, request, queryset):
        held = list(queryset.filter(outcome=SyncAttempt.Outcome.HELD))
        for attempt in held:
            held_sync_discard(attempt=attempt, by=request.user)
        self.message_user(
            request,
            ngettext("%(n)d held sync discarded.", "%(n)d held syncs discarded.", len(held))
            % {"n": len(held)},
        )
