"""A Botcopy handover webhook on FastAPI: hand customers to a (pretend) help desk.

Install: ``pip install botcopy-handover[fastapi] uvicorn``
Run: ``BOTCOPY_ACCESS_TOKEN=... python examples/webhook_fastapi.py [PORT]``
then set the portal's handover webhook to ``http://<your host>:PORT/botcopy``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sys

import uvicorn
from fastapi import FastAPI

from botcopy_handover import (
    ConfigurationError,
    CustomerMessage,
    End,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.integrations.fastapi import webhook_router

desk = logging.getLogger("desk")


tickets: dict[str, str] = {}
numbers = itertools.count(1001)


async def open_ticket(user_id: str, text: str | None) -> str:
    """Stands in for your desk's API; give real calls a timeout below the reply deadline."""
    await asyncio.sleep(0.01)
    tickets[user_id] = f"TICKET-{next(numbers)}"
    return tickets[user_id]


async def on_handover(event: HandoverRequest) -> Reply:
    ticket = await open_ticket(event.user_id, event.text)
    desk.info(
        "new ticket for %s: %r (%d earlier messages)", event.user_id, event.text, len(event.history)
    )
    desk.info("%s opened", ticket)
    return Pause(minutes=30)


async def on_customer_message(event: CustomerMessage) -> Reply:
    if event.text.strip().lower() == "bye":
        desk.info("%s said goodbye: ticket closed", event.user_id)
        return End()
    desk.info("%s wrote to %s: %r", event.user_id, tickets.get(event.user_id), event.text)
    return Pause(minutes=30)


def create_app(webhook: Webhook) -> FastAPI:
    app = FastAPI()
    app.include_router(webhook_router(webhook, on_handover, on_customer_message))
    return app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        webhook = Webhook()  # the token(s) from BOTCOPY_ACCESS_TOKEN
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8000"))
    uvicorn.run(create_app(webhook), host="127.0.0.1", port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
