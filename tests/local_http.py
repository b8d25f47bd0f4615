"""A tiny HTTP server on 127.0.0.1 in a thread, standing in for feeds and geocoders so
tests never touch the internet."""

import contextlib
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (status, content type, body) for a request path; the handler also sees the headers.
Responder = Callable[[str, dict], tuple[int, str, bytes]]


@contextlib.contextmanager
def serving(respond: Responder):
    """Serve ``respond`` at a free port; yields (base URL, list of requests seen as
    (path, headers))."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            headers = dict(self.headers)
            seen.append((self.path, headers))
            status, content_type, body = respond(self.path, headers)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
