"""Fuzzing the public endpoints that take input: whatever a query string or a form holds,
the JSON feed answers with a feed or a JSON error, the search calendar with a calendar or
a 400, and "Report a problem" with a page, never a server error. (The search page has
its own fuzz in test_search_fuzz.py.)"""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from meetings.models import Meeting
from tests.conftest import FUZZ_SETTINGS, make_meeting, make_place, sendable

pytestmark = pytest.mark.django_db

PARAMS = [
    "near", "radius", "fellowship", "approach", "audience", "focus", "day", "time",
    "attendance", "access", "type", "language", "q", "sort", "tz", "confirmed", "page", "view",
]  # fmt: skip
PLAUSIBLE = [
    "55404", "Minneapolis, MN", "today", "0", "6", "7", "-1", "10", "25", "1e9", "NaN", "inf",
    "evening", "online", "hybrid", "open", "closed", "W", "secular", "family", "soonest",
    "distance", "America/Chicago", "' OR 1=1 --", "1; DROP TABLE meetings_meeting", "%' --",
    "<script>alert(1)</script>", "%00", "\x00", "٣", "🙂", "Ω" * 300,
]  # fmt: skip

FUZZ = fuzz_settings(FUZZ_SETTINGS, max_examples=250)


values = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=40),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAMS), st.text(max_size=10)), values), max_size=6
)
# Query strings no form would build: stray %, &, =, ; and brackets.
raw_queries = st.text(alphabet="abcnearyt=&%;[]+0123456789ZzG-_.~!*'()", max_size=60)


@pytest.fixture
def listed(spec_types):
    make_place()
    make_meeting(types=["W"])
    make_meeting(attendance="online", conference_url="https://zoom.us/j/1")


def test_the_json_feed_never_gives_a_server_error(client, listed):
    @FUZZ
    @given(
        query=st.one_of(
            pairs.map(lambda p: urlencode([tuple(map(sendable, kv)) for kv in p])), raw_queries
        )
    )
    def check(query):
        response = client.get("/api/meetings.json?" + query)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code in (200, 400), (query, response.status_code)
        data = json.loads(body)
        if response.status_code == 200:
            assert isinstance(data, list)
        else:
            assert "error" in data

    check()
    assert Meeting.objects.count() == 2


def test_the_search_calendar_never_gives_a_server_error(client, listed):
    @fuzz_settings(FUZZ, max_examples=100)
    @given(
        query=st.one_of(
            pairs.map(lambda p: urlencode([tuple(map(sendable, kv)) for kv in p])), raw_queries
        )
    )
    def check(query):
        response = client.get("/meetings.ics?" + query)
        assert response.status_code in (200, 400), (query, response.status_code)

    check()


form_fields = st.dictionaries(
    st.one_of(st.sampled_from(["category", "message", "email", "website"]), st.text(max_size=8)),
    st.one_of(
        st.sampled_from(["gone", "time", "address", "join", "other", "", "a@b.c", "x" * 3000]),
        st.sampled_from(PLAUSIBLE),
        st.text(max_size=200),
    ),
    max_size=5,
)


def test_the_report_form_never_gives_a_server_error(client, listed, settings):
    # Not rate-limited here, so every example reaches the form and the save.
    settings.REPORT_RATE_LIMIT = 10**6
    meeting = Meeting.objects.first()
    url = f"/meetings/{meeting.slug}/report/"

    @FUZZ
    @given(data=form_fields, category=st.sampled_from(["", "gone", "other"]))
    def check(data, category):
        data = {sendable(k): sendable(v) for k, v in data.items()}
        response = client.post(url + f"?category={category}", data)
        assert response.status_code in (200, 302), (data, response.status_code)

    check()
