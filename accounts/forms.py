"""Forms for accounts and organizers: the admin's user forms adapted to sign-in by email,
asking to manage a group, and listing a new group with its first meeting and place."""

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from directory.models import Group, Location, Place
from meetings.forms import ClockTimeField, MeetingTimesMixin
from meetings.models import Meeting

# The zones most US meetings are in; an organizer elsewhere asks staff.
TIMEZONE_CHOICES = [
    ("", _("Work it out from the ZIP code")),
    ("America/New_York", _("Eastern")),
    ("America/Chicago", _("Central")),
    ("America/Denver", _("Mountain")),
    ("America/Phoenix", _("Arizona")),
    ("America/Los_Angeles", _("Pacific")),
    ("America/Anchorage", _("Alaska")),
    ("Pacific/Honolulu", _("Hawaii")),
    ("America/Puerto_Rico", _("Atlantic (Puerto Rico)")),
]


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "display_name"]


class OrganizerRequestForm(forms.Form):
    message = forms.CharField(
        label=_("How do you serve this group?"),
        help_text=_(
            "For example: “I'm the group's secretary” or “I chair the Tuesday meeting”. "
            "Please don't give your last name."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
    )


class PlaceSearchForm(forms.Form):
    """The ZIP code whose already-listed places the new-group form offers."""

    zip = forms.RegexField(
        label=_("ZIP code of the place"),
        regex=r"^\d{5}$",
        required=False,
        error_messages={"invalid": _("Enter a 5-digit ZIP code.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )


class NewGroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["fellowship", "name", "description", "website", "email", "phone"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name": _("As the group calls itself, e.g. “Sunrise Serenity Group”.")}


MEETING_FIELDS = [
    "name",
    "day",
    "start_time",
    "end_time",
    "attendance",
    "access",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "medication_friendly",
    "notes",
]


class NewMeetingForm(MeetingTimesMixin, forms.Form):
    """The group's first meeting, and where it meets.

    A plain form over the model's fields rather than a ModelForm: the meeting's own
    rules need its group and location, which do not exist yet. The service checks the
    whole meeting once they do.
    """

    def __init__(self, *args, zip_code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            fields_for_model(
                Meeting,
                fields=MEETING_FIELDS,
                field_classes={"start_time": ClockTimeField, "end_time": ClockTimeField},
                widgets={
                    "start_time": forms.TimeInput(attrs={"type": "time"}),
                    "end_time": forms.TimeInput(attrs={"type": "time"}),
                    "attendance": forms.RadioSelect,
                    "access": forms.RadioSelect,
                    "notes": forms.Textarea(attrs={"rows": 3}),
                },
            )
        )
        self.fields["access"].choices = Meeting.Access.choices
        self.fields["access"].required = True
        self.fields["access"].help_text = _(
            "Open: anyone may attend. Closed: only people who share the problem (for "
            "family groups, their family and friends)."
        )
        self.fields["timezone"] = forms.ChoiceField(
            label=_("Time zone"), choices=TIMEZONE_CHOICES, required=False
        )
        self.fields["based_in"] = forms.CharField(
            label=_("Where the group is based"),
            help_text=_(
                "For a meeting with no address: the town (e.g. Minneapolis, MN) or ZIP code "
                "the group calls home. Meeting finders list online meetings by area; it is "
                "never shown as an address."
            ),
            max_length=100,
            required=False,
        )
        self.fields["location_zip"] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.fields["location"] = forms.ModelChoiceField(
            label=_("A place already listed"),
            queryset=listed_locations(zip_code),
            required=False,
            empty_label=_("None of these: a new place (fill it in below)"),
            widget=forms.RadioSelect,
        )
        self.initial.setdefault("location_zip", zip_code)

    def clean(self):
        data = super().clean()
        attendance = data.get("attendance")
        if attendance in {Meeting.Attendance.ONLINE, Meeting.Attendance.HYBRID} and not (
            data.get("conference_url") or data.get("conference_phone")
        ):
            self.add_error(
                "conference_url",
                _("An online or hybrid meeting needs a join link or a dial-in phone number."),
            )
        if attendance == Meeting.Attendance.ONLINE:
            self._clean_town(data)
        return data

    def _clean_town(self, data) -> None:
        """An online meeting's town: known to the gazetteer, and its zone the meeting's
        unless the organizer chose one."""
        based_in = data.get("based_in", "")
        self.town = town_location(based_in) if based_in else None
        if not based_in:
            self.add_error("based_in", _("Say which town or ZIP code the group is based in."))
        elif self.town is None:
            self.add_error(
                "based_in",
                _("We don't know that place. Try a 5-digit ZIP code or “Town, ST”."),
            )
        elif not data.get("timezone"):
            data["timezone"] = self.town.timezone

    @property
    def needs_new_place(self) -> bool:
        data = self.cleaned_data
        return data.get("attendance") != Meeting.Attendance.ONLINE and not data.get("location")


def town_location(text: str) -> Location | None:
    """The approximate place (a town or ZIP code's centre, no street) for ``text``:
    one already listed, or a new unsaved one; None when the gazetteer does not know it."""
    places = Place.objects.filter(country="US")
    text = text.strip()
    if text.isdigit() and len(text) == 5:
        place = places.filter(code=text).first()
    else:
        point = Place.objects.resolve(text)
        place = None
        if point is not None and point.timezone:
            city, state = point.label.rsplit(", ", 1)
            place = places.filter(state=state, city=city).order_by("code").first()
    if place is None or not place.timezone:
        return None
    town = {"city": place.city, "state": place.state, "postal_code": place.code}
    found = Location.objects.filter(approximate=True, address="", **town).first()
    return found or Location(
        approximate=True,
        latitude=place.latitude,
        longitude=place.longitude,
        timezone=place.timezone,
        country="US",
        **town,
    )


def listed_locations(zip_code: str):
    """Places that public meetings already use in ``zip_code`` (none without one)."""
    if not zip_code:
        return Location.objects.none()
    public = Meeting.objects.public().values("location_id")
    return Location.objects.filter(postal_code=zip_code, pk__in=public)


class NewPlaceForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = [
            "name",
            "address",
            "city",
            "state",
            "postal_code",
            "directions",
            "accessibility_notes",
        ]
        widgets = {
            "directions": forms.Textarea(attrs={"rows": 2}),
            "accessibility_notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ["address", "city", "state", "postal_code"]:
            self.fields[name].required = True


class GroupListing:
    """The "List a new group" page: three forms (group, meeting, new place) that are
    valid together, and the unsaved objects they describe."""

    def __init__(self, data=None, *, zip_code: str = ""):
        if data is not None:
            zip_code = data.get("meeting-location_zip", "")
        self.group = NewGroupForm(data, prefix="group")
        self.meeting = NewMeetingForm(data, prefix="meeting", zip_code=zip_code)
        self.place = NewPlaceForm(data, prefix="place")
        self._place_needed = True

    @property
    def forms(self):
        return [self.group, self.meeting, self.place]

    def is_valid(self) -> bool:
        valid = self.group.is_valid() & self.meeting.is_valid()
        # Decided from what was valid of the meeting, so an online meeting with a typo
        # elsewhere is not also told to fill in an address.
        if not self.meeting.needs_new_place:
            # The place fields were not needed: keep what was typed, without errors.
            values = {name: self.place[name].value() for name in self.place.fields}
            self.place = NewPlaceForm(prefix="place", initial=values)
            self._place_needed = False
            return valid
        valid &= self.place.is_valid()
        if valid and not self._timezone():
            self.meeting.add_error(
                "timezone",
                _("We don't know the time zone of that ZIP code; please choose it."),
            )
            valid = False
        return valid

    def _timezone(self) -> str:
        chosen = self.meeting.cleaned_data.get("timezone")
        if chosen:
            return chosen
        place = Place.objects.filter(country="US", code=self.place.cleaned_data["postal_code"])
        return place.values_list("timezone", flat=True).first() or ""

    def objects(self) -> tuple[Group, Meeting, Location | None]:
        """The unsaved group, meeting and location (an existing one, or a new one)."""
        group = self.group.save(commit=False)
        data = self.meeting.cleaned_data
        meeting = Meeting(**{name: data[name] for name in MEETING_FIELDS})
        location = None
        if meeting.attendance == Meeting.Attendance.ONLINE:
            meeting.timezone = data["timezone"]
            location = self.meeting.town
        elif data.get("location"):
            location = data["location"]
        else:
            location = self.place.save(commit=False)
            location.timezone = self._timezone()
        return group, meeting, location

    def public_text(self) -> list[tuple[str, str]]:
        """(label, text) of every public text field, for the anonymity guard."""
        texts = [
            (self.group.fields[name].label, self.group.cleaned_data.get(name, ""))
            for name in ("name", "description")
        ]
        texts += [
            (self.meeting.fields[name].label, self.meeting.cleaned_data.get(name, ""))
            for name in ("name", "notes")
        ]
        if self._place_needed:
            texts += [
                (self.place.fields[name].label, self.place.cleaned_data.get(name, ""))
                for name in ("name", "directions", "accessibility_notes")
            ]
        return texts
