"""Whole feeds kept complete, compressed, and answered again for nothing.

The national feed (/api/meetings.json without parameters) is some 200 MB and five
seconds of a CPU at a quarter of a million meetings; the HSDS pages and every filtered
feed cost less but the same way. Anyone could keep a server busy by asking again, so
each one is kept once built:

- Under the listings' version (``meetings.listings``): any change to a listing gives
  new keys, so a kept feed is never stale, and the old one expires on its own.
- gzip-compressed (level 1: a fifth of the size for a fraction of the building time),
  in parts of ``PART_BYTES`` written as the feed streams out, so no process ever holds
  the whole of it. Its *manifest* is written last: a feed cut off midway (a database
  error after the first byte, a client gone) has no manifest and is never served.
- A client that accepts gzip gets the kept bytes as they are (``Content-Encoding:
  gzip``); any other gets them decompressed as they stream.
- Its ETag is its key (the version and the search): ``If-None-Match`` is answered 304
  from one cache read, without the database.
- One builder at a time: the first request to miss takes a lock (a cache ``add``);
  the others meanwhile serve the previous version's copy if there is one, or wait for
  the builder (while its lock is held, at most ``WAIT_SECONDS``), then build themselves
  only if it never finished. With the cache down there is no lock to wait on: each
  request builds, as it did before.
"""

import hashlib
import time
import zlib
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse

from meetings.listings import listings_version

PART_BYTES = 4 * 2**20
GZIP_LEVEL = 1
LOCK_SECONDS = 120
WAIT_SECONDS = 30
POLL_SECONDS = 0.2
# Decompressed for a client that does not accept gzip, at most this many bytes of input
# at a time.
READ_BYTES = 2**20


def accepts_gzip(request) -> bool:
    for coding in request.headers.get("Accept-Encoding", "").split(","):
        name, _semicolon, params = coding.strip().partition(";")
        if name.strip().lower() in {"gzip", "*"}:
            q = params.strip().lower()
            return not (q.startswith("q=") and q[2:].strip() in {"0", "0.0", "0.00", "0.000"})
    return False


def _etag_matches(request, etag: str) -> bool:
    asked = request.headers.get("If-None-Match", "")
    if asked.strip() == "*":
        return True
    # Weak comparison (RFC 9110 13.1.2): W/ is ignored.
    tags = {tag.strip().removeprefix("W/") for tag in asked.split(",")}
    return etag.removeprefix("W/") in tags


class KeptFeed:
    """A feed of ``kind`` ("feed", "hsds") asked as ``words`` (everything its body
    depends on but the listings: the search as validated, the language, the site's
    address, the day), under the listings' current version."""

    def __init__(self, kind: str, words: Iterable, *, content_type: str):
        self.digest = hashlib.sha256(repr(tuple(words)).encode()).hexdigest()
        self.version = str(listings_version())
        self.kind = kind
        self.content_type = content_type
        self.key = self._key(self.version)
        self.lock_key = f"{self.key}:building"
        self.latest_key = f"listings:{kind}:latest:{self.digest}"
        self.etag = self._etag(self.version)

    def _key(self, version: str) -> str:
        return f"listings:{self.kind}:{version}:{self.digest}"

    def _etag(self, version: str) -> str:
        return f'W/"{self.kind}-{version}-{self.digest[:16]}"'

    # -- answering ---------------------------------------------------------------------

    def not_modified(self, request, etag: str | None = None) -> HttpResponse | None:
        """The 304 when the client holds this version already."""
        etag = etag or self.etag
        if not _etag_matches(request, etag):
            return None
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response

    def kept(self, request) -> HttpResponse | None:
        """This version's copy, when one is complete in the cache."""
        return self._serve(request, cache.get(self.key))

    def previous(self, request) -> HttpResponse | None:
        """The last complete copy of an earlier version (while another process builds
        this one)."""
        manifest = cache.get(self.latest_key)
        if not manifest or manifest.get("version") == self.version:
            return None
        return self.not_modified(request, manifest["etag"]) or self._serve(request, manifest)

    def wait(self, request) -> HttpResponse | None:
        """Wait while another process builds this version; its copy once it is kept."""
        deadline = time.monotonic() + WAIT_SECONDS
        while cache.get(self.lock_key) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            if found := self.kept(request):
                return found
        return self.kept(request)

    def claim(self) -> bool:
        """Take the lock of building this version (False when another process has it,
        or when the cache is down)."""
        return bool(cache.add(self.lock_key, 1, LOCK_SECONDS))

    def _serve(self, request, manifest) -> HttpResponse | None:
        if not manifest:
            return None
        keys = [f"{self._key(manifest['version'])}:part:{n}" for n in range(manifest["parts"])]
        if len(keys) == 1:
            data = cache.get(keys[0])
            if data is None:
                return None
            if accepts_gzip(request):
                response = HttpResponse(data, content_type=self.content_type)
                response["Content-Encoding"] = "gzip"
            else:
                response = HttpResponse(
                    zlib.decompress(data, wbits=31), content_type=self.content_type
                )
        else:
            if not all(cache.has_key(key) for key in keys):
                return None  # a part evicted: built again
            parts = _parts(keys)
            if accepts_gzip(request):
                response = StreamingHttpResponse(parts, content_type=self.content_type)
                response["Content-Encoding"] = "gzip"
            else:
                response = StreamingHttpResponse(
                    _decompressed(parts), content_type=self.content_type
                )
        response["ETag"] = manifest["etag"]
        return response

    # -- keeping -----------------------------------------------------------------------

    def keep(self, pieces: Iterable[bytes], *, locked: bool) -> Iterator[bytes]:
        """Pass the feed's pieces through, keeping them compressed; the manifest is
        written only once the last piece is out. The lock (if ``locked``) is let go at
        the end, whether or not the feed was complete."""
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        buffer = bytearray()
        parts = size = 0
        timeout = settings.LISTINGS_CACHE_SECONDS

        def write(data: bytes) -> None:
            nonlocal parts
            cache.set(f"{self.key}:part:{parts}", data, timeout)
            parts += 1

        try:
            for piece in pieces:
                size += len(piece)
                buffer += compressor.compress(piece)
                while len(buffer) >= PART_BYTES:
                    write(bytes(buffer[:PART_BYTES]))
                    del buffer[:PART_BYTES]
                yield piece
            buffer += compressor.flush()
            for start in range(0, len(buffer), PART_BYTES):
                write(bytes(buffer[start : start + PART_BYTES]))
            manifest = {"version": self.version, "etag": self.etag, "parts": parts, "size": size}
            cache.set(self.key, manifest, timeout)
            cache.set(self.latest_key, manifest, timeout)
        finally:
            if locked:
                cache.delete(self.lock_key)


def _parts(keys: list[str]) -> Iterator[bytes]:
    for key in keys:
        part = cache.get(key)
        if part is None:  # evicted since it was looked for: the response is cut, not wrong
            raise RuntimeError("A part of a kept feed expired while it was being sent.")
        yield part


def _decompressed(parts: Iterable[bytes]) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(wbits=31)
    for part in parts:
        for start in range(0, len(part), READ_BYTES):
            if data := decompressor.decompress(part[start : start + READ_BYTES]):
                yield data
    if rest := decompressor.flush():
        yield rest
