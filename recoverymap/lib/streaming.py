"""Streamed responses that fail before their first byte, never halfway through.

A streamed response's status line and headers go out with its first piece. Were that
piece made without the database (a feed's opening ``[``), an outage would show only
after the 200 and its ``Cache-Control: public`` had gone out: the client (or a cache in
between) would get a truncated body dressed as a good answer. ``started_stream`` makes
the first piece inside the view instead, so a database error there becomes the 503 page
with ``Retry-After`` (recoverymap.middleware), like every other page. Streams must put
their first database work into their first piece.

An error after the first byte can no longer change the status: the exception ends the
response, and the server drops the connection without the final empty chunk, so HTTP
caches see an incomplete body and keep nothing. Anything that keeps a stream itself
(the feed's own cache) keeps it only once the last piece is out.
"""

import itertools
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse


def started_stream(pieces: Iterable) -> Iterator:
    """``pieces`` with the first one already made (see the module's docstring)."""
    pieces = iter(pieces)
    first = next(pieces, None)
    if first is None:
        return iter(())
    return itertools.chain([first], pieces)


def streamed_response(pieces: Iterable, **kwargs) -> StreamingHttpResponse:
    """A ``StreamingHttpResponse`` of ``pieces``, its first piece made before it returns."""
    return StreamingHttpResponse(started_stream(pieces), **kwargs)
