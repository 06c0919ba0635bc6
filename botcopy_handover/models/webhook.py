"""The two bodies Botcopy POSTs to your webhook.

* [`HandoverRequest`][botcopy_handover.HandoverRequest] — the spec's "Step One": a trigger fired in
  the bot;
  the body carries Dialogflow's response and the conversation history.
* [`CustomerMessage`][botcopy_handover.CustomerMessage] — the spec's "Step Two": the bot is paused
  and the
  customer wrote again; forward the text to your desk.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter, model_validator

from botcopy_handover.models._base import DEFERRED, NoneAsEmpty, WireModel
from botcopy_handover.models.dialogflow import DialogflowResponse
from botcopy_handover.models.history import HistoryItem

_HISTORY: TypeAdapter[list[HistoryItem]] = TypeAdapter(list[HistoryItem], config=DEFERRED)

__all__ = [
    "CustomerMessage",
    "HandoverRequest",
    "QueryInput",
    "QueryParams",
    "TextInput",
    "WebhookEvent",
]


class TextInput(WireModel):
    """``queryInput.text``: what the customer typed."""

    text: str
    """The customer's message."""
    language_code: str | None = None
    """The customer's language code, e.g. ``en``."""


class QueryInput(WireModel):
    """``queryInput``: the customer input that reached the trigger, or the live chat.

    ``text`` is ``None`` when the input was not text (for example an event);
    the other input kinds are kept in `extra`.
    """

    text: TextInput | None = None


class QueryParams(WireModel):
    """``queryParams``: the Dialogflow query parameters of the customer's request."""

    contexts: list[Any] = Field(default_factory=list)
    """Input contexts, as sent."""
    payload: dict[str, Any] = Field(default_factory=dict)
    """The custom payload Botcopy attached to the query."""
    webhook_headers: dict[str, Any] = Field(default_factory=dict, repr=False)
    """Headers Botcopy asked Dialogflow to pass to its fulfillment webhook.

    Left out of ``repr``: they may hold the fulfillment's credentials.
    """


def _is_token_key(key: str) -> bool:
    return key.replace("_", "").replace("-", "").casefold() == "accesstoken"


def body_tokens(event: HandoverRequest | CustomerMessage) -> tuple[object, ...]:
    """Every token value the body carries, under any spelling of ``accessToken``.

    Not exported: [`Webhook`][botcopy_handover.Webhook] verifies each one.
    """
    main = () if event.access_token is None else (event.access_token,)
    other: tuple[object, ...] = event.__dict__.get("_other_tokens", ())
    return main + other


class _EventBase(WireModel):
    access_token: str | None = Field(default=None, repr=False, exclude=True)
    """The access token set on the portal (``accessToken``), also sent in ``Authorization``.

    Left out of ``repr`` and ``model_dump`` so it cannot reach a log by
    accident; verify it with [`Webhook`][botcopy_handover.Webhook], which
    compares in constant time, rather than by hand.
    """
    user_id: str
    """Identifies the customer; pass it back on every push."""
    bot_id: str
    """Identifies the bot; pass it back on every push."""
    session_id: str | None = None
    """Botcopy's session id for this customer and bot."""
    session: str | None = None
    """The Dialogflow session id (or full session path)."""
    query_params: QueryParams = Field(default_factory=QueryParams)
    """``queryParams`` of the customer's request."""

    @model_validator(mode="after")
    def _hide_token_spellings(self) -> _EventBase:
        # ``access_token``, ``AccessToken``, ``ACCESS-TOKEN``... are the token
        # too: out of ``extra``, ``repr`` and dumps, and verified by Webhook.
        extra = self.__pydantic_extra__
        if extra:
            found = [key for key in extra if _is_token_key(key)]
            if found:
                # Kept beside the fields, as the typed history is: no
                # private-attribute machinery on every event for a rare case.
                self.__dict__["_other_tokens"] = tuple(extra.pop(key) for key in found)
        return self

    @property
    def customer(self) -> tuple[str, str]:
        """``(bot_id, user_id)``: the key that names this customer's conversation."""
        return (self.bot_id, self.user_id)


class HandoverRequest(_EventBase):
    """Step One: a handover trigger fired; pause the bot and bring in an agent.

    Reply with [`Pause`][botcopy_handover.Pause] within 5 seconds to hand the
    conversation over, or [`Continue`][botcopy_handover.Continue] to let the bot go on.
    """

    dialogflow_response: dict[str, Any]
    """The detectIntent response that carried the trigger, unchanged."""
    message_history: Annotated[list[Any], NoneAsEmpty()] = Field(default_factory=list, repr=False)
    """The history exactly as sent (``messageHistory``): one JSON value per item.

    Read [`history`][botcopy_handover.HandoverRequest.history] for typed items.
    """
    query_input: QueryInput = Field(default_factory=QueryInput)
    """The customer input that led to the trigger."""

    @property
    def history(self) -> list[HistoryItem]:
        """The conversation so far, typed, oldest first as Botcopy sends it.

        Items are typed on first access, not when the body is parsed, so an
        endpoint that never looks at the history (or only forwards the text)
        does not pay for a long one. Typing an item cannot fail: an item that
        fits no kind is an [`UnknownHistoryItem`][botcopy_handover.UnknownHistoryItem], so
        deferring it changes no outcome of parsing.
        """
        # Cached by hand: functools.cached_property takes a lock on 3.10/3.11,
        # which costs more than typing an empty history.
        cache = self.__dict__
        typed: list[HistoryItem] | None = cache.get("_typed_history")
        if typed is None:
            raw = self.message_history
            typed = cache["_typed_history"] = _HISTORY.validate_python(raw) if raw else []
        return typed

    @property
    def dialogflow(self) -> DialogflowResponse:
        """A typed view of [`dialogflow_response`][botcopy_handover.HandoverRequest.dialogflow_response]: what the bot last said, and why."""  # noqa: E501 - a link in the summary
        # Cached by hand, as the history is (no cached_property lock).
        view: DialogflowResponse | None = self.__dict__.get("_dialogflow_view")
        if view is None:
            view = self.__dict__["_dialogflow_view"] = DialogflowResponse(self.dialogflow_response)
        return view

    @property
    def text(self) -> str | None:
        """The customer text that led to the trigger, if it was text."""
        return self.query_input.text.text if self.query_input.text else None

    @property
    def language_code(self) -> str | None:
        """The customer's language code, e.g. ``en``."""
        return self.query_input.text.language_code if self.query_input.text else None


class _TextQueryInput(QueryInput):
    text: TextInput


class CustomerMessage(_EventBase):
    """Step Two: the bot is paused and the customer sent a message for the agent.

    Reply with [`Pause`][botcopy_handover.Pause] to keep the live chat going,
    [`End`][botcopy_handover.End] to end it.
    """

    query_input: _TextQueryInput
    """The customer's message."""
    # A Step Two body never carries these; declaring them as absent keeps a
    # malformed Step One body from being read as a Step Two body.
    dialogflow_response: None = Field(default=None, exclude=True, repr=False)
    message_history: None = Field(default=None, exclude=True, repr=False)

    @property
    def text(self) -> str:
        """What the customer wrote."""
        return self.query_input.text.text

    @property
    def language_code(self) -> str | None:
        """The customer's language code, e.g. ``en``."""
        return self.query_input.text.language_code


WebhookEvent = Annotated[HandoverRequest | CustomerMessage, Field(union_mode="left_to_right")]
"""Either webhook body: ``HandoverRequest | CustomerMessage``."""
