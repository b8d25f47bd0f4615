"""Fill the directory with a realistic, deterministic demo.

    manage.py seed_demo                      # 3,000 meetings, seed 1
    manage.py seed_demo --meetings 250000 --seed 7 --replace

The same size and seed always give the same groups, venues and meetings (see
``directory.demo``); ``--replace`` first deletes every meeting, group and location.
"""

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from directory import demo
from meetings.models import Meeting
from recoverymap.lib.db import refresh_planner_statistics
from recoverymap.lib.progress import ProgressBar


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Fill the directory with a realistic, deterministic demo of groups, venues and "
        "meetings on real US ZIP codes. Needs load_places and the fellowships and "
        "meeting_types fixtures."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--meetings", type=positive_int, default=demo.DEFAULT_MEETINGS,
            help=f"How many meetings (default {demo.DEFAULT_MEETINGS:,}).",
        )  # fmt: skip
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed gives the same data (default 1)."
        )
        parser.add_argument(
            "--replace", action="store_true",
            help="Delete every meeting, group and location first.",
        )  # fmt: skip
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Do nothing when the directory already has meetings (for make run).",
        )  # fmt: skip

    def handle(self, *args, meetings, seed, replace, if_empty, **options):
        if if_empty and Meeting.objects.exists():
            self.stdout.write("The directory already has meetings; nothing seeded.")
            return
        bar = ProgressBar.for_stream(self.stdout)
        started = time.monotonic()
        try:
            summary = demo.seed_demo(meetings=meetings, seed=seed, replace=replace, progress=bar)
        except demo.DemoDataError as error:
            raise CommandError(str(error)) from None
        finally:
            if bar is not None:
                bar.close()
        refresh_planner_statistics()
        elapsed = time.monotonic() - started
        if summary.deleted_meetings:
            self.stdout.write(f"Deleted {summary.deleted_meetings:,} meetings first.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.meetings:,} meetings of {summary.groups:,} groups at "
                f"{summary.locations:,} locations ({summary.type_links:,} type links) "
                f"with seed {seed} in {elapsed:.1f} s."
            )
        )
