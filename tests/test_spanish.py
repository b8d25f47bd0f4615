"""RecoveryMap in Spanish: pages at /es/..., the visitor's choice and the browser's
preference, the switch, hreflang, caches kept apart by language, fellowship texts and
types in Spanish, emails in the recipient's language, calendar files and error pages."""

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from directory.models import Fellowship, FellowshipTranslation
from meetings.models import MeetingType
from recoverymap.lib.mail import send_templated_mail
from recoverymap.middleware import server_error
from tests.conftest import make_fellowship, make_group, make_meeting, make_place, make_user

pytestmark = pytest.mark.django_db

SPANISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9,en;q=0.5"}


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_english_pages_keep_their_addresses_and_spanish_lives_under_es(client):
    assert reverse("meetings:meeting-list") == "/meetings/"
    with translation.override("es"):
        assert reverse("meetings:meeting-list") == "/es/meetings/"
    english = client.get("/")
    spanish = client.get("/es/")
    assert english.status_code == 200 and html_lang(english) == "en"
    assert spanish.status_code == 200 and html_lang(spanish) == "es"
    assert "Reuniones" in spanish.content.decode()
    assert "Reuniones" not in english.content.decode()


def test_the_switch_on_every_page_keeps_the_path_and_the_search(client):
    make_place()
    page = client.get("/meetings/", {"near": "55404", "day": "1"}).content.decode()
    assert 'href="/es/meetings/?near=55404&amp;day=1" hreflang="es" lang="es">Español</a>' in page
    back = client.get("/es/meetings/", {"near": "55404", "day": "1"}).content.decode()
    assert 'href="/meetings/?near=55404&amp;day=1" hreflang="en" lang="en">English</a>' in back


def test_each_page_head_names_its_alternates(client):
    fellowship = make_fellowship(slug="aa")
    page = client.get(fellowship.get_absolute_url()).content.decode()
    assert '<link rel="alternate" hreflang="en" href="http://testserver/fellowships/aa/">' in page
    spanish = "http://testserver/es/fellowships/aa/"
    assert f'<link rel="alternate" hreflang="es" href="{spanish}">' in page
    assert 'hreflang="x-default" href="http://testserver/fellowships/aa/"' in page


def test_a_first_visit_opens_in_the_browsers_language_and_keeps_the_query(client):
    response = client.get("/meetings/?near=55404", **SPANISH_BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/es/meetings/?near=55404"
    assert "Accept-Language" in response["Vary"]
    assert response.cookies["language"].value == "es"


def test_a_visitor_who_chose_english_is_not_sent_to_spanish(client):
    client.get("/")  # English read: remembered
    assert client.cookies["language"].value == "en"
    response = client.get("/fellowships/", **SPANISH_BROWSER)
    assert response.status_code == 200 and html_lang(response) == "en"


def test_an_english_browser_is_left_alone(client):
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en").status_code == 200


def test_addresses_without_a_language_neither_redirect_nor_remember(client):
    assert client.get("/robots.txt", **SPANISH_BROWSER).status_code == 200
    assert client.get("/sitemap.xml", **SPANISH_BROWSER).status_code == 200
    assert "language" not in client.cookies


def test_a_shared_spanish_link_opens_in_spanish_and_is_remembered(client):
    response = client.get("/es/fellowships/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert html_lang(response) == "es"
    assert response.cookies["language"].value == "es"


def test_a_signed_in_persons_choice_is_kept_on_the_account(client):
    user = make_user()
    client.force_login(user)
    client.get("/es/fellowships/")
    user.refresh_from_db()
    assert user.language == "es"
    client.get("/fellowships/")
    user.refresh_from_db()
    assert user.language == "en"


def test_a_kept_search_page_is_never_served_in_the_other_language(client):
    make_place()
    make_meeting()
    english = client.get("/meetings/", {"near": "55404"}).content.decode()
    spanish = client.get("/es/meetings/", {"near": "55404"}).content.decode()
    again = client.get("/meetings/", {"near": "55404"}).content.decode()
    assert 'lang="en"' in english and 'lang="es"' in spanish
    assert again == english
    assert "Reuniones" in spanish and "Reuniones" not in again
    # And the other way round, from a cold cache: Spanish first.
    from django.core.cache import cache

    cache.clear()
    first = client.get("/es/meetings/", {"near": "55404"}).content.decode()
    assert html_lang(client.get("/meetings/", {"near": "55404"})) == "en"
    assert first == client.get("/es/meetings/", {"near": "55404"}).content.decode()


def test_the_feed_is_kept_apart_by_language(client):
    make_meeting()
    english = client.get("/api/meetings.json")
    spanish = client.get("/es/api/meetings.json")
    assert english.status_code == spanish.status_code == 200


def test_each_feed_links_meeting_pages_in_its_own_language_whichever_came_first(client):
    # Meeting pages' paths were reversed once per process: a Spanish feed served first
    # gave every later English feed /es/ addresses (and the other way round).
    meeting = make_meeting()
    spanish, english = (
        json.loads(b"".join(client.get(path).streaming_content))
        for path in ("/es/api/meetings.json", "/api/meetings.json")
    )
    assert spanish[0]["url"].endswith(f"/es/meetings/{meeting.slug}/")
    assert english[0]["url"].endswith(f"/meetings/{meeting.slug}/")
    assert "/es/" not in english[0]["url"]


def test_fellowship_texts_show_in_spanish_and_fall_back_to_english(client):
    aa = make_fellowship(name="Alcoholics Anonymous", slug="aa", description="Peer-led.")
    FellowshipTranslation.objects.create(
        fellowship=aa, language="es", name="Alcohólicos Anónimos", description="Entre pares."
    )
    plain = make_fellowship(name="LifeRing Secular Recovery", slug="lifering")
    FellowshipTranslation.objects.create(fellowship=plain, language="es", description="Laica.")
    spanish = client.get("/es/fellowships/").content.decode()
    assert "Alcohólicos Anónimos" in spanish and "Entre pares." in spanish
    assert "LifeRing Secular Recovery" in spanish and "Laica." in spanish  # its own name
    english = client.get("/fellowships/").content.decode()
    assert "Alcohólicos Anónimos" not in english and "Alcoholics Anonymous" in english


def test_a_staff_edit_of_a_translation_shows_at_once(client):
    aa = make_fellowship(name="Alcoholics Anonymous", slug="aa")
    translated = FellowshipTranslation.objects.create(fellowship=aa, language="es", name="AA-es")
    assert "AA-es" in client.get("/es/fellowships/aa/").content.decode()
    translated.name = "Alcohólicos Anónimos"
    translated.save()
    assert "Alcohólicos Anónimos" in client.get("/es/fellowships/aa/").content.decode()


def test_the_reference_translations_load_for_every_fellowship():
    call_command("loaddata", "fellowships", "fellowship_translations", verbosity=0)
    translations = FellowshipTranslation.objects.filter(language="es")
    assert translations.count() == Fellowship.objects.count()
    assert all(t.description and t.open_meetings and t.closed_meetings for t in translations)
    assert translations.get(fellowship__slug="aa").name == "Alcohólicos Anónimos"
    assert translations.get(fellowship__slug="na").name == "Narcóticos Anónimos"


def test_meeting_types_and_days_read_in_spanish(client, spec_types):
    MeetingType.objects.filter(code="W").update(name_es="Mujeres")
    url = make_meeting(types=["W"], day=1, start_time=dt.time(19, 30)).get_absolute_url()
    page = client.get("/es" + url).content.decode()
    assert "Mujeres" in page
    assert "Lunes" in page
    assert "7:30 p.m." in page
    english = client.get(url).content.decode()
    assert "Women" in english and "7:30 PM" in english


def test_a_calendar_file_from_a_spanish_page_is_in_spanish(client):
    fellowship = make_fellowship(name="Alcoholics Anonymous")
    FellowshipTranslation.objects.create(
        fellowship=fellowship, language="es", name="Alcohólicos Anónimos"
    )
    meeting = make_meeting(
        group=make_group(fellowship=fellowship),
        attendance="hybrid",
        conference_url="https://zoom.us/j/1",
    )
    ics = client.get("/es" + reverse("meetings:meeting-ics", args=[meeting.slug]))
    text = ics.content.decode().replace("\r\n ", "")
    assert "Alcohólicos Anónimos" in text
    assert "Únete en línea" in text or "en línea" in text


def test_error_pages_speak_spanish_under_es(client):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    assert html_lang(response) == "es"
    assert "No encontramos esa página" in response.content.decode()


def test_emails_go_out_in_each_recipients_language():
    group = make_group(name="Grupo Esperanza")
    make_user(email="ana@example.org", language="es")
    make_user(email="bob@example.org", language="en")
    sent = send_templated_mail(
        "accounts/email/organizer_request_approved",
        to=["ana@example.org", "bob@example.org", "nobody@example.org"],
        context={"group": group, "my_listings_url": "x", "manage_url": "y"},
    )
    assert sent == 3
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "Ya puedes administrar Grupo Esperanza" in by_address["ana@example.org"].subject
    assert "Hola:" in by_address["ana@example.org"].body
    assert "You can now manage Grupo Esperanza" in by_address["bob@example.org"].subject
    assert by_address["nobody@example.org"].subject == by_address["bob@example.org"].subject


def test_the_sitemap_lists_each_page_in_both_languages(client):
    make_fellowship(slug="aa")
    body = client.get("/sitemap-fellowships.xml").content.decode()
    assert "<loc>http://testserver/fellowships/aa/</loc>" in body
    assert (
        '<xhtml:link rel="alternate" hreflang="es" href="http://testserver/es/fellowships/aa/"/>'
        in body
    )
    assert 'hreflang="x-default" href="http://testserver/fellowships/aa/"' in body


def test_allauth_and_the_admin_speak_spanish(client):
    # allauth's own catalogue, and Django's admin's.
    assert "¿Ha olvidado su contraseña?" in client.get("/es/accounts/login/").content.decode()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert "Cambiar contraseña" in client.get("/es/admin/").content.decode()


def test_robots_keep_crawlers_out_of_the_spanish_admins_and_account_pages(client):
    body = client.get("/robots.txt").content.decode()
    for path in ("/admin/", "/manage/", "/accounts/", "/meetings/*/report/"):
        assert f"Disallow: {path}\n" in body and f"Disallow: /es{path}\n" in body


def test_a_report_made_in_spanish_links_each_organizer_to_the_page_in_their_language(
    client, django_capture_on_commit_callbacks
):
    meeting = make_meeting()
    url = meeting.get_absolute_url()
    meeting.group.organizers.add(
        make_user(email="ana@example.org", language="es"),
        make_user(email="bob@example.org", language="en"),
    )
    form = {"category": "gone", "message": "", "email": "", "website": ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/es{url}report/", form)
    assert response.status_code == 302
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert f"http://127.0.0.1:8000/es{url}" in bodies["ana@example.org"]
    assert f"http://127.0.0.1:8000{url}\n" in bodies["bob@example.org"]
    assert "/es/" not in bodies["bob@example.org"]


def test_the_503_and_500_pages_speak_spanish_under_es(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("meetings.views.Meeting.objects.public", unreachable)
    response = client.get("/es/meetings/")
    assert response.status_code == 503
    assert html_lang(response) == "es"
    assert "tiene problemas para llegar a su base de datos" in response.content.decode()
    with translation.override("es"):  # as LocaleMiddleware leaves it for /es/...
        try:
            raise RuntimeError("a bug")
        except RuntimeError:
            response = server_error(RequestFactory().get("/es/"))
    assert response.status_code == 500
    assert "Algo salió mal de nuestro lado" in response.content.decode()
    assert 'href="/es/"' in response.content.decode()


def test_the_next_date_reads_the_spanish_way(client):
    url = make_meeting(day=1).get_absolute_url()
    page = client.get("/es" + url).content.decode()
    assert re.search(r"<strong>Lunes \d{1,2} de [a-z]{3}</strong>", page)
    english = client.get(url).content.decode()
    assert re.search(r"<strong>Monday \d{1,2} [A-Z][a-z]{2}</strong>", english)


def test_an_organizers_forms_name_fellowships_and_types_in_spanish(client, spec_types):
    aa = make_fellowship(name="Alcoholics Anonymous")
    FellowshipTranslation.objects.create(fellowship=aa, language="es", name="Alcohólicos Anónimos")
    MeetingType.objects.filter(code="W").update(name_es="Mujeres")
    group = make_group(fellowship=aa)
    meeting = make_meeting(group=group)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    group_page = client.get(f"/es/admin/directory/group/{group.pk}/change/").content.decode()
    assert "Alcohólicos Anónimos" in group_page
    meeting_page = client.get(f"/es/admin/meetings/meeting/{meeting.pk}/change/").content.decode()
    assert "Mujeres" in meeting_page and ">Women<" not in meeting_page
