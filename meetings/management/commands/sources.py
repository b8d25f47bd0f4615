"""manage.py sources add|list|sync: the registry of sources from the command line.

    sources add NAME URL --format F --fellowship SLUG [--type-map A=B ...]
                [--timezone Z] [--retire-missing] [--precedence N]
    sources list
    sources sync [NAME ...] [--force]
    sources match [NAME ...]

``sync`` prints one line per source and a total, and exits non-zero when any failed.
``match`` pairs the meetings two sources both list so each is shown once (every listing
when no source is named; a sync does it for the source it applied).
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from directory.models import Fellowship
from meetings.duplicates import meetings_match
from meetings.management.commands.import_meetings import parse_type_map
from meetings.models import Meeting, Source, SyncAttempt
from meetings.syncing import sources_sync
from recoverymap.lib.db import refresh_planner_statistics


class Command(BaseCommand):
    help = "Register, list and sync the sources of meetings."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Register a source.")
        add.add_argument("name")
        add.add_argument("url", help="An http(s) URL, a file:// URL or a file path.")
        add.add_argument("--format", required=True, choices=Source.Format.values)
        add.add_argument("--fellowship", required=True, help="The fellowship's slug, e.g. aa.")
        add.add_argument("--type-map", action="append", default=[], metavar="CODE=OURS")
        add.add_argument("--timezone", default="")
        add.add_argument("--retire-missing", action="store_true")
        add.add_argument(
            "--precedence",
            type=int,
            default=0,
            help="Which listing is shown when another source lists the same meeting: "
            "the higher wins (default 0).",
        )
        sub.add_parser("list", help="A table of the sources and how their syncs went.")
        sync = sub.add_parser("sync", help="Sync the named sources, or every enabled one.")
        sync.add_argument("names", nargs="*", metavar="NAME")
        sync.add_argument(
            "--force", action="store_true", help="Ignore the minimum interval between fetches."
        )

        match = sub.add_parser(
            "match", help="Show each meeting two sources list once (every listing by default)."
        )
        match.add_argument("names", nargs="*", metavar="NAME")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_add(self, *, name, url, fellowship, **options):
        try:
            group_of = Fellowship.objects.get(slug=fellowship)
        except Fellowship.DoesNotExist:
            slugs = ", ".join(Fellowship.objects.values_list("slug", flat=True)) or "none loaded"
            raise CommandError(f"No fellowship {fellowship!r} (known: {slugs}).") from None
        source = Source(
            name=name,
            url=url,
            format=options["format"],
            fellowship=group_of,
            type_map=parse_type_map(options["type_map"]),
            default_timezone=options["timezone"],
            retire_missing=options["retire_missing"],
            precedence=options["precedence"],
        )
        try:
            source.full_clean()
        except ValidationError as error:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            raise CommandError(problems) from None
        source.save()
        self.stdout.write(f"Added source {source.name} ({source.format}, {group_of.slug}).")

    def handle_list(self, **options):
        sources = Source.objects.select_related("fellowship").annotate(
            active=Count("meetings", filter=~Q(meetings__status=Meeting.Status.INACTIVE))
        )
        rows = [("name", "format", "fellowship", "meetings", "last success", "last result")]
        for source in sources:
            attempts = source.attempts.exclude(outcome=SyncAttempt.Outcome.RUNNING)
            last = attempts.first()
            success = attempts.filter(
                outcome__in=[SyncAttempt.Outcome.APPLIED, SyncAttempt.Outcome.UNCHANGED]
            ).first()
            result = "never synced"
            if last is not None:
                result = last.outcome
                if last.error_kind:
                    result += f" ({last.error_kind})"
            rows.append(
                (
                    source.name + ("" if source.enabled else " [disabled]"),
                    source.format,
                    source.fellowship.slug,
                    f"{source.active:,}",
                    f"{success.finished:%Y-%m-%d %H:%M}" if success else "never",
                    result,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )

    def named(self, names: list[str]) -> list[Source]:
        sources = list(Source.objects.filter(name__in=names).select_related("fellowship"))
        unknown = sorted(set(names) - {s.name for s in sources})
        if unknown:
            raise CommandError(f"No source named {', '.join(unknown)}.")
        return sources

    def handle_match(self, *, names, **options):
        if not names:
            self.stdout.write(meetings_match().line())
        for source in self.named(names) if names else []:
            self.stdout.write(f"{source.name}: {meetings_match(source=source.import_key).line()}")

    def handle_sync(self, *, names, force, **options):
        if names:
            sources = self.named(names)
        else:
            sources = list(Source.objects.filter(enabled=True).select_related("fellowship"))
        results = sources_sync(sources=sources, force=force)
        for result in results:
            self.stdout.write(result.line())
        outcomes = [r.attempt.outcome if r.attempt else "skipped" for r in results]
        failed = outcomes.count(SyncAttempt.Outcome.FAILED)
        self.stdout.write(
            f"{len(results)} sources: {outcomes.count(SyncAttempt.Outcome.APPLIED)} applied, "
            f"{outcomes.count(SyncAttempt.Outcome.UNCHANGED)} unchanged, "
            f"{outcomes.count(SyncAttempt.Outcome.HELD)} held, {failed} failed, "
            f"{outcomes.count('skipped')} skipped."
        )
        if SyncAttempt.Outcome.APPLIED in outcomes:
            refresh_planner_statistics()
        if failed:
            raise CommandError(f"{failed} of {len(results)} sources failed.", returncode=1)
