"""A Botcopy handover webhook on Flask: hand customers to a (pretend) help desk.

Install: ``pip install botcopy-handover[flask]``
Run: ``BOTCOPY_ACCESS_TOKEN=... python examples/webhook_flask.py [PORT]``
then set the portal's handover webhook to ``http://<your host>:PORT/botcopy``.
"""

from __future__ import annotations

import logging
import os
import sys

from flask import Flask

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.integrations.flask import webhook_blueprint

desk = logging.getLogger("desk")


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


def create_app(webhook: Webhook) -> Flask:
    app = Flask(__name__)
    app.register_blueprint(webhook_blueprint(webhook, on_handover, on_customer_message))
    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        webhook = Webhook()  # the token(s) from BOTCOPY_ACCESS_TOKEN
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8000"))
    create_app(webhook).run(host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
