"""A read-only, typed view over a Dialogflow detectIntent response.

Botcopy passes Dialogflow's detectIntent response on "unchanged", which in
practice means one of three spellings of the same data:

* the REST JSON form (camelCase: ``queryResult.fulfillmentMessages``);
* the same with snake_case keys (``query_result.fulfillment_messages``), as some
  Python callers write it;
* the Node.js client form, where every protobuf ``Struct`` is
  ``{"fields": {"k": {"stringValue": "v", "kind": "stringValue"}}}`` and every
  oneof carries a sibling naming its set member (``"message": "text"``).

[`DialogflowResponse`][botcopy_handover.DialogflowResponse] reads all three, for Dialogflow ES (v2)
and CX (v3),
into the same views::

    >>> view = DialogflowResponse({"queryResult": {
    ...     "fulfillmentMessages": [{"text": {"text": ["Connecting you to an agent."]}}],
    ...     "outputContexts": [{"name": "projects/p/agent/sessions/s/contexts/bc-human-handover",
    ...                         "lifespanCount": 1}],
    ... }})
    >>> view.texts
    ('Connecting you to an agent.',)
    >>> view.is_handover("BC-Human-Handover")
    True

The view never raises on odd input: a field of the wrong type is skipped or read
as ``None``, and a message it cannot read becomes an `UnknownMessage`.
One odd payload must not fail a webhook.
"""

# The transcript renderer reads rich content in custom payloads with the parsers' helpers.
from botcopy_handover.models.dialogflow._messages import (
    _payload_cards as _payload_cards,
)
from botcopy_handover.models.dialogflow._messages import (
    _payload_quick_replies as _payload_quick_replies,
)
from botcopy_handover.models.dialogflow._struct import decode_struct
from botcopy_handover.models.dialogflow._values import (
    DEFAULT_CX_TRIGGER,
    Card,
    CardButton,
    CardMessage,
    DialogflowMessage,
    JsonObject,
    JsonValue,
    OutputContext,
    PayloadMessage,
    QuickReplies,
    QuickRepliesMessage,
    TextMessage,
    UnknownMessage,
)
from botcopy_handover.models.dialogflow._view import DialogflowResponse

__all__ = [
    "DEFAULT_CX_TRIGGER",
    "Card",
    "CardButton",
    "CardMessage",
    "DialogflowMessage",
    "DialogflowResponse",
    "JsonObject",
    "JsonValue",
    "OutputContext",
    "PayloadMessage",
    "QuickReplies",
    "QuickRepliesMessage",
    "TextMessage",
    "UnknownMessage",
    "decode_struct",
]
