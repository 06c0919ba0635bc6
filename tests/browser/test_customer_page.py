"""The emulator's chat page on its own: the agent's profile, and reconnecting after a drop."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from playwright.sync_api import expect

from botcopy_handover import Client
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.browser.test_handover import lines

# The console's server side is tested on every Python (tests/console); what the
# browser adds, the page in Chromium, is the same whichever Python serves it.
pytestmark = pytest.mark.python_independent


def test_the_agent_line_shows_the_name_and_the_avatar_or_its_initial(context: Any) -> None:
    with BotcopyEmulator() as emulator:
        page = context.new_page()
        page.goto(f"{emulator.url}/?user=erin&bot=bot-1")
        expect(page.locator("#connection")).to_have_attribute("data-state", "open")
        with Client(api_key=emulator.api_key, base_url=emulator.url) as client:
            # An avatar that cannot load falls back to the name's initial.
            client.pause(
                "erin",
                "bot-1",
                agent_name="Zoe",
                agent_avatar_url=f"{emulator.url}/static/no-such-avatar.png",
            )
            client.send_message("erin", "bot-1", "Hello from Zoe")
        agent = lines(page, "agent")
        expect(agent).to_have_count(1)
        expect(agent.locator(".who")).to_have_text("Zoe")
        expect(agent.locator(".avatar")).to_have_text("Z")
        expect(page.locator("#who")).to_have_text("Chatting with Zoe")
        page.close()


def test_the_page_reconnects_when_the_connection_drops(context: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    page = context.new_page()
    with BotcopyEmulator(port=port) as first:
        page.goto(f"{first.url}/?user=fay&bot=bot-1")
        expect(page.locator("#connection")).to_have_attribute("data-state", "open")
        first.customer_says("hello", user_id="fay")
        expect(lines(page, "customer")).to_have_text(["hello"])
    expect(page.locator("#connection")).to_have_attribute("data-state", "closed")
    with BotcopyEmulator(port=port) as second:
        expect(page.locator("#connection")).to_have_attribute("data-state", "open")
        # A new emulator knows nothing: the page shows its state, then its news.
        expect(lines(page, "customer")).to_have_count(0)
        second.customer_says("back again", user_id="fay")
        expect(lines(page, "customer")).to_have_text(["back again"])
    page.close()
