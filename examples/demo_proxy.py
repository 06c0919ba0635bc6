"""A complete live-chat proxy: Botcopy's webhook in, a (scripted) agent desk, pushes out.

This is the proxy ``make demo`` runs against the local Botcopy emulator. It is
an ASGI app built from the SDK's parts:

* ``POST /botcopy`` is ``Webhook.asgi_app``: verified calls, typed events,
  replies within Botcopy's 5 seconds.
* A scripted agent, Dana, works the desk: she joins when a handover lands
  (pause with her name and avatar), types, answers, and after the customer's
  next message answers again and hands the chat back to the bot.
* Her words reach the customer through ``AsyncClient`` (pause, typing,
  message, resume with ``unpauseChatEvent: "none"``).
* ``GET /desk`` shows the conversation as the agent saw it, as JSON lines.

Settings come from the environment: ``BOTCOPY_ACCESS_TOKEN`` (webhook calls),
``BOTCOPY_API_KEY`` and ``BOTCOPY_BASE_URL`` (pushes).

Run: ``python examples/demo_proxy.py --port 8000`` (needs the ``testing`` extra
for uvicorn and Starlette).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from botcopy_handover import (
    AsyncClient,
    CustomerMessage,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
    render_transcript,
)
from botcopy_handover.webhook import asgi_app

AGENT = "Dana"
AVATAR = "https://example.com/avatars/dana.png"
MINUTES = 10

logger = logging.getLogger("demo_proxy")


class Desk:
    """The agent's side: what she saw, and her scripted answers."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.seen: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def later(self, job: Coroutine[Any, Any, None]) -> None:
        """Run the agent's work after the webhook has answered (never inside the 5 s)."""
        task = asyncio.create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("agent work failed", exc_info=task.exception())

    async def on_handover(self, event: HandoverRequest) -> Reply:
        self.seen.append(f"ticket opened for {event.user_id}; history:")
        self.seen.extend(
            f"  {line}" for line in render_transcript(event, header=False).splitlines()
        )
        self.later(self.join(event.user_id, event.bot_id))
        return Pause(minutes=MINUTES)

    async def on_customer_message(self, event: CustomerMessage) -> Reply:
        self.seen.append(f"customer: {event.text}")
        self.later(self.answer_and_close(event.user_id, event.bot_id))
        return Pause(minutes=MINUTES)

    async def join(self, user_id: str, bot_id: str) -> None:
        chat = self.client.conversation(user_id, bot_id, minutes_paused=MINUTES)
        await chat.pause(agent_name=AGENT, agent_avatar_url=AVATAR)
        self.seen.append(f"{AGENT} joined")
        await chat.typing()
        await asyncio.sleep(0.05)  # Dana types
        await self.say(
            chat.send_message, "Hi, I'm Dana. I can see your order question. Which order?"
        )

    async def answer_and_close(self, user_id: str, bot_id: str) -> None:
        chat = self.client.conversation(user_id, bot_id, minutes_paused=MINUTES)
        await chat.typing()
        await asyncio.sleep(0.05)
        await self.say(
            chat.send_message, "Order 1042 ships tomorrow. Anything else? Handing you back."
        )
        await chat.resume(unpause_event="none")
        self.seen.append(f"{AGENT} handed the chat back to the bot")

    async def say(self, send: Callable[[str], Awaitable[object]], text: str) -> None:
        await send(text)
        self.seen.append(f"{AGENT}: {text}")


def build_app() -> Starlette:
    """The proxy: the webhook under /botcopy, the agent's view under /desk."""
    client = AsyncClient()
    desk = Desk(client)
    webhook = Webhook()
    botcopy = asgi_app(webhook, desk.on_handover, desk.on_customer_message)

    async def show_desk(request: Request) -> JSONResponse:
        return JSONResponse({"seen": desk.seen, "busy": len(desk.tasks)})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with client:
            yield
            await botcopy.endpoint.drain()

    return Starlette(
        routes=[Route("/desk", show_desk), Route("/botcopy", botcopy)], lifespan=lifespan
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="proxy: %(message)s")
    uvicorn.run(build_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
