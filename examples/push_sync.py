"""Talk to a customer as a live agent: join, type, answer, hand back to the bot.

Reads the API key from ``BOTCOPY_API_KEY`` and Botcopy's address from
``BOTCOPY_BASE_URL`` (default ``https://api.botcopy.com``; point it at the
local emulator to try this without an account).

Run: ``python examples/push_sync.py USER_ID BOT_ID``
"""

from __future__ import annotations

import logging
import sys
import time

from botcopy_handover import APIError, Client, ConfigurationError


def agent_types_an_answer() -> str:
    """Stands in for a human typing in the desk's console."""
    time.sleep(0.2)
    return "Your order 1042 shipped this morning; it arrives Thursday."


def main(user_id: str, bot_id: str) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        client = Client(minutes_paused=30)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with client:
        chat = client.conversation(user_id, bot_id)
        try:
            chat.pause(agent_name="Dana", agent_avatar_url="https://example.com/dana.png")
            chat.send_message("Hi, I'm Dana. Let me look that up for you.")
            with chat.typing(interval=0.05):  # 9 s by default; short here for the demo
                answer = agent_types_an_answer()
            result = chat.send_message(answer)
            print(f"sent {result.event.event_type} in {result.attempts} attempt(s)")
            chat.resume(unpause_event="none")
        except APIError as exc:
            print(f"push failed: {exc}", file=sys.stderr)
            return 1
    print(f"handed {user_id} back to the bot")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
