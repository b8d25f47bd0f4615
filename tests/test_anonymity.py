"""The anonymity guard warns about full names, personal email addresses and phone
numbers in public text, and leaves first names, initials and places alone."""

import pytest

from recoverymap.lib.anonymity import anonymity_warnings


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Ask for Bill W. at the door.",
        "St. Mark's Church, enter by the side door.",
        "St. John Neumann Church hall",
        "Park on Mary Street; the Paul Lutheran lot is free.",
        "Meeting ID 812 3456 7890, passcode 2468.",
        "Questions? office@stmarks.org",
        "Hope and Grace group: Will Meet on Tuesdays.",
        "In Saint Paul Minnesota",
    ],
)
def test_first_names_initials_places_and_role_addresses_pass(text):
    assert anonymity_warnings(text) == []


@pytest.mark.parametrize(
    ("text", "found", "reason"),
    [
        ("Call John Smith for the key", "John Smith", "full name"),
        ("Contact Sarah O'Brien", "Sarah O'Brien", "full name"),
        ("Bob Smith's house", "Bob Smith", "full name"),
        ("Write to jane.doe@gmail.com", "jane.doe@gmail.com", "personal email"),
        ("Write to mary@stmarks.org", "mary@stmarks.org", "personal email"),
        ("Text 612-555-0134", "612-555-0134", "phone number"),
        ("Call (612) 555-0134", "(612) 555-0134", "phone number"),
        ("Call +1 612 555 0134", "+1 612 555 0134", "phone number"),
        ("Ring +44 20 7946 0958", "+44 20 7946 0958", "phone number"),
    ],
)
def test_it_names_what_looks_personal_and_why(text, found, reason):
    warnings = anonymity_warnings(text)
    assert len(warnings) == 1
    assert f"“{found}”" in warnings[0]
    assert reason in warnings[0]


def test_a_full_name_warning_suggests_a_last_initial():
    (warning,) = anonymity_warnings("Ask John Smith")
    assert "“John S.”" in warning


def test_several_findings_are_all_reported_once_each():
    warnings = anonymity_warnings("John Smith, 612-555-0134, john.smith@yahoo.com. John Smith.")
    assert len(warnings) == 3
