from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from meetings import listings
        from meetings.models import connect_report_flags

        connect_report_flags()
        # Cached search pages and feeds are dropped whenever a listing changes.
        listings.connect()
