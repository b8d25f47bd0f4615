"""Root URLs: the public directory, meetings, accounts and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("directory.urls")),
    path("", include("meetings.urls")),
]
