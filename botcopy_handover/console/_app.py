"""The console's ASGI app: Botcopy's webhook at ``/botcopy``, the agents' UI at ``/``.

Built only from the SDK's public API: :class:`~botcopy_handover.Webhook` (with
the Starlette route) answers Step One and Two, an
:class:`~botcopy_handover.AsyncClient` pushes what agents do, a conversation
store (memory, or :class:`~botcopy_handover.state.redis.AsyncRedisStore`)
records pauses for both, an :class:`~botcopy_handover.AsyncExpiryWatcher`
warns before a pause lapses, and
:func:`~botcopy_handover.render_transcript` renders the Step One history.

=====================================  =============================================
route                                  does
=====================================  =============================================
``POST /botcopy``                      Botcopy's webhook (Step One and Step Two)
``GET  /``                             the console (or the login page)
``GET|POST /login``, ``POST /logout``  the shared-secret login (``--host`` only)
``GET  /api/conversations``            waiting and active conversations
``GET  /api/conversation?bot=&user=``  one conversation: history, lines, pause expiry
``POST /api/{action}``                 ``open``, ``reply``, ``typing``, ``handback``, ``end``
``WS   /api/live``                     ``{"bot", "user"}`` whenever a conversation changes
=====================================  =============================================
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from botcopy_handover import (
    APIError,
    AsyncClient,
    AsyncConversation,
    AsyncConversationStore,
    AsyncExpiryWatcher,
    BotcopyError,
    ConfigurationError,
    Continue,
    CustomerMessage,
    ExpiryNotice,
    HandoverRequest,
    MemoryStore,
    Pause,
    Reply,
    Webhook,
    render_transcript,
)
from botcopy_handover.console._auth import SESSION_COOKIE, Guard
from botcopy_handover.console._log import ChatLine, ChatLog, MemoryChatLog, RedisChatLog, now_ms
from botcopy_handover.integrations.starlette import webhook_route

__all__ = ["ConsoleConfig", "create_app"]

logger = logging.getLogger("botcopy_handover.console")

STATIC_DIR = Path(__file__).parent / "static"
_MAX_TEXT = 4000
_MAX_NAME = 80
_MAX_ID = 200
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_SECURITY_HEADERS = {
    "content-security-policy": _CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class ConsoleConfig:
    """How a console runs.

    Attributes:
        access_tokens: The tokens Botcopy's webhook calls must carry (``None``:
            ``BOTCOPY_ACCESS_TOKEN``).
        api_key: The push API key (``None``: ``BOTCOPY_API_KEY``).
        base_url: Botcopy's address (``None``: ``BOTCOPY_BASE_URL``, else Botcopy's).
        redis_url: Share conversations with other console processes through this Redis.
        redis_prefix: Namespace of the console's and the store's keys.
        login_secret: The agents' shared secret; ``None`` serves without a login
            (only allowed on loopback: the command enforces it).
        minutes_paused: How long a pause lasts without a message.
        warn_before: How long before a pause lapses the agent is warned.
        expiry_interval: Seconds between two looks for pauses about to lapse.
        typing_idle: Seconds after the agent's last keystroke that the typing
            indicator stops being kept up.

    """

    access_tokens: str | list[str] | None = None
    api_key: str | None = None
    base_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "botcopy:"
    login_secret: str | None = None
    minutes_paused: int = 10
    warn_before: timedelta = timedelta(minutes=1)
    expiry_interval: float = 5.0
    typing_idle: float = 6.0

    def __repr__(self) -> str:
        return (
            f"ConsoleConfig(base_url={self.base_url!r}, redis={self.redis_url is not None}, "
            f"login={self.login_secret is not None}, minutes_paused={self.minutes_paused})"
        )


class _Typing:
    """The typing keepalives this process keeps up, one per conversation."""

    def __init__(self, idle: float) -> None:
        self._idle = idle
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._last: dict[tuple[str, str], float] = {}

    def poke(self, chat: AsyncConversation) -> None:
        key = (chat.bot_id, chat.user_id)
        loop = asyncio.get_running_loop()
        self._last[key] = loop.time()
        task = self._tasks.get(key)
        if task is None or task.done():
            self._tasks[key] = loop.create_task(self._keep(chat, key))

    async def _keep(self, chat: AsyncConversation, key: tuple[str, str]) -> None:
        loop = asyncio.get_running_loop()
        # The SDK's keepalive: one indicator now, again every 9 s, until the block ends.
        async with chat.typing():
            # Sleeps until the idle time since the last keystroke has passed.
            while (left := self._idle - (loop.time() - self._last.get(key, 0.0))) > 0:  # noqa: ASYNC110
                await asyncio.sleep(left)

    async def stop(self, key: tuple[str, str]) -> None:
        task = self._tasks.pop(key, None)
        self._last.pop(key, None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop_all(self) -> None:
        for key in list(self._tasks):
            await self.stop(key)


class _Console:
    """The console's state and handlers, for one process."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.store: AsyncConversationStore | MemoryStore
        self.log: ChatLog
        if config.redis_url:
            from botcopy_handover.state.redis import AsyncRedisStore

            self.store = AsyncRedisStore(url=config.redis_url, prefix=config.redis_prefix)
            self.log = RedisChatLog(config.redis_url, prefix=config.redis_prefix)
        else:
            self.store = MemoryStore()
            self.log = MemoryChatLog()
        self.webhook = Webhook(config.access_tokens, store=self.store)
        self.client = AsyncClient(
            config.api_key,
            base_url=config.base_url,
            minutes_paused=config.minutes_paused,
            store=self.store,
        )
        signing = config.login_secret or self.client_key_material(config)
        self.guard = Guard(signing, config.login_secret)
        self.watcher = AsyncExpiryWatcher(
            self.store,
            self.on_expiry,
            warn_before=config.warn_before,
            interval=config.expiry_interval,
        )
        self.typing = _Typing(config.typing_idle)
        self._chats: dict[tuple[str, str], AsyncConversation] = {}

    @staticmethod
    def client_key_material(config: ConsoleConfig) -> str:
        import os

        key = config.api_key or os.environ.get("BOTCOPY_API_KEY", "")
        if not key:
            raise ConfigurationError("No API key: pass api_key= or set BOTCOPY_API_KEY")
        return key

    def chat(self, bot_id: str, user_id: str) -> AsyncConversation:
        key = (bot_id, user_id)
        if key not in self._chats:
            self._chats[key] = self.client.conversation(user_id, bot_id)
        return self._chats[key]

    async def changed(self, bot_id: str, user_id: str) -> None:
        await self.log.publish(bot_id, user_id)

    # -- Botcopy's webhook ---------------------------------------------------

    async def on_handover(self, event: HandoverRequest) -> Reply:
        await self.log.start(event.bot_id, event.user_id, render_transcript(event, "html"))
        await self.changed(event.bot_id, event.user_id)
        return Pause(self.config.minutes_paused)

    async def on_customer_message(self, event: CustomerMessage) -> Reply:
        record = await self.log.get(event.bot_id, event.user_id)
        if record is None or record.status == "closed":
            return Continue()  # nobody here has this chat: the bot answers
        await self.log.add_line(
            event.bot_id, event.user_id, ChatLine("customer", event.text, now_ms())
        )
        await self.log.update(event.bot_id, event.user_id, clear_warning=True)
        await self.changed(event.bot_id, event.user_id)
        return Pause(self.config.minutes_paused)

    # -- the expiry watcher ---------------------------------------------------

    async def on_expiry(self, notice: ExpiryNotice) -> None:
        bot_id, user_id = notice.state.bot_id, notice.state.user_id
        record = await self.log.get(bot_id, user_id)
        if record is None or record.status == "closed":
            return
        if notice.lapsed:
            note = "The pause lapsed: the bot answers the customer again."
            await self.log.add_line(bot_id, user_id, ChatLine("system", note, now_ms()))
            await self.log.update(bot_id, user_id, status="closed", warning=note)
        else:
            seconds = int(notice.remaining.total_seconds())
            warning = (
                f"The pause lapses in {seconds} s unless a message is sent: reply to keep the chat."
            )
            await self.log.update(bot_id, user_id, warning=warning)
        await self.changed(bot_id, user_id)

    # -- what agents do --------------------------------------------------------

    async def conversation_json(self, bot_id: str, user_id: str) -> dict[str, Any] | None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            return None
        data = record.to_dict()
        # A MemoryStore answers at once; a Redis store is awaited.
        if isinstance(self.store, MemoryStore):
            state = self.store.get(bot_id, user_id)
        else:
            state = await self.store.get(bot_id, user_id)
        expires = state.expires_at if state is not None and state.paused else None
        data["expiresAt"] = expires.isoformat() if expires is not None else None
        data["minutesPaused"] = state.minutes_paused if state is not None else 0
        return data

    async def open(self, bot_id: str, user_id: str, agent: str) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise _NotFoundError
        if record.status == "closed":
            raise _ConflictError("This chat has ended.")
        if record.status == "active" and record.agent == agent:
            return
        # Shows "You are now chatting with an Agent." with the agent's name.
        await self.chat(bot_id, user_id).pause(agent_name=agent)
        await self.log.update(bot_id, user_id, status="active", agent=agent, clear_warning=True)
        await self.log.add_line(
            bot_id, user_id, ChatLine("system", f"{agent} joined the chat.", now_ms())
        )
        await self.changed(bot_id, user_id)

    async def reply(self, bot_id: str, user_id: str, agent: str, text: str) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise _NotFoundError
        if record.status == "closed":
            raise _ConflictError("This chat has ended.")
        if record.status == "waiting" or record.agent != agent:
            await self.open(bot_id, user_id, agent)
        await self.typing.stop((bot_id, user_id))
        await self.chat(bot_id, user_id).send_message(text)  # stops the typing keepalive too
        await self.log.add_line(bot_id, user_id, ChatLine("agent", text, now_ms(), agent))
        await self.log.update(bot_id, user_id, clear_warning=True)
        await self.changed(bot_id, user_id)

    async def set_typing(self, bot_id: str, user_id: str, active: bool) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise _NotFoundError
        if active and record.status == "active":
            self.typing.poke(self.chat(bot_id, user_id))
        else:
            await self.typing.stop((bot_id, user_id))

    async def finish(self, bot_id: str, user_id: str, *, hand_back: bool) -> None:
        record = await self.log.get(bot_id, user_id)
        if record is None:
            raise _NotFoundError
        if record.status == "closed":
            return
        await self.typing.stop((bot_id, user_id))
        chat = self.chat(bot_id, user_id)
        # Hand back: "NAME has left the conversation..." is shown; End: nothing is.
        await chat.resume(unpause_event="default" if hand_back else "none")
        note = "Handed back to the bot." if hand_back else "Chat ended."
        await self.log.add_line(bot_id, user_id, ChatLine("system", note, now_ms()))
        await self.log.update(bot_id, user_id, status="closed", clear_warning=True)
        self._chats.pop((bot_id, user_id), None)
        await self.changed(bot_id, user_id)

    async def aclose(self) -> None:
        await self.typing.stop_all()
        await self.client.aclose()
        await self.log.aclose()
        closer = getattr(self.store, "aclose", None)
        if closer is not None:
            await closer()


class _NotFoundError(Exception):
    pass


class _ConflictError(Exception):
    pass


def _text_field(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _BadRequestError(f"{name} must be a non-empty string")
    if len(value) > limit:
        raise _BadRequestError(f"{name} is longer than {limit} characters")
    return value.strip()


class _BadRequestError(Exception):
    pass


def _page(name: str, **values: str) -> str:
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text


def create_app(config: ConsoleConfig | None = None) -> Starlette:
    """The console's ASGI app (serve it with uvicorn, or ``botcopy-handover console``).

    Raises:
        ConfigurationError: No access token or no API key (from the arguments
            or the environment).

    """
    console = _Console(config or ConsoleConfig())
    guard = console.guard
    route = webhook_route(console.webhook, console.on_handover, console.on_customer_message)

    def refused(request: Request) -> Response | None:
        if not guard.host_ok(request.headers):
            return JSONResponse({"error": "unknown host"}, status_code=421)
        if not guard.session_ok(request.cookies):
            return JSONResponse({"error": "log in first"}, status_code=401)
        return None

    async def home(request: Request) -> Response:
        if not guard.host_ok(request.headers):
            return JSONResponse({"error": "unknown host"}, status_code=421)
        if not guard.session_ok(request.cookies):
            return RedirectResponse("/login", status_code=303)
        body = _page("console.html", csrf=guard.csrf_token(request.cookies))
        return HTMLResponse(body, headers=_SECURITY_HEADERS)

    async def login(request: Request) -> Response:
        if not guard.login_required:
            return RedirectResponse("/", status_code=303)
        error = ""
        if request.method == "POST":
            if not guard.origin_ok(request.headers):
                return JSONResponse({"error": "cross-origin login refused"}, status_code=403)
            # Parsed here: Starlette's form parser needs python-multipart.
            body = await request.body()
            fields = parse_qs(body[:4096].decode("utf-8", "replace"), max_num_fields=5)
            secret = (fields.get("secret") or [""])[0]
            if secret and guard.check_secret(secret):
                response = RedirectResponse("/", status_code=303)
                response.set_cookie(
                    SESSION_COOKIE,
                    guard.new_session(),
                    max_age=guard.session_seconds,
                    httponly=True,
                    samesite="strict",
                    secure=request.url.scheme == "https",
                )
                return response
            error = "That secret is not right."
            await asyncio.sleep(0.5)  # slows guessing a little
        status = 401 if error else 200
        return HTMLResponse(
            _page("login.html", error=error), status_code=status, headers=_SECURITY_HEADERS
        )

    async def logout(request: Request) -> Response:
        if not guard.csrf_ok(request.headers, request.cookies):
            return JSONResponse({"error": "refused"}, status_code=403)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def conversations(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        records = await console.log.open_conversations()
        return JSONResponse([record.summary() for record in records])

    def customer(params: Any) -> tuple[str, str]:
        bot_id, user_id = params.get("bot"), params.get("user")
        if not isinstance(bot_id, str) or not isinstance(user_id, str) or not bot_id or not user_id:
            raise _BadRequestError("bot and user are required")
        if len(bot_id) > _MAX_ID or len(user_id) > _MAX_ID:
            raise _BadRequestError("bot and user ids are limited in length")
        return bot_id, user_id

    async def conversation(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        try:
            bot_id, user_id = customer(request.query_params)
        except _BadRequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        data = await console.conversation_json(bot_id, user_id)
        if data is None:
            return JSONResponse({"error": "no such conversation"}, status_code=404)
        return JSONResponse(data, headers={"cache-control": "no-store"})

    async def action(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        if not guard.csrf_ok(request.headers, request.cookies):
            return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
        name = request.path_params["action"]
        try:
            data = await request.json()
            if not isinstance(data, dict):
                raise _BadRequestError("the body must be a JSON object")
            bot_id, user_id = customer(data)
            if name == "open":
                await console.open(bot_id, user_id, _text_field(data, "agent", _MAX_NAME))
            elif name == "reply":
                agent = _text_field(data, "agent", _MAX_NAME)
                await console.reply(bot_id, user_id, agent, _text_field(data, "text", _MAX_TEXT))
            elif name == "typing":
                await console.set_typing(bot_id, user_id, bool(data.get("active")))
            elif name in ("handback", "end"):
                await console.finish(bot_id, user_id, hand_back=name == "handback")
            else:
                return JSONResponse({"error": "unknown action"}, status_code=404)
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        except _BadRequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except _NotFoundError:
            return JSONResponse({"error": "no such conversation"}, status_code=404)
        except _ConflictError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        except APIError as exc:
            logger.warning("push for %s failed: %s", user_id, exc)
            return JSONResponse({"error": f"Botcopy refused: {exc}"}, status_code=502)
        except BotcopyError as exc:
            logger.warning("console action %s failed: %s", name, exc)
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse({"ok": True})

    async def live(websocket: WebSocket) -> None:
        headers = websocket.headers
        if (
            not guard.host_ok(headers)
            or not guard.session_ok(websocket.cookies)
            or not guard.origin_ok(headers)
        ):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        changes = console.log.changes()

        async def until_closed() -> None:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass

        async def forward() -> None:
            await websocket.send_json({"type": "hello"})
            async for bot_id, user_id in changes:
                await websocket.send_json({"type": "changed", "bot": bot_id, "user": user_id})

        closed = asyncio.ensure_future(until_closed())
        sending = asyncio.ensure_future(forward())
        try:
            await asyncio.wait({closed, sending}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (closed, sending):
                task.cancel()
                with contextlib.suppress(
                    asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError
                ):
                    await task
            with contextlib.suppress(Exception):
                await changes.aclose()  # type: ignore[attr-defined]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await console.log.connect()
        console.watcher.start()
        try:
            async with route.lifespan(app):
                yield
        finally:
            await console.watcher.stop()
            await console.aclose()

    routes: list[BaseRoute] = [
        route,
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/api/conversations", conversations),
        Route("/api/conversation", conversation),
        Route("/api/{action}", action, methods=["POST"]),
        WebSocketRoute("/api/live", live),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]

    async def unavailable(request: Request, exc: Exception) -> Response:
        # A store that is down (StoreUnavailableError) is a clear 503, never a bare 500.
        logger.warning("console request failed: %s", exc)
        return JSONResponse({"error": str(exc)}, status_code=503)

    return Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={BotcopyError: unavailable}
    )
