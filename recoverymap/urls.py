"""Root URLs: the public directory, meetings, accounts, the staff admin (/admin/) and
the organizers' admin (/manage/).

Every page is in English at its address and in Spanish under ``/es/`` (``/es/meetings/
?near=55404``), so a shared link opens in the language it was sent in. The feed, the
sitemap and robots.txt speak no language and have one address each.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.cache import cache_page

from accounts.admin import organizer_site
from directory.views import favicon, robots_txt
from recoverymap.health import health
from recoverymap.sitemaps import SITEMAPS

# The sitemap lists every public meeting (50,000 to a page); search engines read it a few
# times a day, so an hour-old copy is fine.
SITEMAP_SECONDS = 3600

urlpatterns = [
    path("robots.txt", robots_txt, name="robots-txt"),
    path("favicon.ico", favicon, name="favicon"),
    # For load balancers: 200 while this server reaches the database (recoverymap.health).
    path("health/", health, name="health"),
    path(
        "sitemap.xml",
        cache_page(SITEMAP_SECONDS)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(SITEMAP_SECONDS)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("manage/", organizer_site.urls),
    # Ours first (my listings, organizer requests), then allauth's sign-in pages.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("directory.urls")),
    path("", include("meetings.urls")),
    prefix_default_language=False,
)

# A database error outside a view still gives the friendly 503 page (recoverymap.middleware).
handler500 = "recoverymap.middleware.server_error"
