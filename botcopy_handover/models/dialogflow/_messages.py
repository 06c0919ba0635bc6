"""Response message parsers: ES and CX messages, and rich content in custom payloads."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from botcopy_handover.models.dialogflow._json import (
    _as_object,
    _get,
    _is_map,
    _items,
    _snake,
    _text,
)
from botcopy_handover.models.dialogflow._struct import _decode_struct, _struct_fields
from botcopy_handover.models.dialogflow._values import (
    Card,
    CardButton,
    CardMessage,
    DialogflowMessage,
    JsonObject,
    PayloadMessage,
    QuickReplies,
    QuickRepliesMessage,
    TextMessage,
    UnknownMessage,
)

# --- response messages ------------------------------------------------------

# Message kinds this view reads, by their oneof member name.
_READ_MEMBERS = (
    "text",
    "quickReplies",
    "card",
    "basicCard",
    "payload",
    "simpleResponses",
    "suggestions",
)

# Each member under both spellings, with its rank in _READ_MEMBERS: one pass
# over a message's keys (one or two, as a rule) finds the member that a walk
# over _READ_MEMBERS, trying both spellings of each, would.
_MEMBER_RANKS: dict[str, tuple[int, str]] = {}
for _rank, _member in enumerate(_READ_MEMBERS):
    _MEMBER_RANKS[_member] = _MEMBER_RANKS[_snake(_member)] = (_rank, _member)
del _rank, _member


def _is_default_platform(platform: object) -> bool:
    if platform is None:
        return True
    return platform in ("", "PLATFORM_UNSPECIFIED", 0) and not isinstance(platform, bool)


def _oneof_member(message: Mapping[str, object]) -> str | None:
    # The Node form names the set member; trust it when it points at a value.
    named = message.get("message")
    if named is None:
        # The common case, first: a REST message, "text" the first member read.
        if message.get("text") is not None:
            return "text"
    elif isinstance(named, str) and named and _get(message, named) is not None:
        return named
    found: tuple[int, str] | None = None
    for key, value in message.items():
        entry = _MEMBER_RANKS.get(key)
        if entry is not None and value is not None and (found is None or entry < found):
            found = entry
    return None if found is None else found[1]


def _parse_message(message: Mapping[str, object]) -> list[DialogflowMessage]:
    member = _oneof_member(message)
    body = _get(message, member) if member else None
    parsed: list[DialogflowMessage] | None = None
    if member == "text":
        lines = _text_lines(_get(body, "text")) if _is_map(body) else None
        parsed = None if lines is None else [TextMessage(line) for line in lines]
    elif member == "payload":
        fields = _struct_fields(body)
        if fields is not None:
            parsed = [PayloadMessage(_decode_struct(fields))]
        elif (payload := _as_object(body)) is not None:
            parsed = [PayloadMessage(payload)]
    elif member == "quickReplies":
        replies = _quick_replies(body)
        parsed = [QuickRepliesMessage(replies)] if replies else None
    elif member == "card":
        card = _es_card(body)
        parsed = [CardMessage(card)] if card else None
    elif member == "basicCard":
        card = _basic_card(body)
        parsed = [CardMessage(card)] if card else None
    elif member == "simpleResponses":
        parsed = _simple_responses(body)
    elif member == "suggestions":
        titles = _labels(_get(body, "suggestions"), "title")
        parsed = [QuickRepliesMessage(QuickReplies(None, titles))] if titles else None
    if parsed is None:
        return [UnknownMessage(_as_object(message) or {})]
    return parsed


def _text_lines(obj: object) -> list[str] | None:
    if isinstance(obj, str):
        return [obj] if obj else []
    if isinstance(obj, (list, tuple)):
        return [line for line in obj if isinstance(line, str) and line]
    return None


def _labels(obj: object, key: str) -> tuple[str, ...]:
    """Collect the non-empty ``key`` strings of a list of objects."""
    return tuple(label for item in _items(obj) if (label := _text(_get(item, key))) is not None)


def _quick_replies(obj: object) -> QuickReplies | None:
    if not _is_map(obj):
        return None
    replies = tuple(r for r in _items(_get(obj, "quickReplies")) if isinstance(r, str) and r)
    return QuickReplies(_text(_get(obj, "title")), replies)


def _es_card(obj: object) -> Card | None:
    if not _is_map(obj):
        return None
    buttons = []
    for item in _items(_get(obj, "buttons")):
        text = _text(_get(item, "text"))
        if text is not None:
            buttons.append(CardButton(text, _text(_get(item, "postback"))))
    return Card(
        title=_text(_get(obj, "title")),
        subtitle=_text(_get(obj, "subtitle")),
        image_url=_text(_get(obj, "imageUri")),
        buttons=tuple(buttons),
    )


def _basic_card(obj: object) -> Card | None:
    if not _is_map(obj):
        return None
    buttons = []
    for item in _items(_get(obj, "buttons")):
        title = _text(_get(item, "title"))
        if title is not None:
            buttons.append(CardButton(title, _text(_get(_get(item, "openUriAction"), "uri"))))
    return Card(
        title=_text(_get(obj, "title")),
        subtitle=_text(_get(obj, "subtitle")) or _text(_get(obj, "formattedText")),
        image_url=_text(_get(_get(obj, "image"), "imageUri")),
        buttons=tuple(buttons),
    )


def _simple_responses(obj: object) -> list[DialogflowMessage] | None:
    if not _is_map(obj):
        return None
    return [TextMessage(line) for line in _simple_response_lines(obj)]


def _simple_response_lines(obj: object) -> list[str]:
    lines = []
    for item in _items(_get(obj, "simpleResponses")):
        text = _text(_get(item, "displayText")) or _text(_get(item, "textToSpeech"))
        if text is not None:
            lines.append(text)
    return lines


# --- rich content inside custom payloads ------------------------------------


def _rich_content_groups(payload: JsonObject) -> Iterator[list[object] | tuple[object, ...]]:
    """Dialogflow Messenger ``richContent``: a list of cards, each a list of items."""
    for group in _items(payload.get("richContent")):
        # Tolerate a flat list of items as well as the documented list of lists.
        yield group if isinstance(group, (list, tuple)) else (group,)


def _botcopy_items(payload: JsonObject) -> Iterator[Mapping[str, object]]:
    """Botcopy's own rich responses: ``{"botcopy": [{"suggestions": ...}, ...]}``."""
    for item in _items(payload.get("botcopy")):
        if _is_map(item):
            yield item


def _payload_quick_replies(payload: JsonObject) -> list[QuickReplies]:
    out = []
    for group in _rich_content_groups(payload):
        for item in group:
            if _get(item, "type") == "chips":
                replies = _labels(_get(item, "options"), "text")
                if replies:
                    out.append(QuickReplies(None, replies))
    for item in _botcopy_items(payload):
        replies = _labels(item.get("suggestions"), "title")
        if replies:
            out.append(QuickReplies(None, replies))
    return out


def _payload_cards(payload: JsonObject) -> list[Card]:
    out: list[Card] = []
    for group in _rich_content_groups(payload):
        card: Card | None = None
        for item in group:
            kind = _get(item, "type")
            if kind == "info":
                card = _info_card(item)
                out.append(card)
            elif kind == "description":
                card = _description_card(item)
                out.append(card)
            elif kind == "button" and (button := _rich_button(item)) is not None:
                # A button item belongs to the card it follows in the same group.
                if card is None:
                    card = Card(None, None, None, (button,))
                    out.append(card)
                else:
                    out[-1] = card = dataclasses.replace(card, buttons=(*card.buttons, button))
    for item in _botcopy_items(payload):
        single = _botcopy_card(item.get("card"))
        if single is not None:
            out.append(single)
        for entry in _items(item.get("carousel")):
            carousel_card = _botcopy_card(entry)
            if carousel_card is not None:
                out.append(carousel_card)
    return out


def _info_card(item: object) -> Card:
    title = _text(_get(item, "title"))
    link = _text(_get(item, "actionLink"))
    # The whole info card is a link; show it as the card's one button.
    buttons = (CardButton(title or link, link),) if link else ()
    return Card(
        title=title,
        subtitle=_text(_get(item, "subtitle")),
        image_url=_text(_get(_get(_get(item, "image"), "src"), "rawUrl")),
        buttons=buttons,
    )


def _description_card(item: object) -> Card:
    lines = _text_lines(_get(item, "text")) or []
    return Card(
        title=_text(_get(item, "title")),
        subtitle="\n".join(lines) or None,
        image_url=None,
        buttons=(),
    )


def _rich_button(item: object) -> CardButton | None:
    text = _text(_get(item, "text"))
    if text is None:
        return None
    postback = _text(_get(item, "link")) or _text(_get(_get(item, "event"), "name"))
    return CardButton(text, postback)


def _botcopy_action(action: object) -> str | None:
    """Where a Botcopy ``action`` leads: a link's URL or a message's command."""
    return _text(_get(_get(action, "link"), "url")) or _text(
        _get(_get(action, "message"), "command")
    )


def _botcopy_card(obj: object) -> Card | None:
    if not _is_map(obj):
        return None
    title = _text(obj.get("title"))
    action = obj.get("action")
    buttons = []
    for item in _items(_get(action, "buttons")):
        label = _text(_get(item, "title"))
        if label is not None:
            buttons.append(CardButton(label, _botcopy_action(_get(item, "action")) or label))
    target = _botcopy_action(action)
    if not buttons and target is not None:
        # The card itself is the button; its message command defaults to the title.
        buttons.append(CardButton(title or target, target))
    elif not buttons and isinstance(_get(action, "message"), Mapping) and title:
        buttons.append(CardButton(title, title))
    return Card(
        title=title,
        subtitle=_text(obj.get("subtitle")) or _text(obj.get("body")),
        image_url=_text(_get(obj.get("image"), "url")),
        buttons=tuple(buttons),
    )
