"""``render_transcript``: the conversation so far, for the agent who takes it over.

A handover lands on the desk with Botcopy's message history. This module turns
it into something a person reads at a glance, as plain text, Markdown or HTML::

    >>> print(render_transcript(event))                      # doctest: +SKIP
    Botcopy conversation with user-5f2b on bot bot-9a1c (Dialogflow ES, session 6e3d…)
    Times in UTC.
    [2024-03-13 10:00:00] Customer: [event WELCOME]
    [2024-03-13 10:00:01] Customer: Where is my order?
    [2024-03-13 10:00:02] Bot: I can check that. What's your order number?
    ...

What is shown, and what is left out:

* Shown: what the customer and the agent saw or said. Customer text, the names
  of events sent on the customer's behalf, the bot's texts, quick replies,
  cards (title, subtitle, buttons) and a one-line summary of custom payloads
  (their top-level keys, never their values), agent messages, and items of an
  unknown shape (their direction and payload keys).
* Left out, always: Botcopy's and Dialogflow's machinery. Query parameters
  and their payload, webhook headers, event data, session parameters
  (``bcHumanHandover`` among them), output and input contexts (the trigger
  context among them), intents, confidences, image URLs, and the access
  token. None of it helps an agent answer, some of it is internal, and any
  of it may hold data nobody meant to show.

Every piece of text is untrusted: HTML output escapes all of it, Markdown
output escapes Markdown syntax, and all formats replace control characters
(terminal escapes among them) and indent continuation lines, so no text can
forge a speaker line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Literal, TypeAlias

from botcopy_handover._errors import ConfigurationError
from botcopy_handover.models._base import BotPlatform
from botcopy_handover.models.dialogflow import (
    Card,
    CardMessage,
    DialogflowResponse,
    PayloadMessage,
    QuickReplies,
    QuickRepliesMessage,
    TextMessage,
    UnknownMessage,
    _payload_cards,
    _payload_quick_replies,
)
from botcopy_handover.models.history import (
    AgentMessage,
    BotResponse,
    CustomerEvent,
    CustomerQuery,
    CustomerToAgentMessage,
    UnknownHistoryItem,
)
from botcopy_handover.models.push import MessageEvent
from botcopy_handover.models.webhook import CustomerMessage, HandoverRequest

__all__ = ["TranscriptEntry", "TranscriptFormat", "TranscriptSource", "render_transcript"]

TranscriptFormat: TypeAlias = Literal["text", "markdown", "html"]
"""The output formats of [`render_transcript`][botcopy_handover.render_transcript]."""

TranscriptEntry: TypeAlias = (
    CustomerQuery
    | CustomerEvent
    | BotResponse
    | AgentMessage
    | CustomerToAgentMessage
    | UnknownHistoryItem
    | HandoverRequest
    | CustomerMessage
    | MessageEvent
)
"""One thing [`render_transcript`][botcopy_handover.render_transcript] shows: a history item, a webhook body, an agent push."""  # noqa: E501 - a link in the summary

TranscriptSource: TypeAlias = HandoverRequest | CustomerMessage | Iterable[TranscriptEntry]
"""What [`render_transcript`][botcopy_handover.render_transcript] accepts: one webhook body, or any sequence of entries."""  # noqa: E501 - a link in the summary

_FORMATS = ("text", "markdown", "html")

# Payload keys whose content the Dialogflow view turns into cards and chips.
_RICH_PAYLOAD_KEYS = frozenset({"richContent", "botcopy"})

# C0/C1 controls except tab and newline: terminal escapes, NUL, bidi tricks aside.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NEEDS_CLEANING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028]")


# --- what is said, independent of the format ---------------------------------


@dataclass(frozen=True)
class _Text:
    """Something someone wrote or the bot said."""

    text: str


@dataclass(frozen=True)
class _Note:
    """A bracketed description written by us: ``[event WELCOME]``."""

    label: str
    detail: str = ""


@dataclass(frozen=True)
class _Chips:
    quick_replies: QuickReplies


@dataclass(frozen=True)
class _CardBlock:
    card: Card


_Block: TypeAlias = _Text | _Note | _Chips | _CardBlock


@dataclass
class _Turn:
    speaker: str
    role: str
    """The CSS class: ``customer``, ``bot``, ``agent``, ``unknown`` plus modifiers."""
    time: datetime | None
    blocks: list[_Block] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Who speaks, as the transcript names them."""
        return "Customer (to agent)" if "to-agent" in self.role else self.speaker


@dataclass(frozen=True)
class _Header:
    user_id: str | None
    bot_id: str | None
    platform: BotPlatform | str | None
    session: str | None
    tz_name: str


# --- public entry point ------------------------------------------------------


def render_transcript(
    event_or_history: TranscriptSource,
    format: TranscriptFormat = "text",
    *,
    tz: tzinfo | None = None,
    header: bool = True,
) -> str:
    """Render a conversation for a human agent as plain text, Markdown or HTML.

    Entries are shown oldest first, ordered by their time (a stable sort: an
    entry without a time sorts after every entry given before it); an
    entry whose history id was already shown is skipped, so overlapping
    histories from several Step One calls can be passed together.

    Args:
        event_or_history: What to show:

            * a [`HandoverRequest`][botcopy_handover.HandoverRequest]: its history, then
              the customer input that fired the trigger and the bot's reply
              (``dialogflowResponse``), each unless the history already holds it;
            * a [`CustomerMessage`][botcopy_handover.CustomerMessage]: the customer's
              message to the agent;
            * any iterable of history items, webhook bodies and agent
              [`MessageEvent`][botcopy_handover.MessageEvent] pushes, to append the
              messages that came after a handover:
              ``render_transcript([request, *later_messages])``.
        format: ``"text"``, ``"markdown"`` or ``"html"``. HTML is a fragment:
            ``<section class="botcopy-transcript">`` holding an ``<ol>`` with
            one ``<li class="customer|bot|agent|unknown">`` per turn.
        tz: Show times in this timezone (a ``datetime.tzinfo`` such as
            ``zoneinfo.ZoneInfo("Europe/Paris")``); UTC by default.
        header: Start with a line naming the customer, bot, platform and session.

    Returns:
        The transcript. Text and Markdown end with a newline.

    Raises:
        ConfigurationError: ``format`` is not one of the three, or an entry is
            of a type this function does not show.

    Example::

        event = parse_webhook(body)
        if isinstance(event, HandoverRequest):
            desk.open_ticket(body_html=render_transcript(event, "html"))

    """
    if format not in _FORMATS:
        raise ConfigurationError(f"format must be one of {', '.join(_FORMATS)}")
    zone = tz if tz is not None else timezone.utc
    entries = _entries(event_or_history)
    turns = _ordered(_turns(entries))
    head = _header(entries, zone) if header else None
    if format == "html":
        return _render_html(head, turns, zone)
    if format == "markdown":
        return _render_markdown(head, turns, zone)
    return _render_text(head, turns, zone)


# --- from entries to turns ---------------------------------------------------


def _entries(source: TranscriptSource) -> list[TranscriptEntry]:
    if isinstance(source, (HandoverRequest, CustomerMessage)):
        return [source]
    if isinstance(source, (str, bytes, Mapping)):
        raise ConfigurationError(
            f"render_transcript() takes parsed events or history items, not {type(source).__name__}"
            "; parse the body with parse_webhook() first"
        )
    try:
        entries = list(source)
    except TypeError:
        raise ConfigurationError(
            f"render_transcript() cannot show a {type(source).__name__}"
        ) from None
    for entry in entries:
        if not isinstance(entry, _ENTRY_TYPES):
            raise ConfigurationError(f"render_transcript() cannot show a {type(entry).__name__}")
    return entries


_ENTRY_TYPES = (
    CustomerQuery,
    CustomerEvent,
    BotResponse,
    AgentMessage,
    CustomerToAgentMessage,
    UnknownHistoryItem,
    HandoverRequest,
    CustomerMessage,
    MessageEvent,
)


def _turns(entries: list[TranscriptEntry]) -> Iterator[_Turn]:
    seen: set[str] = set()
    for entry in entries:
        if isinstance(entry, HandoverRequest):
            yield from _handover_turns(entry, seen)
        elif isinstance(entry, CustomerMessage):
            yield _Turn("Customer", "customer to-agent", None, [_Text(entry.text)])
        elif isinstance(entry, MessageEvent):
            yield _Turn("Agent", "agent", None, [_Text(entry.text)])
        else:
            if entry.id is not None:
                if entry.id in seen:
                    continue
                seen.add(entry.id)
            yield _history_turn(entry)


def _handover_turns(event: HandoverRequest, seen: set[str]) -> Iterator[_Turn]:
    history = event.history
    for item in history:
        if item.id is not None:
            if item.id in seen:
                continue
            seen.add(item.id)
        yield _history_turn(item)
    # The body's own turn (the input that fired the trigger and the reply that
    # carried it) is usually not yet in the history; show it unless it is.
    last_query = next((i for i in reversed(history) if isinstance(i, CustomerQuery)), None)
    if event.text is not None and not (last_query and last_query.text == event.text):
        yield _Turn("Customer", "customer", None, [_Text(event.text)])
    responses = [i for i in history if isinstance(i, BotResponse)]
    if not _already_in_history(event.dialogflow_response, responses):
        yield _Turn("Bot", "bot", None, _bot_blocks(event.dialogflow))


def _already_in_history(response: dict[str, Any], history: list[BotResponse]) -> bool:
    response_id = response.get("responseId")
    if isinstance(response_id, str) and response_id:
        return any(item.payload.get("responseId") == response_id for item in history)
    return bool(history) and history[-1].payload == response


def _query_turn(item: CustomerQuery) -> _Turn:
    return _Turn("Customer", "customer", item.created_at, [_Text(item.text)])


def _event_turn(item: CustomerEvent) -> _Turn:
    return _Turn("Customer", "customer event", item.created_at, [_Note("event", item.event_name)])


def _bot_turn(item: BotResponse) -> _Turn:
    return _Turn("Bot", "bot", item.created_at, _bot_blocks(item.dialogflow))


def _agent_turn(item: AgentMessage) -> _Turn:
    return _Turn("Agent", "agent", item.created_at, [_Text(item.text)])


def _to_agent_turn(item: CustomerToAgentMessage) -> _Turn:
    return _Turn("Customer", "customer to-agent", item.created_at, [_Text(item.text)])


def _unknown_turn(item: UnknownHistoryItem) -> _Turn:
    return _Turn("Unknown", "unknown", item.created_at, [_unknown_note(item)])


# One dict lookup per item: isinstance on pydantic models goes through
# ABCMeta and was the largest single cost of a long transcript.
_TURN_BY_TYPE: dict[type, Callable[[Any], _Turn]] = {
    CustomerQuery: _query_turn,
    CustomerEvent: _event_turn,
    BotResponse: _bot_turn,
    AgentMessage: _agent_turn,
    CustomerToAgentMessage: _to_agent_turn,
    UnknownHistoryItem: _unknown_turn,
}


def _history_turn(
    item: CustomerQuery
    | CustomerEvent
    | BotResponse
    | AgentMessage
    | CustomerToAgentMessage
    | UnknownHistoryItem,
) -> _Turn:
    make = _TURN_BY_TYPE.get(type(item))
    if make is None:  # a subclass
        make = next(f for t, f in _TURN_BY_TYPE.items() if isinstance(item, t))
    return make(item)


def _unknown_note(item: UnknownHistoryItem) -> _Note:
    parts = []
    if item.direction is not None:
        parts.append(f"direction {item.direction}")
    payload = item.payload
    if isinstance(payload, Mapping):
        parts.append(f"payload {_keys(payload)}" if payload else "empty payload")
    elif payload is None:
        parts.append("no payload")
    else:
        parts.append(f"payload of type {_json_type(payload)}")
    if not isinstance(item.raw, Mapping):
        parts = [f"a JSON {_json_type(item.raw)}, not an object"]
    return _Note("unrecognised history item:", ", ".join(parts))


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if value is None:
        return "null"
    return "object"


def _keys(mapping: Mapping[Any, Any], prefix: str | None = None) -> str:
    """Name a mapping's keys (never its values): ``keys a, b``."""
    keys = [str(k) for k in mapping]
    shown = ", ".join(keys[:8])
    more = f" and {len(keys) - 8} more" if len(keys) > 8 else ""
    if prefix is None:
        prefix = "key " if len(keys) == 1 else "keys "
    return f"{prefix}{shown}{more}"


def _bot_blocks(view: DialogflowResponse) -> list[_Block]:
    blocks: list[_Block] = []
    for message in view.messages:
        if isinstance(message, TextMessage):
            blocks.append(_Text(message.text))
        elif isinstance(message, QuickRepliesMessage):
            blocks.append(_Chips(message.quick_replies))
        elif isinstance(message, CardMessage):
            blocks.append(_CardBlock(message.card))
        elif isinstance(message, PayloadMessage):
            blocks.extend(_payload_blocks(message.payload))
        elif isinstance(message, UnknownMessage):
            blocks.append(_Note("unsupported bot message:", _keys(message.raw, "")))
    if not any(isinstance(b, _Text) for b in blocks):
        # ES may carry its only text in fulfillmentText.
        blocks[:0] = [_Text(text) for text in view.texts]
    if not blocks:
        blocks.append(_Note("no visible reply"))
    return blocks


def _payload_blocks(payload: dict[str, Any]) -> list[_Block]:
    rich: list[_Block] = [_CardBlock(card) for card in _payload_cards(payload)]
    rich.extend(_Chips(chips) for chips in _payload_quick_replies(payload))
    rest = {k: v for k, v in payload.items() if not (rich and k in _RICH_PAYLOAD_KEYS)}
    if rest or not rich:
        rich.append(_Note("custom payload:", _keys(rest) if rest else "empty"))
    return rich


def _ordered(turns: Iterable[_Turn]) -> list[_Turn]:
    # An entry without a time sorts after every entry given before it.
    keyed: list[tuple[datetime, int, _Turn]] = []
    last = datetime.min.replace(tzinfo=timezone.utc)
    for index, turn in enumerate(turns):
        if turn.time is not None:
            last = max(last, turn.time)
            keyed.append((turn.time, index, turn))
            continue
        keyed.append((last, index, turn))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [turn for _, _, turn in keyed]


def _header(entries: list[TranscriptEntry], zone: tzinfo) -> _Header:
    user_id = bot_id = session = None
    platform: BotPlatform | str | None = None
    for entry in entries:
        if isinstance(entry, (HandoverRequest, CustomerMessage, MessageEvent)):
            user_id = user_id or entry.user_id
            bot_id = bot_id or entry.bot_id
        if isinstance(entry, (HandoverRequest, CustomerMessage)):
            session = session or entry.session_id or entry.session
        if isinstance(entry, HandoverRequest):
            for item in entry.history:
                platform = platform or item.bot_platform
            platform = platform or entry.dialogflow.platform
        elif not isinstance(entry, (CustomerMessage, MessageEvent)):
            platform = platform or entry.bot_platform
    return _Header(user_id, bot_id, platform, session, _zone_name(zone))


def _zone_name(zone: tzinfo) -> str:
    key = getattr(zone, "key", None)  # zoneinfo.ZoneInfo names itself
    if isinstance(key, str):
        return key
    return zone.tzname(None) or str(zone)


def _platform_name(platform: BotPlatform | str) -> str:
    if platform is BotPlatform.DIALOGFLOW_ES:
        return "Dialogflow ES"
    if platform is BotPlatform.DIALOGFLOW_CX:
        return "Dialogflow CX"
    return str(platform)


def _header_parts(head: _Header) -> tuple[str | None, str | None, list[str]]:
    details = []
    if head.platform is not None:
        details.append(_platform_name(head.platform))
    if head.session is not None:
        details.append(f"session {head.session}")
    return head.user_id, head.bot_id, details


# --- formats -----------------------------------------------------------------


def _title(
    head: _Header,
    opening: str,
    name: Callable[[str, str], str],
    escape: Callable[[str], str],
) -> str:
    """The header's first line: ``name(role, text)`` writes the customer and the bot."""
    user, bot, details = _header_parts(head)
    title = opening
    if user is not None:
        title += f" with {name('user', user)}"
    if bot is not None:
        title += f" on bot {name('bot', bot)}"
    if details:
        title += f" ({escape(', '.join(details))})"
    return title


def _clean(text: str) -> str:
    """Normalise line ends and replace control characters with U+FFFD."""
    if _NEEDS_CLEANING.search(text) is None:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    return _CONTROL.sub("\ufffd", text)


def _short_time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _card_line(card: Card, escape: Callable[[str], str] = str) -> str:
    parts = [escape(_clean(p)) for p in (card.title, card.subtitle) if p]
    text = " — ".join(parts) if parts else "(untitled)"
    if card.buttons:
        text += "; buttons: " + ", ".join(_button(b.text, b.postback, escape) for b in card.buttons)
    return text


def _button(label: str, postback: str | None, escape: Callable[[str], str]) -> str:
    shown = escape(_clean(label))
    if postback and postback != label:
        shown += f" ({escape(_clean(postback))})"
    return shown


def _chips_line(chips: QuickReplies, escape: Callable[[str], str] = str) -> str:
    replies = " | ".join(escape(_clean(r)) for r in chips.replies) or "(none)"
    if chips.title:
        return f"{escape(_clean(chips.title))} {replies}"
    return replies


# -- text


def _text_block(block: _Block) -> str:
    if isinstance(block, _Text):
        return _clean(block.text)
    if isinstance(block, _Note):
        detail = f" {_clean(block.detail)}" if block.detail else ""
        return f"[{block.label}{detail}]"
    if isinstance(block, _Chips):
        return f"[quick replies] {_chips_line(block.quick_replies)}"
    return f"[card] {_card_line(block.card)}"


def _render_text(head: _Header | None, turns: list[_Turn], zone: tzinfo) -> str:
    lines: list[str] = []
    if head is not None:
        title = _title(head, "Botcopy conversation", lambda _, text: _clean(text), _clean)
        lines += [title, f"Times in {head.tz_name}."]
    for turn in turns:
        stamp = f"[{_short_time(turn.time, zone)}] " if turn.time else ""
        label = turn.label
        body = "\n".join(_text_block(b) for b in turn.blocks).split("\n")
        lines.append(f"{stamp}{label}: {body[0]}")
        # Continuation lines are indented, so no text can start a line of its own.
        lines.extend(f"    {line}" for line in body[1:])
    return "\n".join(lines) + "\n"


# -- markdown

# Backslash escapes for the characters both CommonMark and Python-Markdown
# accept them for; character references for the rest, which work in both.
_MD_BACKSLASH = re.compile(r"([\\`*_\[\]])")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;"}
_MD_ENTITY = re.compile("[&<>|~]")
_MD_LINE_START = re.compile(r"^(\s*)(?:([#+\-])|(=)|(\d+)([.)]))")


def _md_line_start(match: re.Match[str]) -> str:
    indent, mark, equals, digits, dot = match.groups()
    if mark:
        return f"{indent}\\{mark}"
    if equals:
        return f"{indent}&#61;"
    return f"{indent}{digits}\\{dot}"


def _md(text: str) -> str:
    """Escape Markdown syntax in one line of untrusted text."""
    escaped = _MD_BACKSLASH.sub(r"\\\1", text)
    escaped = _MD_ENTITY.sub(lambda m: _MD_ENTITIES[m.group()], escaped)
    return _MD_LINE_START.sub(_md_line_start, escaped)


def _md_lines(text: str) -> list[str]:
    return [_md(line.strip()) for line in _clean(text).split("\n")]


def _md_block(block: _Block) -> list[str]:
    if isinstance(block, _Text):
        return _md_lines(block.text)
    if isinstance(block, _Note):
        detail = f" {' '.join(_md_lines(block.detail))}" if block.detail else ""
        return [f"*\\[{block.label}{detail}\\]*"]
    if isinstance(block, _Chips):
        return [f"*Quick replies:* {_chips_line(block.quick_replies, _md_one_line)}"]
    return [f"*Card:* {_card_line(block.card, _md_one_line)}"]


def _md_one_line(text: str) -> str:
    return " ".join(_md_lines(text))


def _render_markdown(head: _Header | None, turns: list[_Turn], zone: tzinfo) -> str:
    out: list[str] = []
    if head is not None:
        title = _title(
            head, "**Botcopy conversation**", lambda _, text: _md_one_line(text), _md_one_line
        )
        out += [title + "  ", f"Times in {_md_one_line(head.tz_name)}.", ""]
    for turn in turns:
        stamp = f"`{_short_time(turn.time, zone)}` " if turn.time else ""
        label = turn.label
        lines = [line for block in turn.blocks for line in _md_block(block)]
        # Two trailing spaces make a hard line break in every Markdown dialect;
        # continuation lines are indented to stay inside the list item.
        out.append(f"- {stamp}**{label}:** {lines[0]}" + ("  " if len(lines) > 1 else ""))
        for index, line in enumerate(lines[1:], start=2):
            out.append(f"  {line}" + ("  " if index < len(lines) else ""))
    return "\n".join(out) + "\n"


# -- html


def _h(text: str) -> str:
    return html.escape(_clean(text), quote=True).replace("\n", "<br>")


def _html_block(block: _Block) -> str:
    if isinstance(block, _Text):
        return f'<p class="text">{_h(block.text)}</p>'
    if isinstance(block, _Note):
        detail = f" {_h(block.detail)}" if block.detail else ""
        return f'<p class="note">[{_h(block.label)}{detail}]</p>'
    if isinstance(block, _Chips):
        chips = block.quick_replies
        title = f'<span class="title">{_h(chips.title)}</span>' if chips.title else ""
        items = "".join(f"<li>{_h(r)}</li>" for r in chips.replies)
        return f'<div class="quick-replies">{title}<ul>{items}</ul></div>'
    card = block.card
    parts = ['<div class="card">']
    if card.title:
        parts.append(f'<strong class="title">{_h(card.title)}</strong>')
    if card.subtitle:
        parts.append(f'<p class="subtitle">{_h(card.subtitle)}</p>')
    if card.buttons:
        # Postbacks are shown as text, never as links: a bot reply must not be
        # able to put a javascript: URL in front of an agent.
        buttons = "".join(
            f"<li>{_h(b.text)}"
            + (
                f' <span class="postback">{_h(b.postback)}</span>'
                if b.postback and b.postback != b.text
                else ""
            )
            + "</li>"
            for b in card.buttons
        )
        parts.append(f'<ul class="buttons">{buttons}</ul>')
    parts.append("</div>")
    return "".join(parts)


def _render_html(head: _Header | None, turns: list[_Turn], zone: tzinfo) -> str:
    out = ['<section class="botcopy-transcript">']
    if head is not None:
        title = _title(
            head,
            "Botcopy conversation",
            lambda role, text: f'<span class="{role}">{_h(text)}</span>',
            _h,
        )
        out.append(f"<header><p>{title}</p><p>Times in {_h(head.tz_name)}.</p></header>")
    out.append("<ol>")
    for turn in turns:
        label = turn.label
        stamp = ""
        if turn.time is not None:
            local = turn.time.astimezone(zone)
            stamp = (
                f'<time datetime="{_h(local.isoformat())}">{_h(_short_time(local, zone))}</time> '
            )
        blocks = "".join(_html_block(b) for b in turn.blocks)
        out.append(
            f'<li class="{turn.role}">{stamp}<strong class="speaker">{label}</strong>{blocks}</li>'
        )
    out += ["</ol>", "</section>"]
    return "\n".join(out) + "\n"
