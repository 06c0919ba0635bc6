"""A whole handover, played in a real browser: the customer's page and the agent's console."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.desk import Desk

# The console's server side is tested on every Python (tests/console); what the
# browser adds, the page in Chromium, is the same whichever Python serves it.
pytestmark = pytest.mark.python_independent

AGENT_JOINED = "You are now chatting with an Agent."


def customer_page(context: Any, emulator_url: str, user: str) -> Any:
    page = context.new_page()
    page.goto(f"{emulator_url}/?user={user}&bot=bot-1")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    return page


def console_page(context: Any, url: str, name: str = "Dana") -> Any:
    page = context.new_page()
    page.goto(f"{url}/")
    page.get_by_label("Your name").fill(name)
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    return page


def say(page: Any, text: str) -> None:
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_label("Message")).to_be_enabled()  # the webhook call is done


def lines(page: Any, sender: str) -> Any:
    return page.get_by_role("log", name="Conversation").locator(f'[data-sender="{sender}"]')


def test_a_whole_handover_across_the_customer_page_and_the_console(
    context: Any, desk: Desk
) -> None:
    customer = customer_page(context, desk.emulator.url, "alice-42")
    agent = console_page(context, desk.console_url)
    conversations = agent.get_by_role("list", name="Conversations")

    say(customer, "Can I talk to a human please?")
    entry = conversations.get_by_role("button", name=re.compile("alice-42"))
    expect(entry).to_contain_text(re.compile(r"waiting \d+:\d\d"))

    entry.click()
    transcript = agent.get_by_role("log", name="Transcript")
    # The Step One history, rendered by the SDK, with what the customer asked.
    expect(transcript.locator(".history")).to_contain_text("Can I talk to a human please?")
    expect(lines(customer, "system")).to_have_text([AGENT_JOINED])
    expect(customer.locator("#who")).to_have_text("Chatting with Dana")
    expect(entry).to_contain_text("with Dana")

    reply = agent.get_by_label("Reply")
    reply.press_sequentially("Hi, I'm Dana")
    expect(customer.get_by_role("status")).to_contain_text("typing")
    agent.get_by_role("button", name="Send", exact=True).click()
    expect(lines(customer, "agent")).to_have_count(1)
    expect(lines(customer, "agent")).to_contain_text("Hi, I'm Dana")
    expect(lines(customer, "agent")).to_contain_text("Dana")
    expect(customer.get_by_role("status")).not_to_contain_text("typing")
    expect(reply).to_have_value("")

    say(customer, "My order never arrived")
    expect(transcript.locator('[data-sender="customer"]')).to_have_text(
        ["CustomerMy order never arrived"]
    )
    expect(agent.locator("#expiry")).to_contain_text(re.compile(r"Pause ends in \d+:\d\d"))

    agent.get_by_role("button", name="Hand back").click()
    expect(lines(customer, "system").last).to_have_text(
        "Dana has left the conversation. You are now chatting with the bot."
    )
    expect(conversations.get_by_role("button")).to_have_count(0)

    bot_lines = lines(customer, "bot").count()
    say(customer, "hello again")
    expect(lines(customer, "bot")).to_have_count(bot_lines + 1)
    assert not desk.emulator.is_paused(user_id="alice-42")
    expect(transcript.locator('[data-sender="customer"]')).to_have_count(1)


def test_the_typing_indicator_goes_after_ten_seconds(context: Any, desk: Desk) -> None:
    from botcopy_handover import Client

    customer = context.new_page()
    # The page's timers run on a clock the test moves on (it also flows as
    # usual): ten seconds pass without being waited for.
    customer.clock.install()
    customer.goto(f"{desk.emulator.url}/?user=bob-7&bot=bot-1")
    expect(customer.locator("#connection")).to_have_attribute("data-state", "open")
    say(customer, "I need a person")
    with Client(api_key=desk.emulator.api_key, base_url=desk.emulator.url) as client:
        client.pause("bob-7", "bot-1", agent_name="Dana")
        client.typing("bob-7", "bot-1")
    status = customer.get_by_role("status")
    expect(status).to_contain_text("Dana is typing")
    customer.clock.run_for(8_000)
    expect(status).to_contain_text("Dana is typing")  # not before its time
    customer.clock.run_for(2_500)
    expect(status).not_to_contain_text("typing")


def test_end_closes_the_chat_without_the_left_line(context: Any, desk: Desk) -> None:
    customer = customer_page(context, desk.emulator.url, "carol-3")
    agent = console_page(context, desk.console_url)
    say(customer, "agent please")
    agent.get_by_role("list", name="Conversations").get_by_role(
        "button", name=re.compile("carol-3")
    ).click()
    expect(lines(customer, "system")).to_have_text([AGENT_JOINED])
    agent.get_by_role("button", name="End", exact=True).click()
    expect(agent.get_by_label("Reply")).to_be_disabled()
    expect(agent.get_by_role("list", name="Conversations").get_by_role("button")).to_have_count(0)
    desk.emulator.wait_for(lambda b: not b.is_paused(user_id="carol-3"))
    expect(lines(customer, "system")).to_have_text([AGENT_JOINED])
