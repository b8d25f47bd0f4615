"""The directory's pages: a group and its meetings, the fellowships explained side by
side, one fellowship with a way into its meetings, and the home page's shortcuts."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from directory.models import Fellowship, Group
from tests.conftest import make_fellowship, make_group, make_meeting

pytestmark = pytest.mark.django_db


def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_a_group_page_lists_its_public_meetings_by_day_and_time(client):
    group = make_group(
        name="Sunrise Serenity Group",
        description="An early morning group.",
        website="https://sunrise.example.org",
        email="sunrise@example.org",
    )
    thursday = make_meeting(group=group, day=4, start_time=dt.time(7, 0))
    monday_late = make_meeting(group=group, day=1, start_time=dt.time(19, 0))
    monday_early = make_meeting(group=group, day=1, start_time=dt.time(6, 30))
    retired = make_meeting(group=group, day=2, status="inactive")
    other_group = make_meeting(day=1)

    page = _get(client, group.get_absolute_url())
    assert "Sunrise Serenity Group" in page
    assert "An early morning group." in page
    assert group.fellowship.get_absolute_url() in page
    assert 'href="https://sunrise.example.org"' in page
    assert 'href="mailto:sunrise@example.org"' in page
    positions = [page.index(m.get_absolute_url()) for m in (monday_early, monday_late, thursday)]
    assert positions == sorted(positions)
    assert page.index("<h3>Monday</h3>") < positions[0] < page.index("<h3>Thursday</h3>")
    assert retired.get_absolute_url() not in page
    assert other_group.get_absolute_url() not in page
    assert "In person" in page and "Minneapolis" in page


def test_a_group_without_contact_details_shows_no_contact_section(client):
    group = make_group()
    page = _get(client, group.get_absolute_url())
    assert "Contact the group" not in page
    assert "no meetings listed" in page


@pytest.mark.parametrize("status", [Group.Status.PENDING, Group.Status.INACTIVE])
def test_unapproved_and_retired_groups_have_no_page(client, status):
    group = make_group(status=status)
    assert client.get(group.get_absolute_url()).status_code == 404


def test_fellowships_are_grouped_by_philosophy_with_family_groups_on_their_own(client):
    aa = make_fellowship(name="Alcoholics Anonymous", abbreviation="AA")
    smart = make_fellowship(name="SMART Recovery", philosophy=Fellowship.Philosophy.SECULAR)
    dharma = make_fellowship(name="Recovery Dharma", philosophy=Fellowship.Philosophy.BUDDHIST)
    alanon = make_fellowship(name="Al-Anon", audience=Fellowship.Audience.FAMILY)
    smart_family = make_fellowship(
        name="SMART Family & Friends",
        philosophy=Fellowship.Philosophy.SECULAR,
        audience=Fellowship.Audience.FAMILY,
    )

    page = _get(client, reverse("directory:fellowship-list"))
    assert "Buddhist-inspired" in page and "dual recovery" in page.lower()  # the intro
    twelve_step = _section(page, "twelve-step")
    assert aa.get_absolute_url() in twelve_step and "(AA)" in twelve_step
    assert alanon.get_absolute_url() not in twelve_step
    assert smart.get_absolute_url() in _section(page, "secular")
    assert dharma.get_absolute_url() in _section(page, "buddhist")
    family = _section(page, "family")
    assert "For family and friends" in family
    assert alanon.get_absolute_url() in family
    assert smart_family.get_absolute_url() in family
    assert 'id="faith-based"' not in page  # no empty sections


def test_a_fellowship_page_explains_its_meetings_and_searches_them_near_a_place(client):
    fellowship = make_fellowship(
        name="LifeRing Secular Recovery",
        slug="lifering",
        philosophy=Fellowship.Philosophy.SECULAR,
        website="https://lifering.org",
        description="Conversational meetings about the week past and the week ahead.",
        open_meetings="All LifeRing meetings are open.",
    )
    group = make_group(fellowship=fellowship)
    make_meeting(group=group)
    make_meeting(group=group, attendance="online", conference_url="https://meet.example/1")
    make_meeting(group=group, status="inactive")

    page = _get(client, fellowship.get_absolute_url())
    assert "Conversational meetings about the week past" in page
    assert "All LifeRing meetings are open." in page
    assert "A closed meeting is only for people who have" in page  # generic wording
    assert 'href="https://lifering.org"' in page
    assert "2 LifeRing Secular Recovery meetings are listed." in page
    form = re.search(r'<form[^>]*action="/meetings/"[^>]*>(.*?)</form>', page, re.S)
    assert form and 'method="get"' in form.group(0)
    assert '<input type="hidden" name="fellowship" value="lifering">' in form.group(1)
    assert 'name="near"' in form.group(1)
    assert 'href="/meetings/?fellowship=lifering&amp;attendance=online"' in page
    assert "Online meetings of LifeRing Secular Recovery" in page


def test_an_unknown_fellowship_is_not_found(client):
    response = client.get(reverse("directory:fellowship-detail", args=["nope"]))
    assert response.status_code == 404


def test_the_home_page_has_quick_links_and_a_guide_to_choosing(client):
    page = _get(client, reverse("directory:home"))
    for href in (
        "/meetings/?day=today",
        "/meetings/?attendance=online&amp;time=now&amp;time=next_hour",
        "/meetings/?audience=family",
        "/meetings/?approach=secular",
        "/meetings/?focus=dual",
    ):
        assert f'href="{href}"' in page
    assert "Which meeting fits me?" in page
    for term in ("Open or closed", "Dual recovery", "Family groups", "Online"):
        assert term in page
    assert f'href="{reverse("directory:fellowship-list")}"' in page


def test_use_my_location_is_hidden_until_javascript_reveals_it(client):
    page = _get(client, reverse("directory:home"))
    assert re.search(r"<button[^>]*\bhidden\b[^>]*data-locate", page)
    assert "js/site.js" in page
