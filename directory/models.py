"""The directory: fellowships, the groups that belong to them, the places they meet,
and the gazetteer of postal codes that turns "55404" into a point on the map."""

import re
import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Avg, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from recoverymap.lib.geo import Point, map_cell, unit_vector, validate_timezone


class Fellowship(models.Model):
    """A program of recovery (AA, SMART Recovery, Al-Anon, ...)."""

    class Philosophy(models.TextChoices):
        TWELVE_STEP = "twelve_step", _("Twelve-step")
        SECULAR = "secular", _("Secular")
        BUDDHIST = "buddhist", _("Buddhist-inspired")
        FAITH_BASED = "faith_based", _("Faith-based")

    class Audience(models.TextChoices):
        RECOVERY = "recovery", _("People in recovery")
        FAMILY = "family", _("Family and friends")

    class Focus(models.TextChoices):
        ALCOHOL = "alcohol", _("Alcohol")
        DRUGS = "drugs", _("Drugs")
        ANY = "any", _("Any substance or behaviour")
        DUAL = "dual", _("Dual recovery (addiction and mental health)")
        BEHAVIOUR = "behaviour", _("Behaviours")

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(
        _("slug"),
        max_length=40,
        unique=True,
        help_text=_("Short lowercase name used in web addresses and commands, e.g. aa."),
    )
    abbreviation = models.CharField(_("abbreviation"), max_length=20, blank=True)
    philosophy = models.CharField(_("philosophy"), max_length=20, choices=Philosophy.choices)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.RECOVERY
    )
    focus = models.CharField(_("focus"), max_length=10, choices=Focus.choices)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(
        _("what meetings are like"),
        help_text=_(
            "A short, neutral description for a newcomer: higher power or not, cross-talk, "
            "sponsors or trained facilitators."
        ),
    )
    open_meetings = models.TextField(
        _("who may attend an open meeting"),
        blank=True,
        help_text=_("Plain words shown on every open meeting of this fellowship."),
    )
    closed_meetings = models.TextField(
        _("who may attend a closed meeting"),
        blank=True,
        help_text=_("Plain words shown on every closed meeting of this fellowship."),
    )
    first_timer_tips = models.TextField(
        _("tips for a first meeting"),
        blank=True,
        help_text=_(
            "One tip a line, for someone going for the first time (you need not speak, "
            "arrive a little early...). Shown on every meeting of this fellowship."
        ),
    )

    class Meta:
        verbose_name = _("fellowship")
        verbose_name_plural = _("fellowships")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(philosophy__in=["twelve_step", "secular", "buddhist", "faith_based"]),
                name="fellowship_philosophy_valid",
            ),
            models.CheckConstraint(
                condition=Q(audience__in=["recovery", "family"]), name="fellowship_audience_valid"
            ),
        ]

    def __str__(self):
        return self.local_name  # in forms, menus and the admins, in the page's language

    def get_absolute_url(self):
        return reverse("directory:fellowship-detail", args=[self.slug])

    @property
    def plain_words(self) -> str:
        """What the fellowship is for, in a few plain words for a results card (so a
        parent tells Al-Anon from Nar-Anon without a click)."""
        if self.audience == self.Audience.FAMILY:
            words = _FAMILY_WORDS.get(self.focus, _FAMILY_WORDS[self.Focus.ANY])
        else:
            words = _RECOVERY_WORDS.get(self.focus, "")
        return str(words)

    def translated(self, field: str) -> str:
        """``field`` in the page's language: the fellowship's own words in it when we
        have them, else as written here (English)."""
        translation = fellowship_translations().get(self.pk)
        return getattr(translation, field, "") or getattr(self, field, "")

    # The fields pages show, in the page's language.
    local_name = property(lambda self: self.translated("name"))
    local_description = property(lambda self: self.translated("description"))
    local_open_meetings = property(lambda self: self.translated("open_meetings"))
    local_closed_meetings = property(lambda self: self.translated("closed_meetings"))
    local_first_timer_tips = property(lambda self: self.translated("first_timer_tips"))

    @property
    def first_timer_tip_list(self) -> list[str]:
        """The tips in the page's language, one a line."""
        tips = self.local_first_timer_tips
        return [line.strip() for line in tips.splitlines() if line.strip()]


_RECOVERY_WORDS = {
    Fellowship.Focus.ALCOHOL: _("For people with a drinking problem"),
    Fellowship.Focus.DRUGS: _("For people with a drug problem"),
    Fellowship.Focus.ANY: _("For any addiction: alcohol, drugs or behaviours"),
    Fellowship.Focus.DUAL: _("For addiction together with mental health"),
    Fellowship.Focus.BEHAVIOUR: _("For addictive behaviours"),
}
_FAMILY_WORDS = {
    Fellowship.Focus.ALCOHOL: _("For family and friends of someone who drinks"),
    Fellowship.Focus.DRUGS: _("For family and friends of someone who uses drugs"),
    Fellowship.Focus.ANY: _("For family and friends of someone who drinks or uses drugs"),
}


class FellowshipTranslation(models.Model):
    """A fellowship's texts in another language, as that fellowship writes them (its
    name included: "Alcohólicos Anónimos"). A blank field shows the English one."""

    fellowship = models.ForeignKey(
        Fellowship,
        on_delete=models.CASCADE,
        related_name="translations",
        verbose_name=_("fellowship"),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[(code, name) for code, name in settings.LANGUAGES if code != "en"],
    )
    name = models.CharField(
        _("name"),
        max_length=120,
        blank=True,
        help_text=_("The fellowship's own name in this language; blank if it has none."),
    )
    description = models.TextField(_("what meetings are like"), blank=True)
    open_meetings = models.TextField(_("who may attend an open meeting"), blank=True)
    closed_meetings = models.TextField(_("who may attend a closed meeting"), blank=True)
    first_timer_tips = models.TextField(_("tips for a first meeting"), blank=True)

    class Meta:
        verbose_name = _("fellowship translation")
        verbose_name_plural = _("fellowship translations")
        ordering = ["fellowship", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["fellowship", "language"], name="fellowshiptranslation_unique"
            ),
        ]

    def __str__(self):
        return f"{self.fellowship} ({self.language})"


# Fellowship texts change a few times a year; each process keeps them for a minute at
# most, so a results page of 20 meetings costs no query for them.
_TRANSLATIONS_SECONDS = 60
_translations: dict[str, tuple[float, dict]] = {}


def fellowship_translations() -> dict[int, FellowshipTranslation]:
    """The active language's fellowship translations, by fellowship id."""
    language = get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return {}
    kept = _translations.get(language)
    now = time.monotonic()
    if kept is None or now - kept[0] > _TRANSLATIONS_SECONDS:
        rows = FellowshipTranslation.objects.filter(language=language)
        kept = (now, {row.fellowship_id: row for row in rows})
        _translations[language] = kept
    return kept[1]


def forget_fellowship_translations(**kwargs) -> None:
    """Drop this process's copy (after an edit), so the editor sees it at once."""
    _translations.clear()


class GroupQuerySet(models.QuerySet):
    def public(self):
        """Groups a visitor may see: approved and not retired."""
        return self.filter(status=Group.Status.ACTIVE)

    def for_organizer(self, user):
        """The groups a person may edit: all for staff, their own for an organizer."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(organizers=user)


class Group(models.Model):
    """A group that holds one or more meetings, e.g. "Sunrise Serenity Group" of AA."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PENDING = "pending", _("Pending review")
        INACTIVE = "inactive", _("Inactive")

    fellowship = models.ForeignKey(
        Fellowship, on_delete=models.PROTECT, related_name="groups", verbose_name=_("fellowship")
    )
    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("public website"), blank=True)
    email = models.EmailField(
        _("public email"),
        blank=True,
        help_text=_("A group or service address, shown publicly. Never a personal address."),
    )
    phone = models.CharField(
        _("public phone"),
        max_length=40,
        blank=True,
        help_text=_("A group or service line, shown publicly. Never a personal number."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="organized_groups",
        verbose_name=_("organizers"),
        help_text=_("People who keep this group's listings current."),
    )
    reminded_at = models.DateTimeField(
        _("last reminder"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When organizers were last asked to confirm the listing."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["reminded_at"])

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "pending", "inactive"]), name="group_status_valid"
            ),
        ]
        # An import finds a row's group by its fellowship and name.
        indexes = [models.Index(fields=["fellowship", "name"], name="group_fellowship_name")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("directory:group-detail", args=[self.slug])


class LocationQuerySet(models.QuerySet):
    def for_organizer(self, user):
        """The locations a person may edit: all for staff; for an organizer, those their
        groups' meetings use and those they added themselves (so a place added while
        writing up a new meeting can be picked before any meeting uses it)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        used = Group.objects.filter(organizers=user).values("meetings__location")
        added = self.model.history.filter(history_type="+", history_user=user).values("id")
        return self.filter(Q(pk__in=used) | Q(pk__in=added))


class Location(models.Model):
    """A place where meetings happen; many meetings of many groups can share it."""

    name = models.CharField(_("venue name"), max_length=255, blank=True)
    address = models.CharField(_("street address"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="US", help_text=_("Two-letter code, e.g. US.")
    )
    region = models.CharField(
        _("region"), max_length=100, blank=True, help_text=_("Neighbourhood or district.")
    )
    sub_region = models.CharField(_("sub-region"), max_length=100, blank=True)
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    approximate = models.BooleanField(
        _("approximate"),
        default=False,
        help_text=_("Tick when the address is only a town or area, not a door people can find."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        validators=[validate_timezone],
        help_text=_("IANA name, e.g. America/Chicago."),
    )
    directions = models.TextField(
        _("directions"), blank=True, help_text=_("Which door, parking, bus lines.")
    )
    accessibility_notes = models.TextField(
        _("accessibility notes"),
        blank=True,
        help_text=_("Steps, ramps, lifts, accessible bathrooms, hearing loops."),
    )
    needs_geocoding = models.BooleanField(
        _("needs geocoding"),
        default=False,
        help_text=_("Set when the address could not be placed on the map yet; retried later."),
    )
    # The point as a unit vector, kept in step with latitude/longitude by save() and by
    # unit_vector() in bulk writes: the radius search orders by great-circle distance
    # with plain arithmetic (a dot product), the same SQL on SQLite and PostgreSQL.
    geo_x = models.FloatField(null=True, editable=False)
    geo_y = models.FloatField(null=True, editable=False)
    geo_z = models.FloatField(null=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["geo_x", "geo_y", "geo_z"])

    objects = LocationQuerySet.as_manager()

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name", "address", "id"]
        indexes = [
            # The radius search starts with a bounding box on latitude then longitude.
            models.Index(fields=["latitude", "longitude"], name="location_lat_lng_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="location_lat_lng_together",
            ),
        ]

    def __str__(self):
        parts = [self.name, self.address, self.city]
        return ", ".join(p for p in parts if p) or f"Location {self.pk}"

    def save(self, *args, **kwargs):
        self.geo_x, self.geo_y, self.geo_z = unit_vector(self.latitude, self.longitude)
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "geo_x", "geo_y", "geo_z"}
        super().save(*args, **kwargs)
        if fields is None or {"latitude", "longitude"} & set(fields):
            # Its meetings keep its map cell (Meeting.cell, the index of search by time
            # within a place): one UPDATE, by the location's own index.
            cell = map_cell(self.latitude, self.longitude)
            self.meetings.exclude(cell=cell).update(cell=cell)

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def has_address(self) -> bool:
        """Whether there is more to show than a country ("Where: USA" helps no one)."""
        return bool(self.name or self.address or self.city or self.postal_code)

    @property
    def formatted_address(self) -> str:
        return format_address(self.address, self.city, self.state, self.postal_code, self.country)


def format_address(address: str, city: str, state: str, postal_code: str, country: str) -> str:
    """One line, as the Meeting Guide spec writes it: street, city, ST zip, country."""
    state_zip = " ".join(p for p in [state, postal_code] if p)
    country = "USA" if country == "US" else country
    return ", ".join(p for p in [address, city, state_zip, country] if p)


def normalize_city(text: str) -> str:
    """A city name folded for matching: case, dots, "Saint"/"St" and spacing ignored."""
    text = re.sub(r"[.'’]", "", text.lower())
    text = re.sub(r"\bsaint\b", "st", text)
    text = re.sub(r"\bfort\b", "ft", text)
    text = re.sub(r"\bmount\b", "mt", text)
    return re.sub(r"\s+", " ", text).strip()


_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_CITY_STATE = re.compile(r"^\s*(?P<city>[^,]{1,80}?)\s*,\s*(?P<state>[A-Za-z]{2})\s*$")


class PlaceQuerySet(models.QuerySet):
    def resolve(self, text: str) -> Point | None:
        """The point for a ZIP code (``55404``) or a town (``Minneapolis, MN``), or None.

        Both lookups are single indexed queries; a town is the centre of its ZIP codes.
        """
        text = (text or "").strip()
        if match := _ZIP.match(text):
            place = self.filter(country="US", code=match.group(1)).first()
            if place is None:
                return None
            return Point(
                place.latitude,
                place.longitude,
                f"{place.code} ({place.city}, {place.state})",
                place.timezone,
            )
        if match := _CITY_STATE.match(text):
            state = match.group("state").upper()
            key = normalize_city(match.group("city"))
            places = self.filter(country="US", state=state, city_key=key)
            centre = places.aggregate(lat=Avg("latitude"), lng=Avg("longitude"))
            if centre["lat"] is None:
                return None
            first = places.order_by("code").first()
            return Point(centre["lat"], centre["lng"], f"{first.city}, {state}", first.timezone)
        return None


class Place(models.Model):
    """A postal code's centroid, from the offline gazetteer (``manage.py load_places``)."""

    country = models.CharField(_("country"), max_length=2, default="US")
    code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    city_key = models.CharField(
        _("city key"),
        max_length=100,
        editable=False,
        help_text=_("The city folded for matching."),
    )
    state = models.CharField(_("state"), max_length=10)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["country", "code"]
        constraints = [
            # Also the index for lookup by ZIP code.
            models.UniqueConstraint(fields=["country", "code"], name="place_country_code_unique"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="place_lat_lng_range",
            ),
        ]
        indexes = [
            # Place.objects.resolve("Minneapolis, MN"): country, state, folded city.
            models.Index(fields=["country", "state", "city_key"], name="place_city_idx"),
            # "Use my location" (meetings.gazetteer.town_near): the box around a point.
            models.Index(fields=["latitude", "longitude"], name="place_lat_lng_idx"),
        ]

    def __str__(self):
        return f"{self.code} {self.city}, {self.state}"


class OrganizerRequest(models.Model):
    """A person asking to manage a group; staff approve or decline it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="organizer_requests",
        verbose_name=_("person"),
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="organizer_requests", verbose_name=_("group")
    )
    message = models.TextField(
        _("message"), blank=True, help_text=_("How the person serves this group.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("organizer request")
        verbose_name_plural = _("organizer requests")
        ordering = ["-created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group"],
                condition=Q(status="pending"),
                name="organizerrequest_one_pending_per_group",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "declined"]),
                name="organizerrequest_status_valid",
            ),
        ]
        indexes = [
            # The steward's queue: pending requests, oldest first.
            models.Index(fields=["status", "created"], name="orgrequest_status_idx"),
        ]

    def __str__(self):
        return f"{self.user} → {self.group}"
