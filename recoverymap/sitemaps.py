"""/sitemap.xml: every public page, so that a person who searches the web for "AA meeting
Tuesday Duluth" can land on the meeting's own page. Only what the public pages show is
listed: approved groups and their meetings that still meet.

Each page is listed at its English address with its alternates in every language
(``xhtml:link hreflang``): a Spanish page is the English path under ``/es``.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.db.models import Max
from django.urls import reverse

from directory.models import Fellowship, Group
from meetings.models import Meeting


class Sitemap(DjangoSitemap):
    """Django's, with each page's addresses in every language as alternates. Django's
    own ``i18n`` lists every item once per language from one list of all of them (all
    250,000 meetings read for each sitemap page); the address is simple enough to write
    here."""

    def get_urls(self, page=1, site=None, protocol=None):
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["alternates"] = language_alternates(url["location"])
        return urls


def language_alternates(location: str) -> list[dict[str, str]]:
    """The English ``location`` in each language, and as the default (x-default)."""
    parts = urlsplit(location)
    origin = f"{parts.scheme}://{parts.netloc}"
    alternates = [
        {
            "lang_code": code,
            "location": location
            if code == settings.LANGUAGE_CODE
            else (f"{origin}/{code}{parts.path}"),
        }
        for code, _name in settings.LANGUAGES
    ]
    return [*alternates, {"lang_code": "x-default", "location": location}]


class PagesSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["directory:home", "meetings:meeting-list", "directory:fellowship-list"]

    def location(self, item):
        return reverse(item)


class FellowshipSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Fellowship.objects.order_by("slug").only("slug")


class _UpdatedSitemap(Sitemap):
    """Items with an ``updated`` time; the index's latest one is one query (Django's own
    reads every item, 250,000 meetings, to find it)."""

    changefreq = "weekly"
    # Pages of 10,000 (the protocol allows 50,000): each is built in under a second and
    # cached as about 1.4 MB.
    limit = 10_000

    def items(self):
        return self.public().order_by("pk").only("slug", "updated")

    def lastmod(self, item):
        return item.updated

    def get_latest_lastmod(self):
        return self.public().aggregate(latest=Max("updated"))["latest"]


class GroupSitemap(_UpdatedSitemap):
    def public(self):
        return Group.objects.public()


class MeetingSitemap(_UpdatedSitemap):
    def public(self):
        return Meeting.objects.public()


SITEMAPS = {
    "pages": PagesSitemap,
    "fellowships": FellowshipSitemap,
    "groups": GroupSitemap,
    "meetings": MeetingSitemap,
}
