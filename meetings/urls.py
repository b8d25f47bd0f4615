from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.MeetingSearchView.as_view(), name="meeting-list"),
    # Before the detail route: a calendar file is the meeting's address plus ".ics".
    path("meetings/<slug:slug>.ics", views.meeting_ics, name="meeting-ics"),
    path("meetings/<slug:slug>/", views.meeting_detail, name="meeting-detail"),
]
