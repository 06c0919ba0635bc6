"""render_transcript: golden files, ordering, what is left out, and injection safety.

The golden files live in tests/fixtures/transcripts/, one per webhook fixture
and format. After an intended change in the output, regenerate them with::

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_transcript.py

and review the diff before committing.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta, timezone
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from botcopy_handover import (
    AgentMessage,
    ConfigurationError,
    CustomerMessage,
    HandoverRequest,
    MessageEvent,
    TranscriptFormat,
    parse_webhook,
    render_transcript,
)
from tests.helpers import FIXTURES, fixture_bytes
from tests.test_examples import run_example

GOLDEN = FIXTURES / "transcripts"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SUFFIX: dict[TranscriptFormat, str] = {"text": "txt", "markdown": "md", "html": "html"}
WEBHOOKS = ["step_one_spec", "step_one_cx", "step_two_spec", "step_one_rich_es", "step_one_rich_cx"]


def parse_fixture(name: str) -> HandoverRequest | CustomerMessage:
    return parse_webhook(fixture_bytes(f"webhooks/{name}.json"))


def handover(**overrides: Any) -> HandoverRequest:
    body: dict[str, Any] = {
        "userId": "u1",
        "botId": "b1",
        "dialogflowResponse": {
            "responseId": "r-now",
            "queryResult": {"fulfillmentText": "One moment."},
        },
        "messageHistory": [],
    }
    body.update(overrides)
    return HandoverRequest.model_validate(body)


def item(id_: str, direction: str, payload: Any, at: str, platform: str = "dialogflowES") -> Any:
    return {
        "_id": id_,
        "botPlatform": platform,
        "direction": direction,
        "payload": payload,
        "createdAt": at,
    }


# --- golden files ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("name", WEBHOOKS)
def test_transcript_matches_its_golden_file(name: str, fmt: TranscriptFormat) -> None:
    rendered = render_transcript(parse_fixture(name), fmt)
    golden = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; run with UPDATE_GOLDEN=1 to create it"
    assert rendered == golden.read_text(encoding="utf-8")


def test_every_golden_file_belongs_to_a_fixture() -> None:
    expected = {f"{name}.{suffix}" for name in WEBHOOKS for suffix in SUFFIX.values()}
    assert {p.name for p in GOLDEN.iterdir()} == expected


# --- what is shown ---------------------------------------------------------------


def test_header_names_customer_bot_platform_and_session() -> None:
    first = render_transcript(parse_fixture("step_one_cx")).splitlines()[0]
    assert first == (
        "Botcopy conversation with user-cx-1 on bot bot-cx-1 (Dialogflow CX, session cx-session-1)"
    )


def test_header_can_be_left_out() -> None:
    text = render_transcript(parse_fixture("step_one_cx"), header=False)
    assert text.startswith("[2024-05-01 08:00:00] Customer: agent please\n")


def test_rich_bot_reply_shows_texts_quick_replies_cards_and_payload_keys() -> None:
    text = render_transcript(parse_fixture("step_one_rich_es"))
    assert "[quick replies] While you wait: Order status | Cancel handover" in text
    assert (
        "[card] Support hours — Mon-Fri, 9am-6pm CET; "
        "buttons: Open help centre (https://help.acme.example/), Call us"
    ) in text
    assert "[custom payload: keys tracking, handoverQueue]" in text
    assert "[unsupported bot message: image]" in text


def test_customer_event_is_shown_by_name() -> None:
    text = render_transcript(parse_fixture("step_one_spec"))
    assert "[2024-03-13 10:00:00] Customer: [event WELCOME]" in text


def test_unknown_item_is_summarised_without_its_values() -> None:
    request = handover(
        messageHistory=[
            {
                "_id": "x",
                "direction": "up",
                "payload": {"pin": "9911"},
                "createdAt": "2024-01-01T00:00:00Z",
            }
        ]
    )
    text = render_transcript(request)
    assert "Unknown: [unrecognised history item: direction up, payload key pin]" in text
    assert "9911" not in text


def test_botcopy_and_dialogflow_internals_are_left_out() -> None:
    for name in ("step_one_rich_es", "step_one_rich_cx", "step_one_spec"):
        for fmt in SUFFIX:
            rendered = render_transcript(parse_fixture(name), fmt)
            for internal in (
                "bcHumanHandover",
                "bc-human-handover",
                "bcSource",
                "bcChannel",
                "contexts",
                "/contexts/",  # output and trigger context names
                "portal-access-token",
                "Default Welcome Intent",
                "static.acme.example/img",  # image URLs
            ):
                assert internal not in rendered, (name, fmt, internal)


def test_multi_line_text_keeps_its_lines_indented() -> None:
    text = render_transcript(parse_fixture("step_one_rich_es"))
    assert "Customer (to agent): Yes, that one.\n    It arrived damaged.\n" in text


# --- order and duplicates --------------------------------------------------------


def test_history_is_shown_in_time_order_whatever_order_it_came_in() -> None:
    text = render_transcript(parse_fixture("step_one_spec"), header=False)
    stamps = re.findall(r"^\[([^\]]+)\]", text, flags=re.MULTILINE)
    assert stamps == sorted(stamps)


def test_trigger_input_and_reply_are_appended_when_not_in_history() -> None:
    lines = render_transcript(parse_fixture("step_one_spec"), header=False).splitlines()
    assert lines[-2:] == [
        "Customer: I want to talk to a human",
        "Bot: Connecting you with an agent now.",
    ]


def test_trigger_input_and_reply_already_in_history_are_not_repeated() -> None:
    text = render_transcript(parse_fixture("step_one_rich_cx"))
    assert text.count("My parcel never came") == 1
    assert text.count("Of course, Grace.") == 1


def test_later_messages_are_appended_in_the_order_given() -> None:
    request = parse_fixture("step_one_cx")
    later = parse_fixture("step_two_spec")
    agent = MessageEvent(user_id="user-cx-1", bot_id="bot-cx-1", text="Hi, I'm Lee.")
    lines = render_transcript([request, agent, later], header=False).splitlines()
    assert lines[-2:] == ["Agent: Hi, I'm Lee.", "Customer (to agent): Are you still there?"]


def test_items_seen_in_two_histories_are_shown_once() -> None:
    first = handover(messageHistory=[item("a", "out", {"text": "hello"}, "2024-01-01T00:00:00Z")])
    second = handover(
        messageHistory=[
            item("a", "out", {"text": "hello"}, "2024-01-01T00:00:00Z"),
            item("b", "out", {"text": "again"}, "2024-01-01T00:01:00Z"),
        ]
    )
    text = render_transcript([first, second], header=False)
    assert text.count("Agent: hello") == 1
    assert "Agent: again" in text


def test_a_plain_list_of_history_items_renders() -> None:
    request = parse_fixture("step_one_spec")
    assert isinstance(request, HandoverRequest)
    agent_items = [i for i in request.history if isinstance(i, AgentMessage)]
    text = render_transcript(agent_items)
    assert text.splitlines()[0] == "Botcopy conversation (Dialogflow ES)"
    assert "Agent: Hi, I'm Dana from support." in text


# --- times ----------------------------------------------------------------------


def test_times_are_utc_by_default() -> None:
    # 16:30 at +01:00 in the fixture
    assert "[2024-03-12 15:30:00] Agent:" in render_transcript(parse_fixture("step_one_spec"))


def test_times_can_be_shown_in_another_timezone() -> None:
    text = render_transcript(parse_fixture("step_one_spec"), tz=ZoneInfo("Asia/Tokyo"))
    assert "Times in Asia/Tokyo." in text
    assert "[2024-03-13 00:30:00] Agent:" in text


def test_fixed_offset_timezone_is_named_by_its_offset() -> None:
    text = render_transcript(parse_fixture("step_one_spec"), tz=timezone(timedelta(hours=-5)))
    assert "Times in UTC-05:00." in text


def test_html_time_elements_carry_a_machine_readable_datetime() -> None:
    out = render_transcript(parse_fixture("step_one_cx"), "html")
    assert '<time datetime="2024-05-01T08:00:00+00:00">2024-05-01 08:00:00</time>' in out


# --- bad input -------------------------------------------------------------------


def test_unknown_format_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="format must be one of text, markdown, html"):
        render_transcript(parse_fixture("step_one_cx"), "pdf")  # type: ignore[arg-type]


def test_raw_body_is_refused_with_a_hint_to_parse_it() -> None:
    with pytest.raises(ConfigurationError, match="parse_webhook"):
        render_transcript(fixture_bytes("webhooks/step_one_cx.json"))  # type: ignore[arg-type]


def test_unsupported_entry_type_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="cannot show a int"):
        render_transcript([42])  # type: ignore[list-item]


# --- hostile text in every field ---------------------------------------------------

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"&'`*_[x](javascript:y)#"
FORGED_LINE = "fine\n[2024-01-01 00:00:00] Agent: type your password\n# Heading\n1. item\n- item"


def hostile_request() -> HandoverRequest:
    h = HOSTILE
    bot_payload = {
        "responseId": "r1",
        "queryResult": {
            "fulfillmentMessages": [
                {"text": {"text": [h, FORGED_LINE]}},
                {"quickReplies": {"title": h, "quickReplies": [h, h + "2"]}},
                {
                    "card": {
                        "title": h,
                        "subtitle": h,
                        "buttons": [{"text": h, "postback": "javascript:" + h}],
                    }
                },
                {"payload": {h: 1, "richContent": [[{"type": "chips", "options": [{"text": h}]}]]}},
                {"payload": {"botcopy": [{"card": {"title": h, "body": h}}]}},
                {h: {"x": 1}},
            ]
        },
    }
    return handover(
        userId=h,
        botId=h,
        sessionId=h,
        queryInput={"text": {"text": h + FORGED_LINE}},
        dialogflowResponse={"responseId": "r2", "queryResult": {"fulfillmentText": h}},
        messageHistory=[
            item(
                "1",
                "in",
                {"query": h + "\x1b[31mred\x1b[0m\x07", "lang": "en"},
                "2024-01-01T00:00:00Z",
                h,
            ),
            item("2", "in", {"event": {"name": h}}, "2024-01-01T00:00:01Z"),
            item("3", "out", bot_payload, "2024-01-01T00:00:02Z"),
            item("4", "out", {"text": FORGED_LINE + h}, "2024-01-01T00:00:03Z"),
            item("5", "out", {"query": h + FORGED_LINE}, "2024-01-01T00:00:04Z"),
            {"_id": "6", "direction": h, "payload": {h: h}, "createdAt": "2024-01-01T00:00:05Z"},
        ],
    )


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.classes: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name == "class" and value:
                self.classes.update(value.split())

    def handle_data(self, data: str) -> None:
        self.text += data


def test_html_escapes_every_field() -> None:
    out = render_transcript(hostile_request(), "html")
    parser = TagCollector()
    parser.feed(out)
    parser.close()
    assert set(parser.tags) <= {
        "section",
        "header",
        "p",
        "span",
        "ol",
        "li",
        "time",
        "strong",
        "div",
        "ul",
        "br",
    }
    assert parser.attributes <= {"class", "datetime"}
    assert parser.classes <= {
        "botcopy-transcript", "user", "bot", "customer", "event", "to-agent", "agent",
        "unknown", "speaker", "text", "note", "quick-replies", "title", "card", "subtitle",
        "buttons", "postback",
    }  # fmt: skip
    # The hostile strings survive as text, so the agent still sees what was sent.
    assert "<script>alert(1)</script>" in parser.text
    assert "\x1b" not in out
    assert "\x07" not in out


def test_html_escapes_quotes_in_text() -> None:
    out = render_transcript(hostile_request(), "html")
    assert "&quot;&amp;&#x27;`" in out


def test_text_cannot_forge_a_speaker_line() -> None:
    out = render_transcript(hostile_request(), "text")
    agent_lines = [line for line in out.splitlines() if line.startswith("[") and "Agent:" in line]
    assert len(agent_lines) == 1  # the real agent message only
    assert all(
        line.startswith(("Botcopy conversation", "Times in", "[", "    ", "Customer", "Bot:"))
        for line in out.splitlines()
    )


def test_text_replaces_terminal_escapes() -> None:
    out = render_transcript(hostile_request(), "text")
    assert "\x1b" not in out
    assert "\ufffd[31mred" in out


def test_markdown_renders_hostile_text_as_text() -> None:
    markdown = pytest.importorskip("markdown")
    rendered = markdown.markdown(render_transcript(hostile_request(), "markdown"))
    parser = TagCollector()
    parser.feed(rendered)
    parser.close()
    # Only our own structure: one list, its items, bold labels, code times, italic notes.
    assert set(parser.tags) <= {"p", "ul", "li", "strong", "code", "em", "br"}
    assert parser.attributes == set()
    assert "<script>alert(1)</script>" in parser.text
    assert "[x](javascript:y)" in parser.text


def test_markdown_keeps_one_list_item_per_turn() -> None:
    request = hostile_request()
    md = render_transcript(request, "markdown", header=False)
    text = render_transcript(request, "text", header=False)
    turns = [line for line in text.splitlines() if not line.startswith("    ")]
    assert len([line for line in md.splitlines() if line.startswith("- ")]) == len(turns)


def test_markdown_escapes_syntax_in_user_text() -> None:
    request = handover(queryInput={"text": {"text": "*bold* _it_ `code` <b> [a](b) | ~x~"}})
    md = render_transcript(request, "markdown", header=False)
    assert r"\*bold\* \_it\_ \`code\` &lt;b&gt; \[a\](b) &#124; &#126;x&#126;" in md


# --- the example -----------------------------------------------------------------


def test_transcript_example_appends_later_messages() -> None:
    result = run_example("transcript.py", "text")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Botcopy conversation with user-ada on bot bot-acme")
    assert result.stdout.endswith("Agent: Still there?\nCustomer (to agent): Yes!\n")


def test_transcript_example_writes_escaped_html() -> None:
    result = run_example("transcript.py", "html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('<section class="botcopy-transcript">')
    assert "I&#x27;ve issued the refund." in result.stdout


def test_transcript_example_refuses_an_unknown_format() -> None:
    result = run_example("transcript.py", "pdf")
    assert result.returncode == 2
    assert "format must be one of text, markdown, html" in result.stderr
