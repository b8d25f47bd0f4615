"""Probing both admins signed in: every URL pattern of /manage/ (as an organizer) and
of /admin/ (as staff), with ids and query parameters no form would send, never gives a
server error; the holes an audit found stay shut (a non-numeric id in a history URL,
a NUL byte in a search or a filter, another group's object behind "view on site")."""

import os
import re
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLResolver, reverse
from hypothesis import given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from accounts.admin import organizer_site
from directory.models import Group
from meetings.models import ProblemReport
from tests.conftest import (
    FUZZ_SETTINGS,
    make_group,
    make_meeting,
    make_user,
    sendable,
    two_groups_world,
)

pytestmark = pytest.mark.django_db

PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _patterns(resolver, prefix=""):
    """Every URL pattern under ``resolver``, as text with its <parameters>."""
    for pattern in resolver:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, text)
        else:
            yield text.lstrip("^").rstrip("$").replace("\\Z", "")


MANAGE_PATTERNS = sorted(set(_patterns(organizer_site.get_urls())))
ADMIN_PATTERNS = sorted(set(_patterns(admin.site.get_urls())))

ODD_IDS = [
    "abc", "None", "0", "-1", "99999999999999999999", "1.5", "\x00", "%00", "1%00",
    "'", "<script>", "🙂", "..", "1/2", "_5F", " ", "",
]  # fmt: skip
PARAMS = [
    "q", "o", "p", "e", "all", "term", "app_label", "model_name", "field_name",
    "status__exact", "category__exact", "fellowship__id__exact", "created__gte",
    "date_hierarchy", "created__year", "created__month", "_changelist_filters", "_to_field",
    "_popup", "next", "id__in", "action",
]  # fmt: skip
ODD_VALUES = [
    "\x00", "%00", "abc", "-1", "0", "1", "2026", "13", "' OR 1=1 --", "<b>", "🙂",
    "meetings", "meeting", "location", "group", "directory", "accounts", "user",
    "open", "gone", "1,2,x", "x" * 300, "//evil.example", "-name", "0.-1",
]  # fmt: skip

FUZZ = fuzz_settings(FUZZ_SETTINGS, max_examples=int(os.environ.get("ADMIN_FUZZ_EXAMPLES", 150)))


@pytest.fixture
def world(db):
    cast = two_groups_world()
    ProblemReport.objects.create(meeting=cast["mine"], category="gone", message="Gone?")
    ProblemReport.objects.create(meeting=cast["other"], category="time", message="Late")
    cast["pending"] = make_group(name="Pending Harbor", status=Group.Status.PENDING)
    cast["pending_meeting"] = make_meeting(group=cast["pending"])
    cast["superuser"] = make_user(is_staff=True, is_superuser=True)
    # A history to page through, by the owner and by staff.
    cast["mine"].notes = "Coffee."
    cast["mine"].save()
    return cast


def _ids(world):
    real = [str(world[name].pk) for name in ("mine", "other", "ours", "theirs")]
    real += [str(ContentType.objects.get_for_model(type(world["mine"])).pk)]
    return st.one_of(st.sampled_from(real + ODD_IDS), st.text(max_size=12))


def _url(prefix: str, pattern: str, values: list[str]) -> str:
    names = PARAMETER.findall(pattern)
    filled = pattern
    for name, value in zip(names, values, strict=False):
        filled = re.sub(rf"<(?:\w+:)?{name}>", quote(sendable(value), safe=""), filled, count=1)
    return prefix + filled


def _probe(client, prefix, patterns, world, data):
    pattern = data.draw(st.sampled_from(patterns), label="pattern")
    values = data.draw(st.lists(_ids(world), min_size=3, max_size=3), label="ids")
    query = data.draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(PARAMS), st.text(max_size=8)),
                st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=20)),
            ),
            max_size=4,
        ),
        label="query",
    )
    url = _url(prefix, pattern, values)
    query_string = urlencode([(sendable(k), sendable(v)) for k, v in query])
    response = client.get(f"{url}?{query_string}" if query_string else url)
    assert response.status_code < 500, (url, query_string, response.status_code)


@FUZZ
@given(data=st.data())
def test_no_manage_url_gives_an_organizer_a_server_error(client, world, data):
    client.force_login(world["owner"])
    _probe(client, "/manage/", MANAGE_PATTERNS, world, data)


@FUZZ
@given(data=st.data())
def test_no_admin_url_gives_staff_a_server_error(client, world, data):
    client.force_login(world["superuser"])
    _probe(client, "/admin/", ADMIN_PATTERNS, world, data)


# What the audit found, one by one ----------------------------------------------------


@pytest.mark.parametrize(
    "role, url",
    [
        ("owner", "/manage/directory/group/{ours}/history/None/"),
        ("owner", "/manage/meetings/meeting/{mine}/history/abc/"),
        ("owner", "/manage/meetings/meeting/abc/history/"),
        ("superuser", "/admin/meetings/meeting/abc/history/"),
        ("superuser", "/admin/meetings/meeting/{mine}/history/None/"),
        ("superuser", "/admin/directory/group/1.5/history/"),
    ],
)
def test_a_history_url_with_an_id_that_cannot_be_one_is_a_404(client, world, role, url):
    client.force_login(world[role])
    url = url.format(ours=world["ours"].pk, mine=world["mine"].pk)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "role, url",
    [
        ("superuser", "/admin/autocomplete/?app_label=meetings&model_name=meeting"
         "&field_name=location&term=%00"),
        ("superuser", "/admin/meetings/problemreport/?status__exact=%00"),
        ("superuser", "/admin/meetings/meeting/?q=%00"),
        ("owner", "/manage/meetings/problemreport/?status__exact=%00"),
        ("owner", "/manage/meetings/meeting/?q=a%00b"),
        ("owner", "/manage/meetings/meeting/%00/change/"),
        # Found by the fuzz below: the change view looked up a field named "".
        ("superuser", "/admin/accounts/user/{owner}/change/?_to_field="),
        ("owner", "/manage/meetings/meeting/{mine}/change/?_to_field="),
        ("superuser", "/admin/directory/group/?_to_field=meetings"),
    ],
)  # fmt: skip
def test_input_the_admins_would_fail_on_is_refused_with_a_message(client, world, role, url):
    client.force_login(world[role])
    response = client.get(url.format(owner=world["owner"].pk, mine=world["mine"].pk))
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()


def test_view_on_site_in_manage_only_leads_to_the_persons_own_listings(client, world):
    client.force_login(world["owner"])
    meeting_type = ContentType.objects.get_for_model(type(world["mine"])).pk
    group_type = ContentType.objects.get_for_model(Group).pk
    mine = client.get(reverse("manage:view_on_site", args=[meeting_type, world["mine"].pk]))
    assert mine.status_code == 302 and world["mine"].slug in mine["Location"]
    for content_type, obj in [
        (meeting_type, world["other"]),
        (meeting_type, world["pending_meeting"]),
        (group_type, world["pending"]),
        (group_type, world["theirs"]),
        (ContentType.objects.get_for_model(type(world["owner"])).pk, world["stranger"]),
    ]:
        response = client.get(reverse("manage:view_on_site", args=[content_type, obj.pk]))
        assert response.status_code == 404, obj
        assert not response.has_header("Location"), obj
    assert client.get(reverse("manage:view_on_site", args=["x", "y"])).status_code == 404
