"""Root URLs: the public directory, meetings, accounts, the staff admin (/admin/) and
the organizers' admin (/manage/)."""

from django.contrib import admin
from django.urls import include, path

from accounts.admin import organizer_site

urlpatterns = [
    path("admin/", admin.site.urls),
    path("manage/", organizer_site.urls),
    # Ours first (my listings, organizer requests), then allauth's sign-in pages.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("directory.urls")),
    path("", include("meetings.urls")),
]

# A database error outside a view still gives the friendly 503 page (recoverymap.middleware).
handler500 = "recoverymap.middleware.server_error"
