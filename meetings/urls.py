from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.MeetingSearchView.as_view(), name="meeting-list"),
    # The search as a calendar to subscribe to, and every meeting as a Meeting Guide feed.
    path("meetings.ics", views.search_calendar, name="search-calendar"),
    path("api/meetings.json", views.meeting_feed, name="meeting-feed"),
    # The feeds by fellowship, and the API described (OpenAPI 3.1) and as a page.
    path("api/", views.api_index, name="api-index"),
    path("api/feeds.json", views.api_feeds, name="api-feeds"),
    path("api/openapi.json", views.api_openapi, name="api-openapi"),
    path("api/docs/", views.api_docs, name="api-docs"),
    # The directory as Open Referral HSDS 3.0 (211 and referral systems), paged.
    path("api/hsds/services", views.hsds_services, name="hsds-services"),
    path("api/hsds/organizations", views.hsds_organizations, name="hsds-organizations"),
    path("api/hsds/locations", views.hsds_locations, name="hsds-locations"),
    # Before the detail route: a calendar file is the meeting's address plus ".ics".
    path("meetings/<slug:slug>.ics", views.meeting_ics, name="meeting-ics"),
    path("meetings/<slug:slug>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<slug:slug>/report/", views.meeting_report, name="meeting-report"),
    path("sources/", views.source_list, name="source-list"),
]
