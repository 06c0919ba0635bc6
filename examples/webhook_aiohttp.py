"""A Botcopy handover webhook on aiohttp: hand customers to a (pretend) help desk.

Install: ``pip install botcopy-handover[aiohttp]``
Run: ``BOTCOPY_ACCESS_TOKEN=... python examples/webhook_aiohttp.py [PORT]``
then set the portal's handover webhook to ``http://<your host>:PORT/botcopy``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiohttp import web

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.integrations.aiohttp import add_webhook_route

desk = logging.getLogger("desk")


async def forward_to_desk(user_id: str, text: str | None) -> None:
    """Stands in for your desk's API; give real calls a timeout below the reply deadline."""
    await asyncio.sleep(0.01)


async def on_handover(event: HandoverRequest) -> Reply:
    await forward_to_desk(event.user_id, event.text)
    desk.info(
        "new ticket for %s: %r (%d earlier messages)", event.user_id, event.text, len(event.history)
    )
    return Pause(minutes=30)


async def on_customer_message(event: CustomerMessage) -> Reply:
    if event.text.strip().lower() == "bye":
        desk.info("%s said goodbye: ticket closed", event.user_id)
        return End()
    await forward_to_desk(event.user_id, event.text)
    desk.info("%s wrote: %r", event.user_id, event.text)
    return Pause(minutes=30)


def create_app(webhook: Webhook) -> web.Application:
    app = web.Application()
    add_webhook_route(app, webhook, on_handover, on_customer_message, path="/botcopy")
    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        webhook = Webhook()  # the token(s) from BOTCOPY_ACCESS_TOKEN
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8000"))
    web.run_app(create_app(webhook), host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
