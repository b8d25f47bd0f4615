"""Public meeting pages."""

import datetime as dt
import hashlib
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_filters.views import FilterView

from directory.models import Fellowship, Group
from meetings import feeds
from meetings.calendar import calendar_for, meeting_calendar, meeting_event_data
from meetings.duplicates import also_listed_by
from meetings.feed_cache import KeptFeed
from meetings.feeds import CALENDAR_LIMIT, feed_json
from meetings.filters import CLOCK_TIMES, NO_ONLINE, FeedFilter, MeetingFilter
from meetings.forms import ProblemReportForm
from meetings.listings import cache_key
from meetings.models import Meeting, ProblemReport, Source, SyncAttempt
from meetings.openapi import api_description, docs_sections
from meetings.page_cache import (
    LATER_SOONEST_PAGE_SECONDS,
    ONLINE_SOON_SLOT,
    ONLINE_TAB_SLOT,
    SECTION_BREAK,
    fill_online_slots,
    keep_online_soon,
    keep_page,
    kept_key,
    kept_page,
    labels_valid_until,
    next_midnight,
    page_key,
    search_reach,
)
from meetings.results import (
    MeetingCard,
    active_chips,
    map_points,
    meeting_cards,
    meeting_urls,
    place_links,
    query_without,
    result_cards,
    result_row,
    type_choices,
    ways_on,
)
from meetings.schedule import current_or_next_occurrence
from meetings.services import problem_report_submit
from recoverymap.lib.clients import client_key, export_build_refused
from recoverymap.lib.geo import Point, is_timezone
from recoverymap.lib.streaming import streamed_response


class MeetingSearchView(FilterView):
    """/meetings/: the search, as a shareable GET form; list or map of the results.

    For visitors who are not signed in, the whole page is kept (see page_cache): a
    repeat search is served from the cache with no database work, until a word on the
    page that changes with the clock would change, or a listing within its reach does.
    """

    filterset_class = MeetingFilter
    template_name = "meetings/meeting_list.html"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.now = timezone.now()
        key = page_key(request) if settings.LISTINGS_CACHE_SECONDS else None
        kept = kept_page(key, self.now) if key else None
        if kept is not None:
            if kept.section is None:  # a new minute: the online section alone is built
                self.filterset = self.get_filterset(self.get_filterset_class())
                kept.section = self._online_soon_html(self.filterset.online_soon())
                keep_online_soon(kept.online_soon, kept.section, self.now)
            return HttpResponse(kept.filled(kept.section))

        self.filterset = self.get_filterset(self.get_filterset_class())
        reach = search_reach(self.filterset) if key else None
        valid = self.filterset.is_valid()
        self.object_list = self.filterset.qs if valid else self.filterset.queryset.none()
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        response = self.render_to_response(context)
        response.render()
        html = response.content.decode()
        section = self._online_soon_html(self.online_soon, self.online_meetings)
        response.content = fill_online_slots(html, section)
        if reach is not None:
            keep_page(
                key,
                html,
                filterset=self.filterset,
                reach=reach,
                now=self.now,
                valid_until=self._page_valid_until(),
                online_soon_html=section,
            )
        return response

    def _online_soon_html(self, online, meetings: list | None = None) -> str:
        """The online meetings that match a place search (the soonest, and how many),
        told in the visitor's zone: the section and the link to it at the top.
        ``meetings``: the section's, read already with the page's (else read here)."""
        if not online.count and online.until is None:
            return ""
        if meetings is None:
            (meetings,) = self._cards(online.ids)
        zone = self.filterset.visitor_zone
        wanted = self.filterset.wanted_types()
        url_of = meeting_urls()
        rows = [result_row(m, self.now, zone=zone, wanted=wanted, url_of=url_of) for m in meetings]
        context = {
            "online_cards": result_cards(rows),
            "online_count": online.count,
            "online_more": online.more_than_counted,
            "online_within": _within_hours(online.until, self.now),
            "online_query": query_without(self.request.GET, *ONLINE_LINK_DROPS),
            "section_break": SECTION_BREAK,
        }
        return render_to_string("meetings/_online_soon.html", context, self.request)

    def _page_valid_until(self) -> dt.datetime:
        """Until the first of the page's words that change with the clock would change
        (see page_cache.labels_valid_until); "today" turns over at the visitor's
        midnight."""
        filterset = self.filterset
        soonest = filterset.ordering == "soonest"
        moments = [
            labels_valid_until(self.rows, self.now, soonest=soonest),
            next_midnight(self.now, filterset.visitor_zone),
        ]
        if soonest and self.page_number > 1:
            moments.append(self.now + dt.timedelta(seconds=LATER_SOONEST_PAGE_SECONDS))
        if filterset.changes_every_minute:
            # "In progress", "in the next hour": any meeting may join or leave the list
            # at the next minute, not only those on this page.
            moments.append(self.now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1))
        return min(moments)

    def get_queryset(self):
        # The search reads ids and ranks; the cards of a page's meetings and the online
        # section's are read once, together (get_context_data).
        return Meeting.objects.public()

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        # An empty query string is still a bound (valid, empty) search: online soonest.
        kwargs["data"] = self.request.GET
        kwargs["now"] = self.now
        return kwargs

    def _cards(self, *id_lists: list[int]) -> list[list[MeetingCard]]:
        """For each list of ids, the cards of its meetings (those still listed) in that
        order, in one query for them all (their types' names from the filterset's
        catalogue)."""
        cards = meeting_cards(
            self.get_queryset(),
            [pk for ids in id_lists for pk in ids],
            self.filterset.fellowships,
            self.filterset.types,
        )
        return [[cards[pk] for pk in ids if pk in cards] for ids in id_lists]

    def paginate_queryset(self, queryset, page_size):
        """Like Django's, over the filterset's RankedResults; a page that is not a
        number or out of range shows the nearest real page instead of a 404."""
        if self.filterset.is_valid():
            queryset = self.filterset.results
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = context["filter"]
        valid = filterset.form.is_valid()
        zone = filterset.visitor_zone if valid else settings.TIME_ZONE
        point = filterset.point if valid else None
        page_ids = list(context["object_list"])
        self.online_soon = filterset.online_soon() if valid else NO_ONLINE
        # The page's meetings and the online section's, read together.
        page_meetings, self.online_meetings = self._cards(page_ids, self.online_soon.ids)
        wanted = filterset.wanted_types()
        url_of = meeting_urls()
        rows = [
            result_row(
                m,
                self.now,
                zone=None if point else zone,
                wanted=wanted,
                url_of=url_of,
                point=point,
            )
            for m in page_meetings
        ]
        self.rows = rows
        self.page_number = context["page_obj"].number if context.get("page_obj") else 1
        view_mode = "map" if self.request.GET.get("view") == "map" else "list"
        chips = active_chips(filterset, self.request.GET)
        context.update(
            {
                "rows": rows,
                "cards": result_cards(rows),
                "point": point,
                "zone": zone,
                "online_soon_slot": ONLINE_SOON_SLOT,
                "online_tab_slot": ONLINE_TAB_SLOT,
                "chips": chips,
                "ways_on": ways_on(filterset, chips) if valid and not rows else [],
                **place_links(filterset.form, self.request.GET),
                "view_mode": view_mode,
                "map_points": map_points(rows) if view_mode == "map" else [],
                "total": context["paginator"].count if context.get("paginator") else len(rows),
                "more_than_total": valid and filterset.results.more_than_counted,
                "query_without_page": query_without(self.request.GET, "page"),
                **type_choices(self.request.GET, filterset.types),
                "checkboxes": filterset.checkbox_groups(),
                "active_filters": sum(1 for chip in chips if chip.name not in PLACE_FIELDS),
                "filter_errors": any(name not in PLACE_FIELDS for name in filterset.form.errors),
                "map_tile_url": settings.MAP_TILE_URL,
                "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            }
        )
        return context


def _within_hours(until: dt.datetime | None, now: dt.datetime) -> str:
    """ "in the next 12 hours": the hours a count of online meetings covers (see
    MeetingFilter.online_soon), or "" when it covers them all."""
    if until is None:
        return ""
    hours = round((until - now) / dt.timedelta(hours=1))
    return ngettext("in the next %(hours)s hour", "in the next %(hours)s hours", hours) % {
        "hours": hours
    }


# The online section's "see them all" is the same search less the place and its options.
ONLINE_LINK_DROPS = ("near", "radius", "sort", "page", "view", "attendance")
# Set beside the place, not in the filter panel.
PLACE_FIELDS = {"near", "tz"}
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


def _shown_instead(request, meeting: Meeting, view_name: str):
    """A redirect to the listing shown in place of ``meeting`` when it is another
    source's copy of it (see meetings.duplicates), else None. Temporary (302): staff may
    split the pair, and the copy's address then shows it again."""
    if meeting.duplicate_of_id is None:
        return None
    shown = _listed_meetings().filter(pk=meeting.duplicate_of_id).public().first()
    if shown is None:
        return None
    url = reverse(view_name, args=[shown.slug])
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


# For a fellowship whose own tips are not written yet.
GENERAL_TIPS = [
    gettext_lazy("You don't have to speak: listening is enough."),
    gettext_lazy("Arriving a few minutes early makes it easier to find the room and meet someone."),
    gettext_lazy("There is usually no fee, and no one will ask for your last name."),
]


def meeting_detail(request, slug):
    meeting = get_object_or_404(_listed_meetings().select_related("feed"), slug=slug)
    if shown := _shown_instead(request, meeting, "meetings:meeting-detail"):
        return shown
    now = timezone.now()
    occurrence = current_or_next_occurrence(meeting, now)
    visitor_zone = _visitor_zone(request.GET.get("tz", ""), occurrence.start)
    inactive = meeting.status == Meeting.Status.INACTIVE
    page_url = request.build_absolute_uri(meeting.get_absolute_url())
    shown = occurrence.told_in(visitor_zone)
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
        # The visitor's clock first (when we know it), the meeting's own after it.
        "shown": shown,
        "shown_zone": visitor_zone or meeting.timezone,
        "shown_day_word": shown.relative_day(now),
        "page_url": page_url,
        "first_timer_tips": meeting.group.fellowship.first_timer_tip_list or GENERAL_TIPS,
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
        "also_listed_by": also_listed_by(meeting),
        "event_data": meeting_event_data(
            meeting,
            url=page_url,
            group_url=request.build_absolute_uri(meeting.group.get_absolute_url()),
            now=now,
        ),
    }
    return render(request, "meetings/meeting_detail.html", context)


REPORT_WINDOW = dt.timedelta(hours=1)


def meeting_report(request, slug):
    """ "Report a problem": no account needed; at most REPORT_RATE_LIMIT reports an hour
    from one client address (told apart by a keyed hash, see recoverymap.lib.clients)."""
    meeting = get_object_or_404(_listed_meetings(), slug=slug)
    if shown := _shown_instead(request, meeting, "meetings:meeting-report"):
        return shown
    form = ProblemReportForm(
        request.POST or None, initial={"category": request.GET.get("category", "")}
    )
    if request.method == "POST":
        key = client_key(request)
        recent = ProblemReport.objects.filter(
            client_key=key, created__gte=timezone.now() - REPORT_WINDOW
        )
        if recent.count() >= settings.REPORT_RATE_LIMIT:
            return render(request, "meetings/report_limited.html", {"meeting": meeting}, status=429)
        if form.is_valid():
            if not form.is_from_a_bot:
                problem_report_submit(
                    meeting=meeting,
                    category=form.cleaned_data["category"],
                    message=form.cleaned_data["message"],
                    email=form.cleaned_data["email"],
                    client_key=key,
                )
            messages.success(
                request,
                _("Thank you. The group's organizers and our staff will look into it."),
            )
            return redirect(meeting)
    return render(request, "meetings/meeting_report.html", {"meeting": meeting, "form": form})


def meeting_ics(request, slug):
    """The meeting as a weekly event to add to a calendar app."""
    meeting = get_object_or_404(_listed_meetings(), slug=slug)
    if shown := _shown_instead(request, meeting, "meetings:meeting-ics"):
        return shown
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
        return online.soonest_by_index(now)[:ALTERNATIVES_SHOWN]
    return []


# Feeds ----------------------------------------------------------------------------------


def _allow_any_origin(response):
    """Any site may read the feed from a browser (the TSML UI, a service body's page)."""
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _preflight():
    """The answer to a browser's CORS preflight of a feed."""
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response["Access-Control-Allow-Headers"] = "*"
    response["Access-Control-Max-Age"] = "86400"
    return _allow_any_origin(response)


def _invalid(errors: dict) -> JsonResponse:
    """The 400 of a feed asked with bad parameters: each parameter with its messages."""
    body = {
        "error": "Invalid parameters.",
        "fields": {name: [e["message"] for e in found] for name, found in errors.items()},
    }
    return _allow_any_origin(JsonResponse(body, status=400))


def _feed_headers(response):
    """What every feed answer says: anyone may cache it for five minutes (its body may be
    gzip or not, by the request's Accept-Encoding), any site may read it."""
    response["Cache-Control"] = "public, max-age=300"
    patch_vary_headers(response, ["Accept-Encoding"])
    return _allow_any_origin(response)


def _uses_the_clock(filterset) -> bool:
    """A search for meetings in progress or starting in the next hour: its answer
    changes by the minute, so it is neither kept nor given an ETag."""
    return bool(set(filterset.form.cleaned_data.get("time") or ()) & set(CLOCK_TIMES))


def _builds_refused(request, *, calendar: bool = False) -> HttpResponse | None:
    """The 429 of a client that had too many exports built this minute, or None."""
    wait = export_build_refused(request)
    if wait is None:
        return None
    message = _(
        "Too many new exports were asked from your address this minute. "
        "Try again in %(seconds)d seconds."
    ) % {"seconds": wait}
    if calendar:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    else:
        response = _allow_any_origin(JsonResponse({"error": message}, status=429))
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


def _kept_feed(request, kind: str, words: tuple, build):
    """The feed ``build()`` makes (its pieces, bytes), kept whole and compressed under
    the listings' version, with an ETag (meetings.feed_cache): a repeated request costs a
    cache read, a client that has it a 304, and only one process builds it at a time."""
    kept = KeptFeed(kind, words, content_type="application/json")
    if (response := kept.not_modified(request)) is not None:
        return _feed_headers(response)
    locked = False
    response = kept.kept(request)
    if response is None and (refused := _builds_refused(request)) is not None:
        previous = kept.previous(request)
        return _feed_headers(previous) if previous is not None else refused
    if response is None:
        locked = kept.claim()
        if not locked:
            response = kept.previous(request) or kept.wait(request)
    if response is None:
        try:
            response = streamed_response(
                kept.keep(build(), locked=locked), content_type="application/json"
            )
        except BaseException:
            if locked:  # failed before the stream began (its own cleanup never ran)
                cache.delete(kept.lock_key)
            raise
        response["ETag"] = kept.etag
    return _feed_headers(response)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def meeting_feed(request):
    """/api/meetings.json: every public meeting (or those the search parameters pick)
    as a Meeting Guide feed, streamed the first time and kept (meetings.feed_cache)."""
    if request.method == "OPTIONS":
        return _preflight()
    filterset = FeedFilter(request.GET, queryset=Meeting.objects.public(), now=timezone.now())
    if not filterset.is_valid():
        return _invalid(filterset.form.errors.get_json_data())
    base_url = f"{request.scheme}://{request.get_host()}"

    def build():
        return feed_json(filterset.qs, base_url=base_url)

    if not settings.LISTINGS_CACHE_SECONDS or _uses_the_clock(filterset):
        if (refused := _builds_refused(request)) is not None:
            return refused
        return _feed_headers(streamed_response(build(), content_type="application/json"))
    today = timezone.now().astimezone(ZoneInfo(filterset.visitor_zone)).date()
    # By language too: a bad parameter's message, and the address of each meeting's
    # page in it, are in the language the feed was asked in (/es/api/meetings.json).
    words = (base_url, filterset.cache_words(), get_language(), today.isoformat())
    return _kept_feed(request, "feed", words, build)


# HSDS pages: as many services as asked, up to this many (a 211 loads the directory
# page by page, as HSDS's own API has it).
HSDS_PER_PAGE = 50
HSDS_MAX_PER_PAGE = 1000


def _page_errors(query) -> dict:
    """Errors of the paging parameters, as a form's ``get_json_data`` gives them."""
    errors = {}
    limits = {"page": (1, None), "per_page": (1, HSDS_MAX_PER_PAGE)}
    for name, (low, high) in limits.items():
        value = query.get(name)
        if value is None:
            continue
        if not value.isdigit() or int(value) < low or (high and int(value) > high):
            message = (
                _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
                if high
                else _("Give a whole number from %(low)d.") % {"low": low}
            )
            errors[name] = [{"message": message}]
    return errors


def _hsds_list(request, kind: str, build):
    """An HSDS list (services, organizations, locations) of the public meetings the
    feed's search parameters pick, a page at a time (``build(meetings, page, per_page,
    base_url, now)`` gives its pieces), each page kept as the feed is
    (meetings.feed_cache)."""
    if request.method == "OPTIONS":
        return _preflight()
    now = timezone.now()
    filterset = FeedFilter(request.GET, queryset=Meeting.objects.public(), now=now)
    errors = _page_errors(request.GET)
    if not filterset.is_valid() or errors:
        return _invalid({**filterset.form.errors.get_json_data(), **errors})
    base_url = f"{request.scheme}://{request.get_host()}"
    page = int(request.GET.get("page", 1))
    per_page = int(request.GET.get("per_page", HSDS_PER_PAGE))

    def pieces():
        return build(filterset.qs, page, per_page, base_url, now)

    if not settings.LISTINGS_CACHE_SECONDS or _uses_the_clock(filterset):
        if (refused := _builds_refused(request)) is not None:
            return refused
        return _feed_headers(streamed_response(pieces(), content_type="application/json"))
    # By day: a schedule's UTC offset is this week's.
    today = now.astimezone(ZoneInfo(filterset.visitor_zone)).date()
    words = (base_url, filterset.cache_words(), get_language(), today.isoformat(), page, per_page)
    return _kept_feed(request, kind, words, pieces)


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def hsds_services(request):
    """/api/hsds/services: the public meetings (or those the feed's search parameters
    pick) as Open Referral HSDS 3.0 services, a page at a time."""
    return _hsds_list(
        request,
        "hsds",
        lambda meetings, page, per_page, base_url, now: feeds.hsds_services(
            meetings, page=page, per_page=per_page, base_url=base_url, now=now
        ),
    )


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def hsds_organizations(request):
    """/api/hsds/organizations: the fellowships and groups behind those meetings, as
    HSDS 3.0 organizations, a page at a time."""
    return _hsds_list(
        request,
        "hsds-organizations",
        lambda meetings, page, per_page, base_url, now: feeds.hsds_organizations(
            meetings, page=page, per_page=per_page
        ),
    )


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def hsds_locations(request):
    """/api/hsds/locations: the venues where those meetings meet in person, as HSDS 3.0
    physical locations, a page at a time."""
    return _hsds_list(
        request,
        "hsds-locations",
        lambda meetings, page, per_page, base_url, now: feeds.hsds_locations(
            meetings, page=page, per_page=per_page
        ),
    )


def search_calendar(request):
    """/meetings.ics: the search's results (the same parameters) as a calendar to
    subscribe to, at most CALENDAR_LIMIT meetings in the search's order.

    Building one takes up to a second (500 recurring events), and calendar apps ask
    again every few hours, so it is kept like a search page (meetings.page_cache): until
    a listing within the search's reach changes, or midnight in the visitor's zone. Its
    key is the search as validated (``cache_words``), not the raw query, so stray or
    reordered parameters cannot make every request a new build."""
    now = timezone.now()
    filterset = MeetingFilter(
        request.GET,
        queryset=Meeting.objects.public().select_related("group__fellowship", "location"),
        now=now,
    )
    if not filterset.is_valid():
        messages = [str(e) for found in filterset.form.errors.values() for e in found]
        return HttpResponse(
            " ".join(messages), status=400, content_type="text/plain; charset=utf-8"
        )
    key = reach = None
    if settings.LISTINGS_CACHE_SECONDS and not request.user.is_authenticated:
        reach = search_reach(filterset)
        base_url = f"{request.scheme}://{request.get_host()}"
        words = (base_url, get_language(), filterset.cache_words())
        key = kept_key("calendar", *words) if reach else None
        kept = kept_page(key, now) if key else None
        if kept is not None:
            return _calendar_response(request, kept.html)
    if (refused := _builds_refused(request, calendar=True)) is not None:
        return refused
    meetings = list(filterset.qs[:CALENDAR_LIMIT])
    point = filterset.point
    name = _("Meetings near %(place)s") % {"place": point.label} if point else _("Online meetings")
    ics = calendar_for(
        meetings,
        name=f"{name} · RecoveryMap",
        url_for=lambda m: request.build_absolute_uri(m.get_absolute_url()),
        now=now,
    ).decode()
    if key is not None:
        midnight = next_midnight(now, filterset.visitor_zone)
        keep_page(
            key, ics, filterset=filterset, reach=reach, now=now, valid_until=midnight, online=False
        )
    return _calendar_response(request, ics)


def _calendar_response(request, ics: str) -> HttpResponse:
    """The calendar, with an ETag of its text: a calendar app asking again for one it
    has gets a 304 and nothing to parse."""
    etag = f'"{hashlib.sha256(ics.encode()).hexdigest()[:32]}"'
    if etag in {
        tag.strip().removeprefix("W/")
        for tag in request.headers.get("If-None-Match", "").split(",")
    }:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    response["Cache-Control"] = "public, max-age=300"  # the same for everyone, as the feed
    return response


def source_list(request):
    """/sources/: every registered source, how many of its meetings we show, and when
    it was last synced, so anyone can see where the directory's listings come from."""
    # Counting every meeting is the page's one costly query: kept until a listing
    # changes (the sources themselves, and when they last synced, are read each time).
    key = cache_key("source-counts")
    counts = cache.get(key)
    if counts is None:
        counts = dict(
            Meeting.objects.public(copies=True)
            .filter(feed__isnull=False)
            .values_list("feed")
            .annotate(n=Count("id"))
            .values_list("feed", "n")
        )
        cache.set(key, counts, settings.LISTINGS_CACHE_SECONDS)
    good = SyncAttempt.objects.filter(
        source=OuterRef("pk"),
        outcome__in=[SyncAttempt.Outcome.APPLIED, SyncAttempt.Outcome.UNCHANGED],
    ).order_by("-finished")
    sources = Source.objects.select_related("fellowship").annotate(
        last_synced=Subquery(good.values("finished")[:1])
    )
    rows = [{"source": s, "meetings": counts.get(s.pk, 0)} for s in sources]
    return render(request, "meetings/source_list.html", {"rows": rows})


# The API's own pages -------------------------------------------------------------------


def _feed_index(request) -> dict:
    """A Meeting Guide feed address for each fellowship (TSML UI and the Meeting Guide
    app read one program per feed), and where the API is described."""
    feed = request.build_absolute_uri(reverse("meetings:meeting-feed"))
    return {
        "feeds": [
            {
                "fellowship": fellowship.slug,
                "name": fellowship.name,
                "url": f"{feed}?{urlencode({'fellowship': fellowship.slug})}",
                "page": request.build_absolute_uri(fellowship.get_absolute_url()),
            }
            for fellowship in Fellowship.objects.order_by("name")
        ],
        "all": feed,
        "openapi": request.build_absolute_uri(reverse("meetings:api-openapi")),
        "docs": request.build_absolute_uri(reverse("meetings:api-docs")),
    }


def api_index(request):
    """/api/: the feeds, one per fellowship, for people setting up a client."""
    return render(request, "meetings/api_index.html", {"index": _feed_index(request)})


def api_feeds(request):
    """/api/feeds.json: the same list for programs."""
    return _allow_any_origin(JsonResponse(_feed_index(request)))


def _description(request) -> dict:
    return api_description(base_url=f"{request.scheme}://{request.get_host()}")


def api_openapi(request):
    """/api/openapi.json: the OpenAPI 3.1 description of the public API."""
    return _allow_any_origin(
        JsonResponse(_description(request), json_dumps_params={"ensure_ascii": False})
    )


def api_docs(request):
    """/api/docs/: the same description as a page, rendered here (no script needed)."""
    description = _description(request)
    return render(
        request, "meetings/api_docs.html", {"api": description, "docs": docs_sections(description)}
    )
