"""Public meeting pages."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django_filters.views import FilterView

from directory.models import Group
from meetings.calendar import meeting_calendar, meeting_event_data
from meetings.filters import MeetingFilter
from meetings.models import Meeting
from meetings.results import active_chips, map_points, query_without, result_row, type_choices
from meetings.schedule import current_or_next_occurrence
from recoverymap.lib.geo import Point, is_timezone


class MeetingSearchView(FilterView):
    """/meetings/: the search, as a shareable GET form; list or map of the results."""

    filterset_class = MeetingFilter
    template_name = "meetings/meeting_list.html"
    paginate_by = 20

    def get_queryset(self):
        return (
            Meeting.objects.public()
            .select_related("group__fellowship", "location")
            .prefetch_related("types")
        )

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        # An empty query string is still a bound (valid, empty) search: online soonest.
        kwargs["data"] = self.request.GET
        self.now = timezone.now()
        kwargs["now"] = self.now
        return kwargs

    def paginate_queryset(self, queryset, page_size):
        """Like Django's, but a page that is not a number or out of range shows the
        nearest real page instead of a 404."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        valid = filterset.form.is_valid()
        zone = filterset.visitor_zone if valid else settings.TIME_ZONE
        point = filterset.point if valid else None
        rows = [
            result_row(m, self.now, zone=None if point else zone) for m in context["object_list"]
        ]
        online_soon = filterset.online_soon() if valid else []
        context.update(
            {
                "rows": rows,
                "point": point,
                "zone": zone,
                "online_soon": [result_row(m, self.now, zone=zone) for m in online_soon],
                "chips": active_chips(filterset, self.request.GET),
                "view_mode": "map" if self.request.GET.get("view") == "map" else "list",
                "map_points": map_points(rows),
                "total": context["paginator"].count if context.get("paginator") else len(rows),
                "query_without_page": query_without(self.request.GET, "page"),
                **type_choices(self.request.GET),
                "map_tile_url": settings.MAP_TILE_URL,
                "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            }
        )
        return context


ALTERNATIVES_MILES = 10
ALTERNATIVES_SHOWN = 5
# Spec codes that restate other fields (open/closed access, the "temporarily closed"
# status); the page says those in words, not as types.
CODES_SHOWN_ELSEWHERE = {"O", "C", "TC"}


def _listed_meetings():
    """Meetings with a page: those of approved groups, inactive ones included so old
    links explain what happened instead of failing."""
    return Meeting.objects.filter(group__in=Group.objects.public()).select_related(
        "group__fellowship", "location"
    )


def meeting_detail(request, slug):
    meeting = get_object_or_404(_listed_meetings(), slug=slug)
    now = timezone.now()
    occurrence = current_or_next_occurrence(meeting, now)
    visitor_zone = _visitor_zone(request.GET.get("tz", ""), occurrence.start)
    inactive = meeting.status == Meeting.Status.INACTIVE
    others = (
        Meeting.objects.public()
        .exclude(pk=meeting.pk)
        .select_related("group__fellowship", "location")
    )
    context = {
        "meeting": meeting,
        "fellowship": meeting.group.fellowship,
        "occurrence": occurrence,
        "happening_now": occurrence.is_happening(now),
        "day_word": occurrence.relative_day(now),
        "visitor_zone": visitor_zone,
        "types": [
            t for t in meeting.types.all() if not (t.is_spec and t.code in CODES_SHOWN_ELSEWHERE)
        ],
        "inactive": inactive,
        "alternatives": _alternatives(meeting, others, now) if inactive else [],
        "group_meetings": others.filter(group=meeting.group),
        "location_meetings": (
            others.filter(location=meeting.location).exclude(group=meeting.group)
            if meeting.location_id and meeting.is_in_person
            else []
        ),
        "event_data": meeting_event_data(
            meeting,
            url=request.build_absolute_uri(meeting.get_absolute_url()),
            group_url=request.build_absolute_uri(meeting.group.get_absolute_url()),
            now=now,
        ),
    }
    return render(request, "meetings/meeting_detail.html", context)


def meeting_ics(request, slug):
    """The meeting as a weekly event to add to a calendar app."""
    meeting = get_object_or_404(_listed_meetings(), slug=slug)
    url = request.build_absolute_uri(meeting.get_absolute_url())
    response = HttpResponse(
        meeting_calendar(meeting, url=url), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{meeting.slug}.ics"'
    return response


def _visitor_zone(name: str, start: dt.datetime) -> str:
    """The visitor's zone, when valid and its clocks differ from the meeting's."""
    if not is_timezone(name):
        return ""
    if start.astimezone(ZoneInfo(name)).utcoffset() == start.utcoffset():
        return ""
    return name


def _alternatives(meeting: Meeting, others, now: dt.datetime):
    """Listed meetings a visitor of a retired meeting could go to instead: the nearest
    in person, or for an online meeting the soonest online."""
    location = meeting.location
    if meeting.is_in_person and location is not None and location.has_point:
        point = Point(
            location.latitude, location.longitude, location.formatted_address, location.timezone
        )
        return others.near(point, ALTERNATIVES_MILES)[:ALTERNATIVES_SHOWN]
    if meeting.is_online:
        online = others.with_attendance([Meeting.Attendance.ONLINE])
        return online.soonest(now, online.timezones())[:ALTERNATIVES_SHOWN]
    return []
