"""Serve many customers at once from asyncio, with the faster aiohttp transport if installed.

Reads ``BOTCOPY_API_KEY`` and ``BOTCOPY_BASE_URL`` like ``push_sync.py``.

Run: ``python examples/push_async.py BOT_ID USER_ID [USER_ID ...]``
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys

from botcopy_handover import APIError, AsyncClient, AsyncConversation, ConfigurationError

TRANSPORT = "aiohttp" if importlib.util.find_spec("httpx_aiohttp") else "httpx"


async def agent_reply(user_id: str) -> str:
    """Stands in for an agent (or an LLM) taking a moment to answer."""
    await asyncio.sleep(0.1)
    return f"Thanks for waiting, {user_id}. A colleague will follow up by email."


async def serve(chat: AsyncConversation) -> str:
    await chat.pause(agent_name="Dana")
    async with chat.typing(interval=0.05):  # re-sent every 9 s by default
        answer = await agent_reply(chat.user_id)
    await chat.send_message(answer)
    await chat.resume()
    return chat.user_id


async def main(bot_id: str, user_ids: list[str]) -> int:
    try:
        client = AsyncClient(transport="aiohttp" if TRANSPORT == "aiohttp" else None)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    async with client:
        chats = [client.conversation(user_id, bot_id) for user_id in user_ids]
        results = await asyncio.gather(*(serve(chat) for chat in chats), return_exceptions=True)
    failed = 0
    for user_id, outcome in zip(user_ids, results, strict=True):
        if isinstance(outcome, APIError):
            failed += 1
            print(f"{user_id}: push failed: {outcome}", file=sys.stderr)
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            print(f"{user_id}: answered and handed back to the bot ({client.transport})")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2:])))
