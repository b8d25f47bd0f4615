"""Ask organizers to confirm listings nobody has confirmed for a while; run daily."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from directory.services import confirmation_reminders_send


class Command(BaseCommand):
    help = (
        "Email the organizers of active groups whose meetings were last confirmed more than "
        "--older-than-days ago (or never), at most once per --period-days per group."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=settings.CONFIRMATION_REMINDER_AGE_DAYS,
            help="Remind about meetings confirmed longer ago than this (default %(default)s).",
        )
        parser.add_argument(
            "--period-days",
            type=int,
            default=settings.CONFIRMATION_REMINDER_PERIOD_DAYS,
            help="Remind a group at most once in this many days (default %(default)s).",
        )

    def handle(self, *args, older_than_days, period_days, **options):
        if older_than_days < 1 or period_days < 1:
            raise CommandError("--older-than-days and --period-days must be at least 1.")
        summary = confirmation_reminders_send(
            older_than=dt.timedelta(days=older_than_days), period=dt.timedelta(days=period_days)
        )
        for address in summary.failed:
            self.stderr.write(f"Could not email {address}.")
        self.stdout.write(str(summary))
