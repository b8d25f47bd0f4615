"""/sitemap.xml: every public page, so that a person who searches the web for "AA meeting
Tuesday Duluth" can land on the meeting's own page. Only what the public pages show is
listed: approved groups and their meetings that still meet."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from directory.models import Fellowship, Group
from meetings.models import Meeting


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


class GroupSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Group.objects.public().order_by("pk").only("slug", "updated")

    def lastmod(self, group):
        return group.updated


class MeetingSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Meeting.objects.public().order_by("pk").only("slug", "updated")

    def lastmod(self, meeting):
        return meeting.updated


SITEMAPS = {
    "pages": PagesSitemap,
    "fellowships": FellowshipSitemap,
    "groups": GroupSitemap,
    "meetings": MeetingSitemap,
}
