"""Public pages of the directory: home, fellowships, groups."""

from django.shortcuts import get_object_or_404, render

from directory.models import Fellowship, Group


def home(request):
    return render(request, "directory/home.html", {"fellowships": Fellowship.objects.all()})


def fellowship_list(request):
    return render(
        request, "directory/fellowship_list.html", {"fellowships": Fellowship.objects.all()}
    )


def fellowship_detail(request, slug):
    fellowship = get_object_or_404(Fellowship, slug=slug)
    return render(request, "directory/fellowship_detail.html", {"fellowship": fellowship})


def group_detail(request, slug):
    group = get_object_or_404(Group.objects.public().select_related("fellowship"), slug=slug)
    return render(request, "directory/group_detail.html", {"group": group})
