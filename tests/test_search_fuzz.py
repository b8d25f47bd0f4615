"""Whatever a query string holds, the search answers with a page, never a server error."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_meeting, make_place

pytestmark = pytest.mark.django_db

PARAMS = [
    "near", "radius", "fellowship", "approach", "audience", "focus", "day", "time",
    "attendance", "access", "type", "language", "q", "sort", "tz", "confirmed", "page", "view",
]  # fmt: skip
PLAUSIBLE = [
    "55404", "Minneapolis, MN", "44.96,-93.26", "today", "0", "6", "7", "-1", "10", "25",
    "100", "1e9", "evening", "night", "online", "in_person", "hybrid", "open", "closed", "W",
    "S", "secular", "family", "dual", "soonest", "distance", "recent", "map", "America/Chicago",
    "NaN", "inf", "' OR '1'='1", "<script>alert(1)</script>", "%00", "\x00", "../../etc/passwd",
    "91,181", "-0", "٣", "🙂", "Ω" * 300,
]  # fmt: skip

values = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=40),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.text(min_size=1000, max_size=10_000, alphabet="ab,0123456789 "),
)
query = st.lists(
    st.tuples(st.one_of(st.sampled_from(PARAMS), st.text(max_size=10)), values), max_size=8
)


def test_search_never_gives_a_server_error_for_any_query_string(client, spec_types):
    make_place()
    make_meeting(types=["W"])
    make_meeting(attendance="online", conference_url="https://zoom.us/j/1")

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(pairs=query)
    def check(pairs):
        # Strings with NUL or lone surrogates cannot be URL-encoded as UTF-8 by a browser
        # either; the test client sends what a real one could.
        pairs = [
            (k.encode("utf-8", "replace").decode(), v.encode("utf-8", "replace").decode())
            for k, v in pairs
        ]
        response = client.get("/meetings/?" + urlencode(pairs))
        assert response.status_code == 200, pairs

    check()
