"""A Botcopy handover webhook as a plain WSGI app, served by the standard library.

Install: ``pip install botcopy-handover``
Run: ``BOTCOPY_ACCESS_TOKEN=... python examples/webhook_wsgi.py [PORT]``
In production serve the same app with gunicorn or mod_wsgi. The app answers
on any path.
"""

from __future__ import annotations

import logging
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.webhook import wsgi_app

desk = logging.getLogger("desk")


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        desk.debug(format, *args)


def on_handover(event: HandoverRequest) -> Reply:
    # A real proxy opens a ticket in its desk here, with the conversation so far.
    desk.info(
        "new ticket for %s: %r (%d earlier messages)", event.user_id, event.text, len(event.history)
    )
    return Pause(minutes=30)


def on_customer_message(event: CustomerMessage) -> Reply:
    if event.text.strip().lower() == "bye":
        desk.info("%s said goodbye: ticket closed", event.user_id)
        return End()
    desk.info("%s wrote: %r", event.user_id, event.text)
    return Pause(minutes=30)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        webhook = Webhook()  # the token(s) from BOTCOPY_ACCESS_TOKEN
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8000"))
    app = wsgi_app(webhook, on_handover, on_customer_message)
    with make_server("127.0.0.1", port, app, ThreadingWSGIServer, QuietHandler) as server:
        desk.info("serving on http://127.0.0.1:%d", port)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
