from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Meetings"

    def ready(self):
        from meetings import listings

        # Cached search pages and feeds are dropped whenever a listing changes.
        listings.connect()
