"""Public meeting pages."""

from django.shortcuts import get_object_or_404, render

from meetings.models import Meeting


def meeting_list(request):
    meetings = Meeting.objects.public().select_related("group__fellowship", "location")[:50]
    return render(request, "meetings/meeting_list.html", {"meetings": meetings})


def meeting_detail(request, slug):
    meeting = get_object_or_404(
        Meeting.objects.select_related("group__fellowship", "location").filter(
            group__status="active"
        ),
        slug=slug,
    )
    return render(request, "meetings/meeting_detail.html", {"meeting": meeting})
