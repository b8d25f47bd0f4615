"""Public pages of the directory: home, fellowships, groups."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from directory.models import Fellowship, Group
from meetings.models import Meeting

# Why each section of the fellowships page exists, in a newcomer's words.
PHILOSOPHY_NOTES = {
    Fellowship.Philosophy.TWELVE_STEP: _(
        "Twelve-step fellowships follow twelve steps that speak of a higher power as each "
        "member understands it. Meetings are led by members; many people find a sponsor."
    ),
    Fellowship.Philosophy.SECULAR: _(
        "Secular programs do not ask for belief in a higher power. They teach practical "
        "tools, and meetings are often led by a trained volunteer facilitator."
    ),
    Fellowship.Philosophy.BUDDHIST: _(
        "Buddhist-inspired programs use meditation and Buddhist teachings. You do not need "
        "to be Buddhist to take part."
    ),
    Fellowship.Philosophy.FAITH_BASED: _(
        "Faith-based programs are rooted in a religious faith, usually Christian, and "
        "meetings may include prayer and scripture."
    ),
}


def home(request):
    return render(request, "directory/home.html")


def fellowship_list(request):
    """Fellowships for people in recovery by philosophy, then family groups on their own."""
    fellowships = list(Fellowship.objects.all())
    sections = [
        {
            "id": value.replace("_", "-"),
            "title": label,
            "note": PHILOSOPHY_NOTES[value],
            "fellowships": [
                f
                for f in fellowships
                if f.audience == Fellowship.Audience.RECOVERY and f.philosophy == value
            ],
        }
        for value, label in Fellowship.Philosophy.choices
    ]
    sections.append(
        {
            "id": "family",
            "title": _("For family and friends"),
            "note": _(
                "Family groups are for the relatives and friends of someone with a drinking, "
                "drug or other problem, whether or not that person is in recovery."
            ),
            "fellowships": [f for f in fellowships if f.audience == Fellowship.Audience.FAMILY],
        }
    )
    return render(
        request,
        "directory/fellowship_list.html",
        {"sections": [s for s in sections if s["fellowships"]]},
    )


def fellowship_detail(request, slug):
    fellowship = get_object_or_404(Fellowship, slug=slug)
    meetings = Meeting.objects.public().of_fellowships([fellowship])
    context = {
        "fellowship": fellowship,
        "meeting_count": meetings.count(),
        "online_count": meetings.with_attendance([Meeting.Attendance.ONLINE]).count(),
    }
    return render(request, "directory/fellowship_detail.html", context)


def group_detail(request, slug):
    group = get_object_or_404(Group.objects.public().select_related("fellowship"), slug=slug)
    meetings = group.meetings.public().select_related("group__fellowship", "location")
    return render(request, "directory/group_detail.html", {"group": group, "meetings": meetings})


def robots_txt(request):
    """Crawlers may read the directory, not the admins or account pages."""
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    private = ["/admin/", "/manage/", "/accounts/", "/meetings/*/report/"]
    # The same pages in every language: /es/admin/ as well as /admin/.
    other_languages = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    prefixes = ["", *(f"/{code}" for code in other_languages)]
    lines = [
        "User-agent: *",
        *(f"Disallow: {prefix}{path}" for prefix in prefixes for path in private),
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def favicon(request):
    """/favicon.ico, which browsers ask for on pages without an icon link (the admins)."""
    return redirect(static("favicon.svg"))
