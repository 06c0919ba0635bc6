"""What customers write is shown as text in both pages, and runs nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.desk import Desk
from tests.browser.test_handover import console_page, customer_page, say

# The console's server side is tested on every Python (tests/console); what the
# browser adds, the page in Chromium, is the same whichever Python serves it.
pytestmark = pytest.mark.python_independent

HOSTILE = '<img src=x onerror="window.__pwned = 1"> human <script>window.__pwned = 2</script>'
FOLLOW_UP = '<b>bold?</b><img src=y onerror="window.__pwned = 3">'


def test_hostile_text_shows_as_text_and_runs_nothing_in_both_pages(
    context: Any, desk: Desk
) -> None:
    customer = customer_page(context, desk.emulator.url, "mallory")
    agent = console_page(context, desk.console_url)

    say(customer, HOSTILE)
    entry = agent.get_by_role("list", name="Conversations").get_by_role(
        "button", name=re.compile("mallory")
    )
    entry.click()
    transcript = agent.get_by_role("log", name="Transcript")
    expect(transcript.locator(".history")).to_contain_text(HOSTILE)
    say(customer, FOLLOW_UP)
    expect(transcript.locator('[data-sender="customer"] .bubble')).to_have_text([FOLLOW_UP])

    conversation = customer.get_by_role("log", name="Conversation")
    expect(conversation.locator('[data-sender="customer"]')).to_have_text([HOSTILE, FOLLOW_UP])
    for page, log in ((customer, conversation), (agent, transcript)):
        assert log.locator("img, script, b").count() == 0
        assert page.evaluate("window.__pwned") is None


def test_the_console_refuses_actions_without_its_csrf_token(desk: Desk) -> None:
    import httpx

    body = {"bot": "bot-1", "user": "nobody", "agent": "Eve", "text": "hi"}
    with httpx.Client(base_url=desk.console_url) as http:
        missing = http.post("/api/reply", json=body)
        forged = http.post("/api/reply", json=body, headers={"x-csrf-token": "0" * 64})
        page = http.get("/")
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert token is not None
        other_site = http.post(
            "/api/reply",
            json=body,
            headers={"x-csrf-token": token.group(1), "origin": "http://evil.example"},
        )
        right = http.post("/api/reply", json=body, headers={"x-csrf-token": token.group(1)})
    assert [missing.status_code, forged.status_code, other_site.status_code] == [403, 403, 403]
    assert right.status_code == 404  # accepted, and there is no such conversation
    assert "content-security-policy" in page.headers
