"""Organizers' pages on the site: "My listings" with one-click confirmation, asking to
manage a group, and listing a new group. Signing in and out is django-allauth's.

Every view loads its object scoped to the person (``for_organizer``), so another
organizer's group or meeting is a 404, whatever the URL.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.forms import GroupListing, OrganizerRequestForm, PlaceSearchForm
from directory.models import Group, OrganizerRequest
from directory.services import group_listing_submit, organizer_request_submit
from meetings.forms import past_midnight_note
from meetings.models import Meeting, ProblemReport
from meetings.services import meetings_confirm
from recoverymap.lib.anonymity import anonymity_warnings


@login_required
def my_listings(request):
    """The person's groups and meetings, how fresh each is, and what visitors reported."""
    open_reports = Count("reports", filter=Q(reports__status=ProblemReport.Status.OPEN))
    meetings = Meeting.objects.select_related("location").annotate(open_reports=open_reports)
    groups = (
        request.user.organized_groups.select_related("fellowship")
        .prefetch_related(Prefetch("meetings", queryset=meetings))
        .order_by("name", "id")
    )
    reports = (
        ProblemReport.objects.open()
        .filter(meeting__group__organizers=request.user)
        .select_related("meeting__group")
    )
    requests = request.user.organizer_requests.filter(
        status=OrganizerRequest.Status.PENDING
    ).select_related("group")
    context = {"groups": groups, "reports": reports, "pending_requests": requests}
    return render(request, "accounts/my_listings.html", context)


@login_required
@require_POST
def meeting_confirm(request, slug):
    """ "Still accurate" on one meeting."""
    meeting = get_object_or_404(Meeting.objects.for_organizer(request.user), slug=slug)
    meetings_confirm(meetings=Meeting.objects.filter(pk=meeting.pk), by=request.user)
    messages.success(
        request,
        _("Thank you. “%(meeting)s” is marked as confirmed today.")
        % {"meeting": meeting.display_name},
    )
    return redirect("accounts:my-listings")


@login_required
@require_POST
def group_confirm(request, slug):
    """ "Still accurate" on every current meeting of a group."""
    group = get_object_or_404(Group.objects.for_organizer(request.user), slug=slug)
    count = meetings_confirm(meetings=group.meetings.all(), by=request.user)
    messages.success(
        request,
        ngettext(
            "Thank you. %(count)d meeting of %(group)s is marked as confirmed today.",
            "Thank you. %(count)d meetings of %(group)s are marked as confirmed today.",
            count,
        )
        % {"count": count, "group": group.name},
    )
    return redirect("accounts:my-listings")


@login_required
def organizer_request(request, slug):
    """ "Manage this group": ask staff to make the person one of its organizers."""
    group = get_object_or_404(Group.objects.public(), slug=slug)
    if group.organizers.filter(pk=request.user.pk).exists():
        messages.info(request, _("You already manage %(group)s.") % {"group": group.name})
        return redirect("accounts:my-listings")
    if request.user.organizer_requests.filter(
        group=group, status=OrganizerRequest.Status.PENDING
    ).exists():
        messages.info(
            request,
            _("Your request to manage %(group)s is waiting for review. We'll email you.")
            % {"group": group.name},
        )
        return redirect(group)
    form = OrganizerRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organizer_request_submit(
                user=request.user, group=group, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
            return redirect(group)
        messages.success(
            request,
            _(
                "Thank you. Staff will review your request to manage %(group)s and email "
                "you either way."
            )
            % {"group": group.name},
        )
        return redirect("accounts:my-listings")
    return render(request, "accounts/organizer_request.html", {"group": group, "form": form})


@login_required
def group_new(request):
    """ "List a new group": the group, its first meeting and its place, held for review."""
    if request.method == "POST":
        listing = GroupListing(request.POST)
        if listing.is_valid():
            group, meeting, location = listing.objects()
            try:
                group = group_listing_submit(
                    by=request.user, group=group, meeting=meeting, location=location
                )
            except ValidationError as error:
                for message in error.messages:
                    listing.meeting.add_error(None, message)
            else:
                for label, text in listing.public_text():
                    for warning in anonymity_warnings(text):
                        messages.warning(request, f"{label}: {warning}")
                if note := past_midnight_note(meeting):
                    messages.info(request, note)
                messages.success(
                    request,
                    _(
                        "Thank you. %(group)s is waiting for review; it will appear in "
                        "search once staff approve it. Meanwhile you can add its other "
                        "meetings under “Manage”."
                    )
                    % {"group": group.name},
                )
                return redirect("accounts:my-listings")
        search = PlaceSearchForm(initial={"zip": listing.meeting["location_zip"].value()})
    else:
        search = PlaceSearchForm(request.GET or None)
        zip_code = search.cleaned_data["zip"] if search.is_valid() else ""
        listing = GroupListing(zip_code=zip_code)
    context = {"listing": listing, "search": search}
    return render(request, "accounts/group_new.html", context)
