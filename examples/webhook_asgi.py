"""A Botcopy handover webhook as a plain ASGI app: no web framework at all.

Install: ``pip install botcopy-handover uvicorn``
Run: ``BOTCOPY_ACCESS_TOKEN=... python examples/webhook_asgi.py [PORT]``
(or ``uvicorn`` with any module that builds the app the same way). The app
answers on any path; mount it under ``/botcopy`` in a larger ASGI app.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import uvicorn

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.webhook import asgi_app

desk = logging.getLogger("desk")


async def on_handover(event: HandoverRequest) -> Reply:
    await asyncio.sleep(0.01)  # stands in for opening a ticket in your desk
    desk.info(
        "new ticket for %s: %r (%d earlier messages)", event.user_id, event.text, len(event.history)
    )
    return Pause(minutes=30)


def on_customer_message(event: CustomerMessage) -> Reply:
    # A plain function: it runs in a worker thread, so it may block.
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
    app = asgi_app(webhook, on_handover, on_customer_message)
    uvicorn.run(app, host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
