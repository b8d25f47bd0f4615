"""Page weight benchmark: HTML + CSS + JS of the main pages, gzip-compressed, in bytes.

    .venv/bin/python bench/page_weight.py                  # 3,000 demo meetings
    .venv/bin/python bench/page_weight.py --meetings 500

On a throwaway SQLite file (DATABASE_URL is set before Django starts), migrated, with
the reference data, the places and the demo seeded, it fetches through the Django test
client the home page, a results page (/meetings/?near=55404), a meeting page and, for
information, the results as a map (?view=map, the only page that loads Leaflet). For each
page it collects the HTML and every same-site stylesheet (<link rel="stylesheet" href>,
print ones included: browsers fetch them too) and script (<script src>) it references,
read from the static files finders, compresses each one on its own with gzip level 6 (as
the server sends them) and prints the compressed bytes per page. Images (Leaflet's marker
icons) and map tiles are not counted.

Target (issue 6): ≤ 60 KB (61,440 bytes) compressed for the home, results and meeting
pages. Not a test: figures only.
"""

import argparse
import atexit
import gzip
import os
import re
import shutil
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
TARGET_BYTES = 60 * 1024
# A hashed name from the manifest storage: site.0123456789ab.css
HASHED = re.compile(r"\.[0-9a-f]{12}(\.[^./]+)$")


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.css, self.js = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").lower().split():
            if attrs.get("href"):
                self.css.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.js.append(attrs["src"])


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def static_file(url: str) -> bytes | None:
    """The bytes of a same-site static URL, or None for another site's."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    parts = urlsplit(url)
    if parts.netloc and parts.netloc not in ("testserver", "127.0.0.1", "localhost"):
        return None
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if not parts.path.startswith(prefix):
        raise SystemExit(f"{url} is not under STATIC_URL ({prefix})")
    name = parts.path[len(prefix) :]
    found = finders.find(name) or finders.find(HASHED.sub(r"\1", name))
    if not found:
        raise SystemExit(f"{url}: no such static file")
    return Path(found).read_bytes()


def weigh(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content
    parser = Assets()
    parser.feed(html.decode())
    row = {"url": url, "html raw": len(html), "html": gz(html), "css": 0, "js": 0, "files": []}
    for kind, urls in (("css", parser.css), ("js", parser.js)):
        for asset in dict.fromkeys(urls):  # each file once
            data = static_file(asset)
            if data is None:
                row["files"].append(f"{asset} (another site, not counted)")
                continue
            row[kind] += gz(data)
            row["files"].append(f"{asset} {len(data):,} → {gz(data):,}")
    row["total"] = row["html"] + row["css"] + row["js"]
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=3000)
    parser.add_argument("--near", default="55404")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the files counted")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="recoverymap-bench-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoverymap.settings")
    os.environ["GEOCODER"] = ""  # never the network
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    call_command("load_places", verbosity=0)
    call_command("seed_demo", meetings=args.meetings, seed=1, verbosity=0)

    from meetings.models import Meeting

    client = Client()
    meeting = Meeting.objects.public().order_by("pk").first()
    pages = [
        ("home", "/", True),
        ("results", f"/meetings/?near={args.near}", True),
        ("meeting", meeting.get_absolute_url(), True),
        ("results as a map", f"/meetings/?near={args.near}&view=map", False),
    ]
    rows = [(name, weigh(client, url), counted) for name, url, counted in pages]

    print()
    print(f"Page weight: gzip level 6, bytes; {args.meetings:,} demo meetings")
    print()
    print("| page | URL | HTML | CSS | JS | total | target ≤ 61,440 |")
    print("|---|---|---|---|---|---|---|")
    misses = []
    for name, r, counted in rows:
        verdict = "—"
        if counted:
            verdict = "met" if r["total"] <= TARGET_BYTES else "MISSED"
            if r["total"] > TARGET_BYTES:
                misses.append(name)
        print(
            f"| {name} | `{r['url']}` | {r['html']:,} | {r['css']:,} | {r['js']:,} | "
            f"{r['total']:,} | {verdict} |"
        )
    print("The map page is for information: it alone loads Leaflet (map tiles not counted).")
    if args.verbose:
        for name, r, _counted in rows:
            print(f"\n{name}: HTML {r['html raw']:,} → {r['html']:,}")
            for line in r["files"]:
                print("  " + line)
    print()
    print("all targets met" if not misses else "MISSED " + ", ".join(misses))
    if misses:
        sys.exit(1)


if __name__ == "__main__":
    main()
