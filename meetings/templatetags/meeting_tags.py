"""Template helpers for meeting and directory pages: wording that depends on the data
(open/closed, last confirmed), links built from it (directions, dial-in) and safe JSON-LD."""

import datetime as dt
import json
import re
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import Fellowship, Location
from meetings.models import Meeting, MeetingType

register = template.Library()

STALE_AFTER = dt.timedelta(days=365)

# Escapes that keep JSON inside <script> from closing the element (as json_script does).
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_ld(data) -> str:
    """``data`` as a ``<script type="application/ld+json">`` element, safe to embed."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        _JSON_SCRIPT_ESCAPES
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def http_url(url: str) -> str:
    """``url`` when it is a web address (http or https), else nothing: forms validate
    websites, but a row written around them (a shell, a script) must still never become
    a ``javascript:`` or ``data:`` link."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


_NOT_DIALLABLE = re.compile(r"[^0-9+,*#]")


@register.filter
def tel_href(phone: str) -> str:
    """A one-tap ``tel:`` link: digits, +, pauses (,), * and # (encoded as %23) only."""
    return "tel:" + _NOT_DIALLABLE.sub("", phone or "").replace("#", "%23")


# Video services by the host of their join links; names are brands, never translated.
CONFERENCE_SERVICES = {
    "zoom.us": "Zoom",
    "zoomgov.com": "Zoom",
    "meet.google.com": "Google Meet",
    "teams.microsoft.com": "Microsoft Teams",
    "teams.live.com": "Microsoft Teams",
    "webex.com": "Webex",
    "meet.jit.si": "Jitsi Meet",
    "whereby.com": "Whereby",
    "gotomeeting.com": "GoTo Meeting",
    "meet.goto.com": "GoTo Meeting",
    "skype.com": "Skype",
    "discord.gg": "Discord",
    "discord.com": "Discord",
    "bluejeans.com": "BlueJeans",
    "freeconferencecall.com": "FreeConferenceCall",
}


@register.filter
def conference_service(url: str) -> str:
    """The video service a join link opens ("Zoom"), or empty when we do not know it."""
    host = (urlsplit(url or "").hostname or "").lower()
    for domain, name in CONFERENCE_SERVICES.items():
        if host == domain or host.endswith("." + domain):
            return name
    return ""


@register.simple_tag
def directions_links(location: Location) -> list[dict[str, str]]:
    """Links that open turn-by-turn directions to ``location`` in common map apps; none
    for a place with no street address and no exact point (directions to "USA")."""
    if not location.address and (not location.has_point or location.approximate):
        return []
    if location.has_point:
        where = f"{location.latitude},{location.longitude}"
        geo = f"geo:{where}"
    else:
        where = location.formatted_address
        geo = "geo:0,0?q=" + quote(where)
    if not where:
        return []
    return [
        {
            "label": _("Directions in Google Maps"),
            "url": "https://www.google.com/maps/dir/?"
            + urlencode({"api": "1", "destination": where}, safe=","),
        },
        {
            "label": _("Directions in Apple Maps"),
            "url": "https://maps.apple.com/?" + urlencode({"daddr": where}, safe=","),
        },
        {"label": _("Open in your map app"), "url": geo},
    ]


@register.simple_tag
def access_wording(fellowship: Fellowship, access: str) -> str:
    """Who may attend, in plain words: the fellowship's own wording, or a generic one."""
    if access == Meeting.Access.OPEN:
        return fellowship.local_open_meetings or _(
            "Anyone may attend an open meeting, including family, friends and people who "
            "are curious."
        )
    if access == Meeting.Access.CLOSED:
        if fellowship.local_closed_meetings:
            return fellowship.local_closed_meetings
        if fellowship.audience == Fellowship.Audience.FAMILY:
            return _(
                "A closed meeting is only for family members and friends of someone with "
                "the problem."
            )
        return _(
            "A closed meeting is only for people who have, or think they may have, the "
            "problem this fellowship addresses."
        )
    return _(
        "This listing does not say whether the meeting is open or closed. If you are "
        "not sure, ask the group or someone at the door."
    )


@register.simple_tag
def confirmation(meeting: Meeting, now: dt.datetime | None = None) -> dict[str, object]:
    """How fresh the listing is: ``text`` to show and whether it is ``stale``."""
    if meeting.last_confirmed is None:
        return {"text": _("Not yet confirmed by the organizer"), "stale": True}
    age = (now or timezone.now()) - meeting.last_confirmed
    if age > STALE_AFTER:
        return {"text": _("Not confirmed in over a year"), "stale": True}
    days = max(age.days, 0)
    if days == 0:
        return {"text": _("Confirmed by the organizer today"), "stale": False}
    text = ngettext(
        "Confirmed by the organizer %(days)d day ago",
        "Confirmed by the organizer %(days)d days ago",
        days,
    ) % {"days": days}
    return {"text": text, "stale": False}


@register.simple_tag
def last_changed(meeting: Meeting, now: dt.datetime | None = None) -> str:
    """When the listing last really changed (the feed's ``updated``), in words: for an
    imported meeting the source's own date, never the day an unchanged import ran."""
    days = max(((now or timezone.now()) - meeting.last_changed).days, 0)
    if days == 0:
        return _("Listing last changed today")
    return ngettext(
        "Listing last changed %(days)d day ago",
        "Listing last changed %(days)d days ago",
        days,
    ) % {"days": days}


@register.filter
def type_label(meeting_type: MeetingType) -> str:
    """The type's name in the page's language, when we have it."""
    return meeting_type.label


@register.filter
def zone_abbr(meeting: Meeting) -> str:
    """The abbreviation of the meeting's time zone this week, e.g. CDT."""
    try:
        return dt.datetime.now(ZoneInfo(meeting.timezone)).tzname() or ""
    except (ValueError, KeyError):
        return ""
