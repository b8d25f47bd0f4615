"""Small hardening: signed-in pages are private to caches, a bad Host header is one
warning line."""

import logging

import pytest
from django.urls import reverse

from tests.conftest import make_group, make_meeting, make_organizer

pytestmark = pytest.mark.django_db


def test_signed_in_pages_are_private_to_caches(client):
    group = make_group()
    meeting = make_meeting(group=group)
    client.force_login(make_organizer(group, display_name="Sam"))
    for url in [
        reverse("accounts:my-listings"),
        reverse("directory:home"),
        reverse("meetings:meeting-list") + "?near=55404",
        meeting.get_absolute_url(),
        group.get_absolute_url(),
        reverse("accounts:group-new"),
        reverse("manage:index"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "private" in response["Cache-Control"], url
        assert "public" not in response["Cache-Control"], url


def test_pages_for_visitors_are_not_marked_private(client):
    response = client.get(reverse("directory:home"))
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")


def test_a_bad_host_header_is_one_warning_without_a_traceback(client, caplog):
    response = client.get(reverse("directory:home"), HTTP_HOST="attacker.example")
    assert response.status_code == 400
    (record,) = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert record.levelno == logging.WARNING
    assert "attacker.example" in record.getMessage()
    assert record.exc_info is None and record.exc_text is None
