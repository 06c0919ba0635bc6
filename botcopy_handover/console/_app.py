"""The console's ASGI app: Botcopy's webhook at ``/botcopy``, the agents' UI at ``/``.

The HTTP face of the `Desk`: routes,
the login, CSRF and host checks (``_auth``), the live WebSocket.

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
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from botcopy_handover import APIError, BotcopyError
from botcopy_handover.console._auth import SESSION_COOKIE
from botcopy_handover.console._desk import ConflictError, ConsoleConfig, Desk, NotFoundError
from botcopy_handover.integrations.starlette import webhook_route

__all__ = ["create_app"]

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
    console = Desk(config or ConsoleConfig())
    guard = console.guard
    route = webhook_route(
        console.webhook, console.on_handover, console.on_customer_message, store=console.store
    )

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
        except NotFoundError:
            return JSONResponse({"error": "no such conversation"}, status_code=404)
        except ConflictError as exc:
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
