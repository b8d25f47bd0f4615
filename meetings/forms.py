"""Forms of meetings: reporting a problem with a listing (public), and the times an
organizer types (both admins and "List a new group")."""

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.models import Meeting, ProblemReport
from meetings.schedule import clock

# "6:30 PM", "6:30pm", "6 p.m.", "6.30 pm"; and "18:30", "18:30:00", "18.30".
_TWELVE_HOUR = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m?\.?$", re.IGNORECASE)
_TWENTY_FOUR_HOUR = re.compile(r"^(\d{1,2})[:.h](\d{2})(?::(\d{2}))?$", re.IGNORECASE)
# An end at or before the start is the next day's only for a meeting this long or less
# (23:00-00:30 runs past midnight; 19:00-18:30 is a mistake, not a 23½-hour meeting).
LONGEST_MEETING = dt.timedelta(hours=6)


def parse_clock(text: str) -> dt.time | None:
    """A time of day as people type it, or None when it is not one."""
    text = " ".join((text or "").split())
    if match := _TWELVE_HOUR.match(text):
        hour, minute, half = int(match[1]), int(match[2] or 0), match[3].lower()
        if not 1 <= hour <= 12 or minute > 59:
            return None
        return dt.time(hour % 12 + (12 if half == "p" else 0), minute)
    if match := _TWENTY_FOUR_HOUR.match(text):
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return None
        return dt.time(hour, minute, second)
    return None


class ClockTimeField(forms.TimeField):
    """A time typed as "6:30 PM", "6:30pm" or "18:30" (Django's own field takes only
    the 24-hour forms)."""

    default_error_messages = {"invalid": _("Enter a time such as 6:30 PM or 18:30.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.time):
            return value
        parsed = parse_clock(str(value))
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def past_midnight_note(meeting: Meeting) -> str | None:
    """What to tell an organizer who saved a meeting that ends the next day, if so."""
    if meeting.start_time is None or meeting.end_time is None:
        return None
    if meeting.end_time > meeting.start_time:
        return None
    return _("“%(meeting)s” runs past midnight: it ends at %(end)s the next day.") % {
        "meeting": meeting.display_name,
        "end": clock(meeting.end_time),
    }


def end_time_error(start: dt.time | None, end: dt.time | None) -> str | None:
    """Why this end time cannot be right for this start, or None when it can."""
    if start is None or end is None or end > start:
        return None
    if end == start:
        return _("The meeting ends when it starts. Change the end time, or leave it empty.")
    day = dt.date(2000, 1, 1)
    length = dt.datetime.combine(day + dt.timedelta(days=1), end) - dt.datetime.combine(day, start)
    if length <= LONGEST_MEETING:
        return None  # it runs past midnight: the caller tells the organizer so
    return _(
        "The meeting ends before it starts. Change the end time, or leave it empty for "
        "one hour after the start. (A meeting that runs past midnight may last up to "
        "%(hours)d hours.)"
    ) % {"hours": LONGEST_MEETING.seconds // 3600}


class MeetingTimesMixin:
    """The organizer's start and end times: typed freely, and an end that is not after
    the start refused, unless the meeting truly runs past midnight."""

    def clean(self):
        data = super().clean()
        error = end_time_error(data.get("start_time"), data.get("end_time"))
        if error:
            self.add_error("end_time", error)
        return data


class MeetingAdminForm(MeetingTimesMixin, forms.ModelForm):
    """The meeting form of both admins (/admin/ and /manage/)."""

    class Meta:
        model = Meeting
        # The admins add the fields of their fieldsets; these are the ones set here.
        fields = ["start_time", "end_time"]
        field_classes = {"start_time": ClockTimeField, "end_time": ClockTimeField}
        # A plain box shown as "07:00 PM": the admin's clock widget offers "Now" and warns
        # of the server's time zone, neither of which means anything for a weekly meeting.
        widgets = {
            "start_time": forms.TimeInput(format="%I:%M %p", attrs={"size": 10}),
            "end_time": forms.TimeInput(format="%I:%M %p", attrs={"size": 10}),
        }


class ProblemReportForm(forms.ModelForm):
    """What is wrong, in one tap; details and a reply address are optional.

    ``website`` is a honeypot: hidden from people (and from screen readers and the tab
    order), it is filled in only by bots, whose reports are then quietly dropped.
    """

    category = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=ProblemReport.Category.choices,
        widget=forms.RadioSelect,
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = ProblemReport
        fields = ["category", "message", "email"]
        labels = {
            "message": _("Anything else we should know? (optional)"),
            "email": _("Your email, if you'd like a reply (optional)"),
        }
        help_texts = {
            "message": _("Please don't include anyone's full name."),
            "email": _("Seen only by the group's organizers and RecoveryMap staff."),
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}

    @property
    def is_from_a_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))
