"""Organizers' pages under /accounts/; allauth's sign-in pages share the prefix."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("listings/", views.my_listings, name="my-listings"),
    path("listings/meetings/<slug:slug>/confirm/", views.meeting_confirm, name="meeting-confirm"),
    path("listings/groups/<slug:slug>/confirm/", views.group_confirm, name="group-confirm"),
    path("groups/new/", views.group_new, name="group-new"),
    path("groups/<slug:slug>/manage/", views.organizer_request, name="organizer-request"),
]
