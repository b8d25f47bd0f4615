"""The reference data every install loads: fellowships and the Meeting Guide types."""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from directory.models import Fellowship
from meetings.management.commands.build_type_fixture import (
    CATEGORIES,
    CATEGORY_CODES,
    TypesFileError,
    types_fixture,
)
from meetings.models import MeetingType
from tests.conftest import make_fellowship

FIXTURES = settings.BASE_DIR / "fixtures"

REQUIRED_SLUGS = {
    "aa", "na", "ca", "cma", "ma", "smart", "lifering", "wfs", "sos", "recovery-dharma",
    "celebrate-recovery", "dra", "dtr", "al-anon", "alateen", "nar-anon", "smart-family",
}  # fmt: skip


def load_reference_data():
    call_command(
        "loaddata", FIXTURES / "fellowships.json", FIXTURES / "meeting_types.json", verbosity=0
    )


@pytest.mark.django_db
def test_loading_the_fixtures_gives_every_fellowship_and_all_87_types():
    load_reference_data()

    slugs = set(Fellowship.objects.values_list("slug", flat=True))
    assert len(slugs) >= 17
    assert REQUIRED_SLUGS - slugs == set()
    assert MeetingType.objects.filter(fellowship=None).count() == 87


@pytest.mark.django_db
def test_every_fellowship_says_what_meetings_are_like_and_who_may_attend():
    load_reference_data()

    for fellowship in Fellowship.objects.all():
        assert fellowship.description.strip(), fellowship.slug
        assert fellowship.open_meetings.strip(), fellowship.slug
        assert fellowship.closed_meetings.strip(), fellowship.slug
        assert fellowship.website.startswith("https://"), fellowship.slug
        fellowship.full_clean()


@pytest.mark.django_db
def test_family_fellowships_are_marked_for_family_and_friends():
    load_reference_data()

    family = set(
        Fellowship.objects.filter(audience=Fellowship.Audience.FAMILY).values_list(
            "slug", flat=True
        )
    )
    assert family == {"al-anon", "alateen", "nar-anon", "smart-family"}


@pytest.mark.django_db
def test_the_loaded_types_carry_their_spanish_names_and_categories():
    load_reference_data()

    spanish = MeetingType.objects.get(code="S", fellowship=None)
    assert spanish.name == "Spanish"
    assert spanish.name_es == "Español"
    assert spanish.category == MeetingType.Category.LANGUAGE
    assert MeetingType.objects.get(code="ASL").category == MeetingType.Category.ACCESSIBILITY
    assert MeetingType.objects.get(code="W").category == MeetingType.Category.AUDIENCE


def test_types_fixture_maps_codes_to_categories_with_stable_keys():
    data = {
        "W": {"en": "Women", "es": "Mujeres"},
        "ASL": {"en": "American Sign Language", "es": "Lenguaje por señas"},
        "S": {"en": "Spanish", "es": "Español"},
        "D": {"en": "Discussion"},
    }

    rows = types_fixture(data)

    assert [(row["pk"], row["fields"]["code"]) for row in rows] == [
        (1, "ASL"), (2, "D"), (3, "S"), (4, "W"),
    ]  # fmt: skip
    by_code = {row["fields"]["code"]: row for row in rows}
    assert by_code["ASL"]["fields"]["category"] == "accessibility"
    assert by_code["S"]["fields"]["category"] == "language"
    assert by_code["W"]["fields"]["category"] == "audience"
    assert by_code["D"]["fields"]["category"] == "format"
    assert by_code["D"]["fields"]["name_es"] == ""
    assert by_code["W"] == {
        "model": "meetings.meetingtype",
        "pk": 4,
        "fields": {
            "fellowship": None,
            "code": "W",
            "name": "Women",
            "name_es": "Mujeres",
            "category": "audience",
            "description": "",
        },
    }


def test_types_fixture_refuses_a_code_it_has_no_category_for():
    data = {"W": {"en": "Women"}, "ZZ": {"en": "Something new"}, "QQ": {"en": "Another"}}

    with pytest.raises(TypesFileError, match="QQ, ZZ"):
        types_fixture(data)


@pytest.mark.parametrize(
    "data",
    [[], {}, {"W": "Women"}, {"W": {"es": "Mujeres"}}, {"W": {"en": ""}}],
    ids=["list", "empty", "name-not-object", "no-english", "blank-english"],
)
def test_types_fixture_refuses_a_file_of_another_shape(data):
    with pytest.raises(TypesFileError):
        types_fixture(data)


def test_each_code_has_exactly_one_category():
    listed = [code for codes in CATEGORY_CODES.values() for code in codes]

    assert len(listed) == len(set(listed)) == len(CATEGORIES) == 87
    assert set(CATEGORY_CODES) == set(MeetingType.Category.values)


def test_the_command_fails_cleanly_on_a_missing_file(tmp_path):
    output = tmp_path / "types.json"

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("build_type_fixture", str(tmp_path / "missing.json"), output=str(output))
    assert not output.exists()


def test_the_command_fails_cleanly_on_a_file_that_is_not_json(tmp_path):
    source = tmp_path / "types.json"
    source.write_text("<html>not found</html>", encoding="utf-8")

    with pytest.raises(CommandError, match="not a JSON file"):
        call_command("build_type_fixture", str(source), output=str(tmp_path / "out.json"))


def test_the_command_names_unknown_codes(tmp_path):
    source = tmp_path / "types.json"
    source.write_text(json.dumps({"W": {"en": "Women"}, "ZZ": {"en": "New"}}), encoding="utf-8")

    with pytest.raises(CommandError, match="ZZ"):
        call_command("build_type_fixture", str(source), output=str(tmp_path / "out.json"))


@pytest.mark.django_db
def test_the_command_writes_a_fixture_that_loads(tmp_path):
    source = tmp_path / "types.json"
    source.write_text(
        json.dumps({"S": {"en": "Spanish", "es": "Español"}, "O": {"en": "Open", "es": "Abierta"}}),
        encoding="utf-8",
    )
    output = tmp_path / "meeting_types.json"

    stdout = io.StringIO()
    call_command("build_type_fixture", str(source), output=str(output), stdout=stdout)
    call_command("loaddata", output, verbosity=0)

    assert "Wrote 2 meeting types" in stdout.getvalue()

    assert list(MeetingType.objects.order_by("pk").values_list("code", "category")) == [
        ("O", "other"),
        ("S", "language"),
    ]


def test_the_committed_types_fixture_matches_the_category_mapping():
    rows = json.loads((FIXTURES / "meeting_types.json").read_text(encoding="utf-8"))

    assert [row["pk"] for row in rows] == list(range(1, 88))
    assert [row["fields"]["code"] for row in rows] == sorted(CATEGORIES)
    for row in rows:
        assert row["fields"]["category"] == CATEGORIES[row["fields"]["code"]]


@pytest.mark.django_db
def test_load_reference_adds_what_is_missing_and_keeps_what_staff_edited():
    from directory.management.commands.load_reference import reference_load

    translations = len(json.loads((FIXTURES / "fellowship_translations.json").read_text()))
    assert reference_load() == {
        "directory.Fellowship": 17,
        "directory.FellowshipTranslation": translations,
        "meetings.MeetingType": 87,
    }
    aa = Fellowship.objects.get(slug="aa")
    aa.description = "Edited by staff."
    aa.save()
    MeetingType.objects.get(code="W", fellowship=None).delete()
    own = make_fellowship(name="Staff's Own")

    out = io.StringIO()
    call_command("load_reference", stdout=out)
    assert "added 1 meetings.MeetingType" in out.getvalue()
    assert Fellowship.objects.get(slug="aa").description == "Edited by staff."
    assert MeetingType.objects.filter(code="W", fellowship=None).exists()
    assert Fellowship.objects.count() == 18 and Fellowship.objects.filter(pk=own.pk).exists()
    # The ids the fixtures used stay free for new rows (PostgreSQL's sequences moved on).
    assert make_fellowship().pk > 17
    call_command("load_reference", stdout=out)
    assert "added nothing" in out.getvalue()


def test_make_run_loads_the_reference_data_without_overwriting_it():
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    setup = makefile.split("\nsetup:")[1].split("\n\n")[0]
    assert "manage.py load_reference" in setup
    assert "loaddata" not in setup
