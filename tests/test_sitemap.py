"""/sitemap.xml and /robots.txt: every public page for search engines, nothing else."""

import pytest
from django.urls import reverse
from django.utils import timezone

from directory.models import Group
from meetings.models import Meeting
from tests.conftest import make_group, make_meeting

pytestmark = pytest.mark.django_db


def _text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_sitemap_lists_public_meetings_and_groups_only(client):
    listed = make_meeting(name="Lakeside")
    retired = make_meeting(name="Old Hall", status=Meeting.Status.INACTIVE)
    hidden = make_meeting(
        name="Waiting", group=make_group(name="Waiting Group", status=Group.Status.PENDING)
    )
    index = _text(client, "/sitemap.xml")
    assert "/sitemap-meetings.xml" in index and "/sitemap-groups.xml" in index
    assert f"<lastmod>{timezone.localtime(listed.updated).date().isoformat()}" in index
    meetings = _text(client, "/sitemap-meetings.xml")
    assert f"http://testserver{listed.get_absolute_url()}" in meetings
    assert retired.get_absolute_url() not in meetings
    assert hidden.get_absolute_url() not in meetings
    groups = _text(client, "/sitemap-groups.xml")
    assert listed.group.get_absolute_url() in groups
    assert hidden.group.get_absolute_url() not in groups
    pages = _text(client, "/sitemap-pages.xml")
    assert reverse("meetings:meeting-list") in pages
    fellowships = _text(client, "/sitemap-fellowships.xml")
    assert listed.group.fellowship.get_absolute_url() in fellowships


def test_an_unknown_sitemap_section_is_a_404(client):
    assert client.get("/sitemap-nothing.xml").status_code == 404
    assert client.get("/sitemap-meetings.xml?p=abc").status_code == 404


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_accounts(client):
    text = _text(client, "/robots.txt")
    assert "Sitemap: http://testserver/sitemap.xml" in text
    assert "Disallow: /admin/" in text and "Disallow: /accounts/" in text
