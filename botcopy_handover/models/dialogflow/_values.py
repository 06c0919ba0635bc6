"""The value types a detectIntent response is read into: messages, cards, contexts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias

JsonValue: TypeAlias = Any
"""A decoded JSON value: ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` or ``None``."""

JsonObject: TypeAlias = dict[str, JsonValue]
"""A decoded JSON object."""

DEFAULT_CX_TRIGGER = "bcHumanHandover"
"""The CX session parameter Botcopy watches to start a handover."""


# --- the typed pieces ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutputContext:
    """An ES output context."""

    name: str
    """The full resource name, ``projects/<p>/agent/sessions/<s>/contexts/<short_name>``."""
    short_name: str
    """The last path segment of [`name`][botcopy_handover.OutputContext.name] as written (Dialogflow lower-cases it)."""  # noqa: E501 - a link in the summary
    lifespan_count: int | None
    """Turns left before the context expires; ``0`` means it has expired.

    ``None`` when the response does not say: REST JSON omits zero values, so an
    absent count cannot be told from a missing one, and is not read as expired.
    """
    parameters: JsonObject
    """The context's parameters, decoded to plain Python."""


@dataclass(frozen=True, slots=True)
class QuickReplies:
    """A set of reply chips offered to the customer."""

    title: str | None
    """Text shown above the chips, if any."""
    replies: tuple[str, ...]
    """The chip labels, in order."""


@dataclass(frozen=True, slots=True)
class CardButton:
    """A button on a [`Card`][botcopy_handover.Card]."""

    text: str
    """The button label."""
    postback: str | None
    """What pressing it does: a URL, or the text or event sent to the bot; ``None`` if unsaid."""


@dataclass(frozen=True, slots=True)
class Card:
    """A card: title, subtitle, image and buttons, each optional."""

    title: str | None
    """The card title."""
    subtitle: str | None
    """The subtitle or body text."""
    image_url: str | None
    """The card image's URL."""
    buttons: tuple[CardButton, ...]
    """The card's buttons, in order."""


@dataclass(frozen=True, slots=True)
class TextMessage:
    """One line of text the bot said."""

    kind: ClassVar[str] = "text"
    text: str
    """The line."""


@dataclass(frozen=True, slots=True)
class QuickRepliesMessage:
    """An ES ``quickReplies`` (or Actions on Google ``suggestions``) message."""

    kind: ClassVar[str] = "quick_replies"
    quick_replies: QuickReplies
    """The chips."""


@dataclass(frozen=True, slots=True)
class CardMessage:
    """An ES ``card`` or ``basicCard`` message."""

    kind: ClassVar[str] = "card"
    card: Card
    """The card."""


@dataclass(frozen=True, slots=True)
class PayloadMessage:
    """A custom payload message (ES or CX), decoded to plain Python."""

    kind: ClassVar[str] = "payload"
    payload: JsonObject
    """The payload, a ``Struct`` decoded to plain Python."""


@dataclass(frozen=True, slots=True)
class UnknownMessage:
    """A message this view does not read (an image, a CX ``liveAgentHandoff``, ...)."""

    kind: ClassVar[str] = "unknown"
    raw: JsonObject
    """The message exactly as received."""


DialogflowMessage: TypeAlias = (
    TextMessage | QuickRepliesMessage | CardMessage | PayloadMessage | UnknownMessage
)
"""Any one response message; tell them apart with ``match`` or ``kind``."""
