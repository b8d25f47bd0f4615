"""One meeting, listed once: two sources that carry the same meeting show it once, with
both credited; staff split, join and choose, and their decisions outlast later runs."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from directory.models import Fellowship
from meetings.duplicates import (
    MatchRefused,
    also_listed_by,
    meeting_match_decide,
    meeting_match_join,
    meetings_match,
)
from meetings.formats import parse
from meetings.importing import meetings_import
from meetings.matching import Listing, compare, find_pairs, join_room, shown_listings
from meetings.models import Meeting, MeetingMatch, Source
from meetings.services import meeting_retire
from tests.conftest import (
    SHARED_DATA,
    make_location,
    make_meeting,
    make_user,
    needs_shared_data,
)
from tests.test_import_meetings import feed_row
from tests.test_sources import Feed, register, sync

pytestmark = pytest.mark.django_db

SAN_JOSE_FEED = SHARED_DATA / "aa-san-jose-2018.meeting-guide.json"
SAN_JOSE_SHEET = SHARED_DATA / "aa-san-jose-2020.tsml-import.csv"
ZOOM = "https://us02web.zoom.us/j/81234567890?pwd=abc"


@pytest.fixture
def reference(db):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    return Fellowship.objects.get(slug="aa")


def import_feed(rows, fellowship, source):
    content = json.dumps(rows).encode()
    records = parse(content, "meeting-guide")
    return meetings_import(records=records, fellowship=fellowship, source=source, geocode=False)


def public_slugs() -> set[str]:
    return set(Meeting.objects.public().values_list("slug", flat=True))


def feed_names(client) -> list[str]:
    response = client.get(reverse("meetings:meeting-feed"))
    return sorted(row["name"] for row in json.loads(b"".join(response.streaming_content)))


# The matcher alone ------------------------------------------------------------------


def listing(id, **kw) -> Listing:
    defaults = {
        "source": f"feed-{id}",
        "fellowship": 1,
        "day": 1,
        "start": 19 * 60,
        "name": "Serenity Group",
        "place": id,
        "address": "519 oak grove st | minneapolis | MN | 55403",
        "vector": (0.0, 0.0, 1.0),
    }
    defaults.update(kw)
    return Listing(id=id, **defaults)


def test_one_meeting_in_two_sources_is_a_match():
    pair = compare(listing(1), listing(2, name="The Serenity Group", start=19 * 60 + 5))
    assert pair.matched
    assert pair.reasons["same_address"] and pair.reasons["minutes_apart"] == 5


def test_two_fellowships_in_one_hall_at_one_hour_are_never_paired():
    assert compare(listing(1, fellowship=1), listing(2, fellowship=2)) is None
    assert find_pairs([listing(1, fellowship=1), listing(2, fellowship=2)]) == []


def test_one_source_is_never_paired_with_itself():
    assert compare(listing(1, source="a"), listing(2, source="a")) is None


def test_another_meeting_in_the_same_hall_is_not_paired():
    men = listing(1, name="Men's Stag")
    women = listing(2, name="Women's Big Book Study")
    assert compare(men, women) is None


def test_ten_minutes_apart_is_a_near_miss_not_a_match():
    pair = compare(listing(1), listing(2, start=19 * 60 + 10))
    assert pair is not None and not pair.matched


def test_a_place_down_the_road_is_a_near_miss_a_town_away_is_nothing():
    here = listing(1, place=1, address="")
    down_the_road = listing(2, place=2, address="", vector=_moved(0.3))
    a_town_away = listing(3, place=3, address="", vector=_moved(5))
    assert not compare(here, down_the_road).matched
    assert compare(here, a_town_away) is None
    assert compare(here, listing(4, place=4, address="", vector=_moved(0.05))).matched


def _moved(miles: float) -> tuple:
    import math

    from recoverymap.lib.geo import EARTH_RADIUS_MILES, unit_vector

    return unit_vector(90 - math.degrees(miles / EARTH_RADIUS_MILES), 0)


def test_online_meetings_match_by_their_room_whatever_the_link_spelling():
    assert join_room(ZOOM) == join_room("https://zoom.us/j/81234567890") == "zoom:81234567890"
    a = listing(1, place=None, address="", vector=None, in_person=False, online=True)
    a = Listing(**{**a.__dict__, "room": join_room(ZOOM), "name": "Zoom 7pm"})
    b = Listing(**{**a.__dict__, "id": 2, "source": "other", "name": "Seven O'Clock Zoom"})
    assert compare(a, b).matched
    c = Listing(**{**b.__dict__, "id": 3, "room": join_room("https://zoom.us/j/99999999999")})
    assert compare(a, c) is None


def test_a_scoped_run_only_compares_the_given_listings():
    listings = [listing(1), listing(2), listing(3, source="feed-x")]
    assert {(p.first, p.second) for p in find_pairs(listings, among={3})} == {(1, 3), (2, 3)}


def test_the_shown_listing_is_staffs_choice_else_one_entered_here_else_the_first():
    assert shown_listings([(1, 2), (2, 3)], listed={1, 2, 3}) == {2: 1, 3: 1}
    assert shown_listings([(1, 2)], listed={1, 2}, preferred={2}) == {1: 2}
    assert shown_listings([(1, 2)], listed={1, 2}, chosen=[2], preferred={1}) == {1: 2}
    # A listing no longer public takes no part: its copy is shown again.
    assert shown_listings([(1, 2)], listed={2}) == {}
    # A source's precedence comes after staff's choice and a listing entered here.
    assert shown_listings([(1, 2)], listed={1, 2}, precedence={2: 3}) == {1: 2}
    assert shown_listings([(1, 2)], listed={1, 2}, chosen=[1], precedence={2: 3}) == {2: 1}
    assert shown_listings([(1, 2)], listed={1, 2}, preferred={1}, precedence={2: 3}) == {2: 1}


# Two real overlapping sources ------------------------------------------------------


@needs_shared_data
def test_the_san_jose_feed_and_sheet_show_their_33_shared_meetings_once(client, reference):
    import_feed_file(SAN_JOSE_FEED, "meeting-guide", reference, "https://aasanjose.org/feed")
    import_feed_file(SAN_JOSE_SHEET, "csv", reference, "aa-san-jose-2020.tsml-import.csv")
    assert Meeting.objects.public().count() == 568 + 36

    summary = meetings_match()

    assert summary.matched == 33
    assert Meeting.objects.public(copies=True).count() == 568 + 36
    assert Meeting.objects.public().count() == 568 + 36 - 33
    assert len(feed_names(client)) == 568 + 36 - 33
    # The sheet's copy points to the feed's listing, whose page credits the sheet too.
    copy = Meeting.objects.get(source="aa-san-jose-2020.tsml-import.csv", name="The Shared Gift")
    shown = copy.duplicate_of
    assert shown.source == "https://aasanjose.org/feed" and shown.name == "The Shared Gift"
    response = client.get(copy.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == shown.get_absolute_url()
    page = client.get(shown.get_absolute_url()).content.decode()
    assert "Also listed by:" in page and "aa-san-jose-2020.tsml-import.csv" in page
    # A second run finds the same and changes nothing.
    again = meetings_match()
    assert (again.matched, again.new, again.changed, again.removed) == (33, 0, 0, 0)


def import_feed_file(path, fmt, fellowship, source):
    records = parse(path.read_bytes(), fmt)
    return meetings_import(records=records, fellowship=fellowship, source=source, geocode=False)


# Made-up sources, as a visitor sees them -------------------------------------------


def test_the_same_meeting_in_two_feeds_is_shown_once_with_both_credits(client, reference):
    import_feed([feed_row()], reference, "https://intergroup.example.org/feed.json")
    import_feed([feed_row(name="Morning Serenity Group")], reference, "https://district.example/mg")
    # The same slug in two feeds is two keys: two listings, neither lost.
    assert Meeting.objects.count() == 2
    assert len(set(Meeting.objects.values_list("slug", flat=True))) == 2

    meetings_match()

    assert feed_names(client) == ["Morning Serenity"]
    shown = Meeting.objects.public().get()
    assert shown.source == "https://intergroup.example.org/feed.json"
    page = client.get(shown.get_absolute_url()).content.decode()
    assert 'href="https://district.example/"' in page
    response = client.get(reverse("meetings:meeting-list"), {"near": "44.97,-93.28"})
    assert [row.meeting.pk for row in response.context["rows"]] == [shown.pk]
    assert "1 meeting within" in response.content.decode()
    group = client.get(shown.group.get_absolute_url())
    assert [m.pk for m in group.context["meetings"]] == [shown.pk]
    sitemap = client.get("/sitemap-meetings.xml").content.decode()
    assert shown.slug in sitemap and Meeting.objects.exclude(pk=shown.pk).get().slug not in sitemap


def test_aa_and_al_anon_in_one_hall_at_one_hour_stay_two_meetings(client, reference):
    al_anon = Fellowship.objects.get(slug="al-anon")
    import_feed([feed_row()], reference, "aa-feed")
    import_feed([feed_row()], al_anon, "al-anon-feed")

    meetings_match()

    assert MeetingMatch.objects.count() == 0
    assert len(feed_names(client)) == 2


def test_a_near_miss_is_listed_for_staff_and_both_are_shown(client, reference):
    import_feed([feed_row()], reference, "feed-a")
    import_feed([feed_row(time="07:10")], reference, "feed-b")

    meetings_match()

    match = MeetingMatch.objects.get()
    assert match.status == MeetingMatch.Status.NEAR
    assert len(feed_names(client)) == 2


def test_staff_split_join_and_choice_outlast_the_next_run_and_sync(reference):
    staff = make_user(is_staff=True)
    import_feed([feed_row(), feed_row(slug="noon", time="12:00")], reference, "feed-a")
    import_feed([feed_row(), feed_row(slug="noon", time="12:10")], reference, "feed-b")
    meetings_match()
    matched = MeetingMatch.objects.get(status=MeetingMatch.Status.MATCHED)
    near = MeetingMatch.objects.get(status=MeetingMatch.Status.NEAR)

    meeting_match_decide(match=matched, status=MeetingMatch.Status.SPLIT, by=staff)
    meeting_match_join(first=near.first, second=near.second, winner=near.second, by=staff)
    assert Meeting.objects.public().count() == 3
    # The next sync of either source, and the matching run after it, keep the decisions.
    import_feed(
        [feed_row(notes="Side door"), feed_row(slug="noon", time="12:00")], reference, "feed-a"
    )
    meetings_match(source="feed-a")
    meetings_match()

    matched.refresh_from_db()
    near.refresh_from_db()
    assert matched.status == MeetingMatch.Status.SPLIT and matched.decided_by == staff
    assert near.status == MeetingMatch.Status.JOINED and near.winner_id == near.second_id
    public = Meeting.objects.public()
    assert public.count() == 3
    assert (
        public.filter(pk=near.second_id).exists() and not public.filter(pk=near.first_id).exists()
    )
    assert matched.history.filter(history_user=staff).exists()


def test_meetings_of_two_fellowships_cannot_be_joined_even_by_staff(reference):
    staff = make_user(is_staff=True)
    aa = make_meeting(source="feed-a", source_key="1")
    other = make_meeting(source="feed-b", source_key="1", location=aa.location)
    with pytest.raises(MatchRefused):
        meeting_match_join(first=aa, second=other, by=staff)
    assert Meeting.objects.public().count() == 2


def test_when_the_shown_listing_is_retired_its_copy_is_shown_again(client, reference):
    import_feed([feed_row()], reference, "feed-a")
    import_feed([feed_row()], reference, "feed-b")
    meetings_match()
    shown = Meeting.objects.public().get()
    copy = Meeting.objects.exclude(pk=shown.pk).get()

    meeting_retire(meeting=shown, by=make_user(is_staff=True))

    assert list(Meeting.objects.public()) == [copy]
    assert client.get(copy.get_absolute_url()).status_code == 200


def test_a_meeting_entered_here_is_shown_before_an_imported_copy(reference):
    location = make_location()
    here = make_meeting(name="Morning Serenity", day=1, location=location)
    here_group = here.group
    here_group.fellowship = reference
    here_group.save()
    import_feed([feed_row(time="19:00")], reference, "feed-a")
    imported = Meeting.objects.get(source="feed-a")

    meetings_match()

    assert list(Meeting.objects.public()) == [here]
    imported.refresh_from_db()
    assert imported.duplicate_of == here


def test_the_sources_command_matches_every_listing_or_the_named_sources(reference, capsys):
    import_feed([feed_row()], reference, "feed-a")
    import_feed([feed_row()], reference, "feed-b")
    call_command("sources", "match")
    assert "1 matched pairs" in capsys.readouterr().out
    assert Meeting.objects.public().count() == 1
    with pytest.raises(CommandError):
        call_command("sources", "match", "Nobody")


# The admin ------------------------------------------------------------------------


@pytest.fixture
def pair(reference):
    import_feed([feed_row()], reference, "feed-a")
    import_feed([feed_row()], reference, "feed-b")
    meetings_match()
    return MeetingMatch.objects.get()


def test_staff_see_the_pairs_and_split_one_in_the_admin(client, pair):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing_page = client.get(reverse("admin:meetings_meetingmatch_changelist"))
    assert listing_page.status_code == 200
    assert "same address" in listing_page.content.decode()

    response = client.post(
        reverse("admin:meetings_meetingmatch_changelist"),
        {"action": "split", "_selected_action": [pair.pk]},
    )

    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == MeetingMatch.Status.SPLIT and pair.decided_by == staff
    assert Meeting.objects.public().count() == 2


def test_staff_choose_the_shown_listing_on_the_pairs_page(client, pair):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:meetings_meetingmatch_change", args=[pair.pk])
    response = client.post(url, {"decision": "joined", "winner": pair.second_id})
    assert response.status_code == 302
    assert list(Meeting.objects.public().values_list("pk", flat=True)) == [pair.second_id]


def test_joining_two_fellowships_in_the_admin_is_a_message_not_an_error(client, reference):
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    aa = make_meeting(source="feed-a", source_key="1")
    other = make_meeting(source="feed-b", source_key="1")
    response = client.post(
        reverse("admin:meetings_meetingmatch_add"),
        {"first": aa.pk, "second": other.pk, "decision": "joined"},
    )
    assert response.status_code == 200
    assert "never one meeting" in response.content.decode()
    assert MeetingMatch.objects.count() == 0


def test_organizers_and_visitors_cannot_reach_the_pairs(client, pair):
    url = reverse("admin:meetings_meetingmatch_changelist")
    assert client.get(url).status_code == 302
    client.force_login(make_user())
    assert client.get(url).status_code == 302
    response = client.post(url, {"action": "split", "_selected_action": [pair.pk]})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == MeetingMatch.Status.MATCHED


def test_an_import_shows_a_meeting_another_source_lists_once(reference, tmp_path, capsys):
    for name in ("intergroup.json", "district.json"):
        (tmp_path / name).write_text(json.dumps([feed_row()]))
        call_command(
            "import_meetings", str(tmp_path / name), format="meeting-guide", fellowship="aa"
        )
    assert "1 matched pairs" in capsys.readouterr().out
    assert Meeting.objects.count() == 2 and Meeting.objects.public().count() == 1
    # Credited by the file's name, never by the path it was read from.
    assert also_listed_by(Meeting.objects.public().get()) == [{"name": "district.json", "url": ""}]


def test_one_address_in_two_towns_is_two_places():
    here = listing(1, place=1)
    elsewhere = listing(2, place=2, vector=_moved(40))
    assert compare(here, elsewhere) is None


@needs_shared_data
def test_two_overlapping_sources_synced_over_http_show_shared_meetings_once(
    client, reference, httpserver
):
    feed = Feed(httpserver, "/feed.json").serve(SAN_JOSE_FEED.read_bytes())
    sheet = Feed(httpserver, "/sheet.csv").serve(
        SAN_JOSE_SHEET.read_bytes(), content_type="text/csv"
    )
    central = register(reference, feed.url, name="Central Office")
    district = register(
        reference,
        sheet.url,
        name="District Sheet",
        format="csv",
        attribution_name="District 40",
        attribution_url="https://district40.example",
    )

    sync(central, district)

    assert Meeting.objects.public(copies=True).count() == 568 + 36
    assert Meeting.objects.public().count() == 568 + 36 - 33
    assert MeetingMatch.objects.filter(status=MeetingMatch.Status.MATCHED).count() == 33
    assert len(feed_names(client)) == 568 + 36 - 33
    shown = Meeting.objects.public().get(feed=central, name="The Shared Gift")
    page = client.get(shown.get_absolute_url()).content.decode()
    assert 'href="https://district40.example"' in page and "District 40" in page
    copy = Meeting.objects.get(feed=district, name="The Shared Gift")
    assert client.get(copy.get_absolute_url())["Location"] == shown.get_absolute_url()
    # An unchanged sync of both (304s) leaves every pair as it was.
    sync(central, district, force=True)
    assert Meeting.objects.public().count() == 568 + 36 - 33


def test_the_source_of_higher_precedence_is_shown_and_staff_can_change_it(client, reference):
    intergroup = Source.objects.create(
        name="Intergroup",
        url="https://intergroup.example.org/feed.json",
        format=Source.Format.MEETING_GUIDE,
        fellowship=reference,
    )
    district = Source.objects.create(
        name="District",
        url="https://district.example/mg",
        format=Source.Format.MEETING_GUIDE,
        fellowship=reference,
        precedence=5,
    )
    for source, row in (
        (intergroup, feed_row()),
        (district, feed_row(name="Morning Serenity Group")),
    ):
        content = json.dumps([row]).encode()
        meetings_import(
            records=parse(content, "meeting-guide"),
            fellowship=reference,
            source=source.import_key,
            feed=source,
            geocode=False,
        )
    meetings_match()
    assert Meeting.objects.public().get().feed == district

    client.force_login(make_user(is_staff=True, is_superuser=True))
    change = reverse("admin:meetings_source_change", args=[district.pk])
    form = client.get(change).context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (dict, list))
    }
    data.update(
        {
            "type_map": "{}",
            "precedence": "0",
            "attempts-TOTAL_FORMS": "0",
            "attempts-INITIAL_FORMS": "0",
            "fellowship": reference.pk,
        }
    )
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Meeting.objects.public().get().feed == intergroup


def test_a_match_after_a_change_reads_only_that_days_listings_around_it(reference):
    import_feed(
        [feed_row(), feed_row("tuesday", day="2"), feed_row("far", latitude="34.05")],
        reference,
        "feed-a",
    )
    import_feed([feed_row("copy", name="Morning Serenity Group")], reference, "feed-b")

    summary = meetings_match(meetings=Meeting.objects.filter(source="feed-b"))

    # The copy and the Monday meeting in its hall; not Tuesday's, not one far away.
    assert summary.compared == 2
    assert summary.matched == 1
    assert len(public_slugs()) == 3
