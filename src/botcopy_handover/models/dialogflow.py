"""Views over Dialogflow detectIntent responses (interface; implementation lands with the foundation)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botcopy_handover.models._base import BotPlatform

__all__ = ["Card", "CardButton", "CardMessage", "DialogflowMessage", "DialogflowResponse", "OutputContext", "PayloadMessage", "QuickReplies", "QuickRepliesMessage", "TextMessage", "UnknownMessage"]


@dataclass(frozen=True)
class OutputContext:
    name: str
    short_name: str
    lifespan_count: int | None
    parameters: dict[str, Any]


@dataclass(frozen=True)
class QuickReplies:
    title: str | None
    replies: tuple[str, ...]


@dataclass(frozen=True)
class CardButton:
    text: str
    postback: str | None


@dataclass(frozen=True)
class Card:
    title: str | None
    subtitle: str | None
    image_url: str | None
    buttons: tuple[CardButton, ...]


@dataclass(frozen=True)
class TextMessage:
    kind: ClassVar[str] = "text"
    text: str


@dataclass(frozen=True)
class QuickRepliesMessage:
    kind: ClassVar[str] = "quick_replies"
    quick_replies: QuickReplies


@dataclass(frozen=True)
class CardMessage:
    kind: ClassVar[str] = "card"
    card: Card


@dataclass(frozen=True)
class PayloadMessage:
    kind: ClassVar[str] = "payload"
    payload: dict[str, Any]


@dataclass(frozen=True)
class UnknownMessage:
    kind: ClassVar[str] = "unknown"
    raw: dict[str, Any]


DialogflowMessage = TextMessage | QuickRepliesMessage | CardMessage | PayloadMessage | UnknownMessage


class DialogflowResponse:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)
        self.platform: BotPlatform | None = None
        self.messages: tuple[DialogflowMessage, ...] = ()
        self.texts: tuple[str, ...] = ()
        self.quick_replies: tuple[QuickReplies, ...] = ()
        self.cards: tuple[Card, ...] = ()
        self.payloads: tuple[dict[str, Any], ...] = ()
        self.intent_name: str | None = None
        self.intent_id: str | None = None
        self.confidence: float | None = None
        self.parameters: dict[str, Any] = {}
        self.output_contexts: tuple[OutputContext, ...] = ()
        self.query_text: str | None = None
        self.language_code: str | None = None
        self.current_page: str | None = None

    def is_handover(self, trigger: str | None = None) -> bool:
        return False
