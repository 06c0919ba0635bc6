"""``make screenshots``: both sides of a handover, mid-conversation, as PNGs for the docs.

Not collected by ``pytest tests`` (no ``test_`` file prefix); run explicitly:
``pytest tests/browser/screenshots.py``. Writes docs/img/customer-chat.png and
docs/img/agent-console.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.desk import Desk
from tests.browser.test_handover import console_page, customer_page, lines, say

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_screenshots_of_both_pages_mid_conversation(browser: Any, desk: Desk) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    customer_ctx = browser.new_context(viewport={"width": 520, "height": 760})
    agent_ctx = browser.new_context(viewport={"width": 1180, "height": 720})
    try:
        customer = customer_page(customer_ctx, desk.emulator.url, "alice-42")
        # Someone else is waiting too, so the list shows more than one customer.
        desk.emulator.customer_says("Can I speak to a person?", user_id="ben-17", bot_id="bot-1")
        agent = console_page(agent_ctx, desk.console_url)

        say(customer, "Where is my order #1234?")
        say(customer, "I'd like to talk to a human")
        agent.get_by_role("list", name="Conversations").get_by_role(
            "button", name=re.compile("alice-42")
        ).click()
        expect(lines(customer, "system")).to_have_count(1)
        agent.get_by_label("Reply").fill("Hi, I'm Dana. Let me look up order #1234 for you.")
        agent.get_by_role("button", name="Send", exact=True).click()
        expect(lines(customer, "agent")).to_have_count(1)
        say(customer, "Thank you! It was due on Monday.")
        transcript = agent.get_by_role("log", name="Transcript")
        expect(transcript.locator('[data-sender="customer"]')).to_have_count(1)
        agent.get_by_label("Reply").press_sequentially("I can see it left our warehouse")
        expect(customer.get_by_role("status")).to_contain_text("typing")

        customer.screenshot(path=str(IMAGES / "customer-chat.png"))
        agent.screenshot(path=str(IMAGES / "agent-console.png"))
    finally:
        customer_ctx.close()
        agent_ctx.close()
