"""No string left behind: every message of the Spanish catalogue is translated (none
fuzzy, none empty, the same placeholders), and pages rendered in Spanish carry none of
the English they were built from. ``make test`` checks the rest before it runs pytest:
that ``makemessages`` leaves the catalogue as it is, and that the committed ``.mo`` is
the ``.po`` compiled."""

import datetime as dt
import html
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

from tests.conftest import make_group, make_location, make_meeting, make_place, make_user

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{ ?\w+ ?\}\}|\{\w+\}")
# The same in both languages: names, codes and words Spanish borrows as they are.
SAME_IN_BOTH = {
    "Alaska", "Arizona", "Alcohol", "slug", "Secular", "%(filter)s: %(value)s",
    "%(miles)s mi", "RecoveryMap",
}  # fmt: skip


def entries():
    return [entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete]


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [e.msgid for e in entries() if not e.translated()]
    fuzzy = [e.msgid for e in entries() if "fuzzy" in e.flags]
    assert untranslated == [], "untranslated:\n" + "\n".join(untranslated)
    assert fuzzy == [], "fuzzy:\n" + "\n".join(fuzzy)


def test_translations_keep_every_placeholder():
    wrong = []
    for entry in entries():
        pairs = (
            [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for english, spanish in pairs:
            if sorted(PLACEHOLDER.findall(english)) != sorted(PLACEHOLDER.findall(spanish)):
                wrong.append(f"{english!r} -> {spanish!r}")
    assert wrong == [], "\n".join(wrong)


def english_phrases() -> list[str]:
    """Each catalogue message's longest run of words without a placeholder, where it
    reads differently in Spanish: what a Spanish page must never show."""
    phrases = set()
    for entry in entries():
        if entry.msgid in SAME_IN_BOTH or entry.msgstr == entry.msgid:
            continue
        for text in (entry.msgid, entry.msgid_plural):
            runs = [r.strip(" .,:;()“”") for r in PLACEHOLDER.split(text or "")]
            longest = max(runs, key=len, default="")
            # Two words at least: a single word ("Open", "Map") may be a proper name.
            if " " in longest and len(longest) >= 8:
                phrases.add(longest)
    return sorted(phrases)


def visible_text(page: str) -> str:
    """What a person reads: the title, the body's text and the attributes read out to
    them (not the head's links, such as the feed's spec token "Meetings Feed")."""
    title = re.search(r"(?s)<title>(.*?)</title>", page)
    body = re.search(r"(?s)<body\b.*", page)
    page = (title.group(1) if title else "") + " " + (body.group(0) if body else page)
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    page = re.sub(r'(?s)<[^>]*translate="no"[^>]*>.*?</', " ", page)  # names, addresses
    said = " ".join(re.findall(r'(?:aria-label|placeholder|title|alt)="([^"]*)"', page))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + said).split())


@pytest.fixture
def spanish_world(db, spec_types):
    call_command("loaddata", "fellowships", "fellowship_translations", verbosity=0)
    make_place()
    group = make_group(name="Grupo Esperanza", slug="grupo-esperanza", fellowship_id=1)
    in_person = make_meeting(
        group=group,
        location=make_location(name="Salón Comunitario"),
        day=1,
        start_time=dt.time(19, 0),
        types=["W", "D"],
    )
    online = make_meeting(
        group=group, attendance="online", conference_url="https://zoom.us/j/1", day=2
    )
    # Addresses read before any Spanish request, which leaves Spanish active.
    meetings = [in_person.get_absolute_url(), online.get_absolute_url()]
    return {"group": group, "meeting_urls": meetings}


SPANISH_PAGES = [
    "/es/",
    "/es/meetings/",
    "/es/meetings/?near=55404",
    "/es/meetings/?near=55404&view=map",
    "/es/meetings/?near=55404&fellowship=aa&day=1&type=W&attendance=in_person",
    "/es/meetings/?near=zzzz-nowhere",
    "/es/fellowships/",
    "/es/fellowships/aa/",
    "/es/groups/grupo-esperanza/",
    "/es/no-such-page/",
    "/es/accounts/login/",
    "/es/accounts/signup/",
    "/es/accounts/password/reset/",
    "/es/api/",
    "/es/api/docs/",
    "/es/sources/",
]


def english_left(client, url: str, status: int = 200) -> list[str]:
    response = client.get(url)
    assert response.status_code == status, url
    page = response.content.decode()
    assert '<html lang="es"' in page, url
    text = visible_text(page)
    return [phrase for phrase in english_phrases() if phrase in text]


def test_the_check_finds_english_where_there_is_some(client, spanish_world):
    text = visible_text(client.get("/").content.decode())
    assert "Find a recovery meeting near you" in english_phrases()
    assert "Find a recovery meeting near you" in text


@pytest.mark.parametrize("url", SPANISH_PAGES)
def test_a_spanish_page_shows_no_english(client, spanish_world, url):
    status = 404 if "no-such-page" in url else 200
    assert english_left(client, url, status) == [], url


def test_a_meeting_and_its_report_form_show_no_english(client, spanish_world):
    for url in spanish_world["meeting_urls"]:
        assert english_left(client, "/es" + url) == []
        assert english_left(client, f"/es{url}report/") == []


def test_an_organizers_pages_show_no_english(client, spanish_world):
    organizer = make_user(language="es")
    spanish_world["group"].organizers.add(organizer)
    client.force_login(organizer)
    for url in ("/es/accounts/listings/", "/es/manage/", "/es/accounts/groups/new/"):
        assert english_left(client, url) == [], url
