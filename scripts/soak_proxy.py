"""The proxy ``make soak`` runs: Botcopy's webhook in, an echo agent, pushes out.

Built like examples/demo_proxy.py from the SDK's parts (``Webhook.asgi_app``
in, ``AsyncClient`` out), with an agent that answers every customer message
with ``echo <the message>`` after the webhook has replied ``Pause``. It keeps
no per-message state (the soak measures its memory): only counters and the
pushes the SDK reported as failed, which scripts/soak.py reads from
``GET /soak/status`` and ``GET /soak/failures`` to tell a lost message that
was reported from one lost silently.

Settings come from the environment: ``BOTCOPY_ACCESS_TOKEN`` (webhook calls),
``BOTCOPY_API_KEY`` and ``BOTCOPY_BASE_URL`` (pushes).

Run: ``python scripts/soak_proxy.py --port 8000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from botcopy_handover import (
    AsyncClient,
    BotcopyError,
    CustomerMessage,
    HandoverRequest,
    Pause,
    Reply,
    Webhook,
)
from botcopy_handover.webhook import asgi_app

MINUTES = 60
logger = logging.getLogger("soak_proxy")


class EchoDesk:
    """An agent that echoes each customer message back through the push client."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self.tasks: set[asyncio.Task[None]] = set()
        self.pushed = 0
        self.failures: list[dict[str, Any]] = []

    def later(self, job: Coroutine[Any, Any, None]) -> None:
        """Push after the webhook has answered, never inside Botcopy's 5 s."""
        task = asyncio.create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def on_handover(self, event: HandoverRequest) -> Reply:
        """Step One: pause the bot and echo the message that asked for a human."""
        self.later(self.echo(event.user_id, event.bot_id, event.text or ""))
        return Pause(minutes=MINUTES)

    async def on_customer_message(self, event: CustomerMessage) -> Reply:
        """Step Two: keep the bot paused and echo the message."""
        self.later(self.echo(event.user_id, event.bot_id, event.text))
        return Pause(minutes=MINUTES)

    async def echo(self, user_id: str, bot_id: str, text: str) -> None:
        """Push ``echo <text>``; record a failure the SDK reports, and anything else."""
        try:
            await self.client.send_message(user_id, bot_id, f"echo {text}", minutes_paused=MINUTES)
        except BotcopyError as exc:
            self.failures.append(
                {
                    "text": text,
                    "error": type(exc).__name__,
                    "maybeDelivered": getattr(exc, "maybe_delivered", None),
                    "sdkError": True,
                }
            )
        except Exception as exc:
            # Outside the SDK's promise: scripts/soak.py reports it as a finding.
            logger.exception("push raised outside BotcopyError")
            self.failures.append({"text": text, "error": type(exc).__name__, "sdkError": False})
        else:
            self.pushed += 1


_Message = MutableMapping[str, Any]


class Timed:
    """Wraps an ASGI app: the slowest time from the call reaching the app to its answer.

    Botcopy's clock (the emulator's) also counts the time a call waits before
    the app sees it (the listen queue, a busy event loop); this one does not,
    so the two together tell where a slow answer spent its time.
    """

    def __init__(self, app: Callable[[_Message, Any, Any], Awaitable[None]]) -> None:
        self.app = app
        self.slowest = 0.0
        self.over_5s = 0

    async def __call__(self, scope: _Message, receive: Any, send: Any) -> None:
        """Run the wrapped app, timing it up to the start of its answer."""
        started = time.perf_counter()

        async def timed_send(message: _Message) -> None:
            if message["type"] == "http.response.start":
                took = time.perf_counter() - started
                self.slowest = max(self.slowest, took)
                self.over_5s += took >= 5.0
            await send(message)

        await self.app(scope, receive, timed_send)


def build_app() -> Starlette:
    """The proxy: the webhook under /botcopy, its counters under /soak/."""
    client = AsyncClient()
    desk = EchoDesk(client)
    botcopy = asgi_app(Webhook(), desk.on_handover, desk.on_customer_message)
    timed = Timed(botcopy)

    async def status(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "busy": len(desk.tasks),
                "pushed": desk.pushed,
                "failed": len(desk.failures),
                "slowestInApp": round(timed.slowest, 4),
                "inAppOver5s": timed.over_5s,
            }
        )

    async def failures(request: Request) -> JSONResponse:
        return JSONResponse(desk.failures)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with client:
            yield
            await botcopy.endpoint.drain()

    return Starlette(
        routes=[
            Route("/botcopy", timed),
            Route("/soak/status", status),
            Route("/soak/failures", failures),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    """Serve the proxy on loopback until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="proxy: %(message)s")
    uvicorn.run(build_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
