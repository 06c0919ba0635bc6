"""Botcopy's and Dialogflow's wire shapes, built once for the request builders and the emulator.

Every test payload the package makes comes from here: Dialogflow
detectIntent responses (ES and CX, REST JSON or the Node.js client's
protobuf form), the five message-history item kinds, and the Step One and
Step Two bodies. One constant per fact: the trigger names, the push path,
the platform names, the time format.

Resource names follow Google's documentation:

=============================  ====================================================
resource                       name
=============================  ====================================================
ES session                     ``projects/P/agent/sessions/S``
ES intent                      ``projects/P/agent/intents/ID``
CX session                     ``projects/P/locations/L/agents/A/sessions/S``
CX intent                      ``projects/P/locations/L/agents/A/intents/ID``
=============================  ====================================================
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, Literal, TypeAlias

from botcopy_handover.client._base import PUSH_PATH
from botcopy_handover.models.dialogflow import DEFAULT_CX_TRIGGER

__all__ = [
    "CX_TRIGGER",
    "ES_TRIGGER",
    "PLATFORM_NAMES",
    "PUSH_PATH",
    "Platform",
    "agent_payload",
    "customer_to_agent_payload",
    "cx_response",
    "cx_session",
    "es_response",
    "es_session",
    "event_payload",
    "history_item",
    "intent_path",
    "iso",
    "json_number",
    "node_form",
    "query_payload",
    "step_one_body",
    "step_two_body",
    "to_struct",
]

Platform: TypeAlias = Literal["es", "cx"]
"""The Dialogflow edition: ``"es"`` or ``"cx"``."""

ES_TRIGGER: Final = "bc-human-handover"
"""The ES output context the portal's documentation suggests as the handover trigger."""

CX_TRIGGER: Final = DEFAULT_CX_TRIGGER
"""The CX session parameter that triggers a handover (``bcHumanHandover``)."""

PLATFORM_NAMES: Final[Mapping[Platform, str]] = {"es": "dialogflowES", "cx": "dialogFlowCX"}
"""``botPlatform`` as Botcopy writes it (note CX's capital F)."""

_INTENT_NAMESPACE = uuid.UUID("5d1e8a36-9a55-4c1e-9bd4-8c4f3f0b1d2e")


def iso(at: datetime) -> str:
    """ISO 8601 with milliseconds and ``Z`` for UTC, as Botcopy's ``createdAt``."""
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- Dialogflow resource names ------------------------------------------------


def es_session(project: str, session_id: str) -> str:
    """``projects/P/agent/sessions/S``."""
    return f"projects/{project}/agent/sessions/{session_id}"


def cx_session(project: str, location: str, agent: str, session_id: str) -> str:
    """``projects/P/locations/L/agents/A/sessions/S``."""
    return f"projects/{project}/locations/{location}/agents/{agent}/sessions/{session_id}"


_ES_AGENT = re.compile(r"^(projects/[^/]+/agent)/")
_CX_AGENT = re.compile(r"^(projects/[^/]+/locations/[^/]+/agents/[^/]+)/")


def intent_path(session: str, display_name: str) -> str:
    """The intent's resource name in the session's agent, with a stable UUID for an id.

    ``projects/P/agent/intents/ID`` for an ES session (environments and users
    included), ``projects/P/locations/L/agents/A/intents/ID`` for a CX one.

    Examples:
        >>> name = intent_path("projects/p/agent/sessions/s", "faq")
        >>> name.startswith("projects/p/agent/intents/")
        True

    """
    match = _CX_AGENT.match(session) or _ES_AGENT.match(session)
    agent = match.group(1) if match else "projects/unknown/agent"
    return f"{agent}/intents/{uuid.uuid5(_INTENT_NAMESPACE, display_name)}"


# -- detectIntent responses, REST JSON ----------------------------------------


def es_response(
    *,
    session: str,
    said: str,
    intent: str,
    query_text: str = "",
    confidence: float = 0.9,
    contexts: Sequence[str] = (),
    language: str = "en",
    response_id: str = "response-1",
) -> dict[str, Any]:
    """An ES ``DetectIntentResponse`` (REST JSON) saying ``said``, with output ``contexts``."""
    result: dict[str, Any] = {
        "queryText": query_text,
        "parameters": {},
        "allRequiredParamsPresent": True,
        "fulfillmentText": said,
        "fulfillmentMessages": [{"text": {"text": [said]}}],
        "intent": {"name": intent_path(session, intent), "displayName": intent},
        "intentDetectionConfidence": confidence,
        "languageCode": language,
    }
    if contexts:
        result["outputContexts"] = [
            {"name": f"{session}/contexts/{name}", "lifespanCount": 1} for name in contexts
        ]
    return {"responseId": response_id, "queryResult": result}


def cx_response(
    *,
    session: str,
    said: str,
    intent: str,
    text: str | None = None,
    event: str | None = None,
    confidence: float = 0.9,
    parameters: Mapping[str, Any] | None = None,
    language: str = "en",
    response_id: str = "response-1",
) -> dict[str, Any]:
    """A CX ``DetectIntentResponse`` (REST JSON) to a ``text`` or ``event`` (``triggerEvent``)."""
    result: dict[str, Any] = {}
    if event is not None:
        result["triggerEvent"] = event
    else:
        result["text"] = text or ""
    result.update(
        {
            "languageCode": language,
            "parameters": dict(parameters or {}),
            "responseMessages": [{"text": {"text": [said]}}],
            "match": {
                "intent": {"name": intent_path(session, intent), "displayName": intent},
                "confidence": confidence,
                "matchType": "EVENT" if event is not None else "INTENT",
            },
        }
    )
    if event is not None:
        result["match"]["event"] = event
    return {"responseId": response_id, "queryResult": result}


# -- the Node.js client's form ------------------------------------------------


def _value(value: Any) -> dict[str, Any]:
    """A ``google.protobuf.Value`` as the Node.js client writes it (with ``kind``)."""
    if value is None:
        return {"nullValue": "NULL_VALUE", "kind": "nullValue"}
    if isinstance(value, bool):
        return {"boolValue": value, "kind": "boolValue"}
    if isinstance(value, (int, float)):
        return {"numberValue": float(value), "kind": "numberValue"}
    if isinstance(value, str):
        return {"stringValue": value, "kind": "stringValue"}
    if isinstance(value, Mapping):
        return {"structValue": to_struct(value), "kind": "structValue"}
    return {"listValue": {"values": [_value(v) for v in value]}, "kind": "listValue"}


def to_struct(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object as a Node.js-client ``google.protobuf.Struct``: ``{"fields": {...}}``.

    Examples:
        >>> to_struct({"a": 1})
        {'fields': {'a': {'numberValue': 1.0, 'kind': 'numberValue'}}}

    """
    return {"fields": {key: _value(value) for key, value in obj.items()}}


_MESSAGE_MEMBERS = ("text", "payload", "quickReplies", "card", "image", "basicCard")


def _node_message(message: Mapping[str, Any], *, es: bool) -> dict[str, Any]:
    out = dict(message)
    member = next((m for m in _MESSAGE_MEMBERS if m in out), None)
    if member == "payload" and isinstance(out["payload"], Mapping):
        out["payload"] = to_struct(out["payload"])
    if es:
        out.setdefault("platform", "PLATFORM_UNSPECIFIED")
    if member is not None:
        out["message"] = member
    return out


def node_form(response: Mapping[str, Any]) -> dict[str, Any]:
    """A REST-JSON detectIntent response as the Node.js client hands it to Botcopy.

    Structs become ``{"fields": {k: {"stringValue": v, "kind": "stringValue"}}}``,
    each oneof gets a sibling naming its set member (``"message": "text"``,
    CX ``"query": "text"``), and the defaults the client fills in appear
    (``platform``, ``webhookStatus``, ``outputAudio`` as a Node ``Buffer``).
    """
    result = dict(response.get("queryResult") or {})
    es = "fulfillmentMessages" in result or "queryText" in result
    if "parameters" in result:
        result["parameters"] = to_struct(result["parameters"])
    for key in ("fulfillmentMessages", "responseMessages"):
        if key in result:
            result[key] = [_node_message(m, es=es) for m in result[key]]
    if "outputContexts" in result:
        result["outputContexts"] = [
            {**c, "parameters": to_struct(c.get("parameters") or {})}
            for c in result["outputContexts"]
        ]
    if es:
        result.setdefault("webhookPayload", None)
        result.setdefault("diagnosticInfo", None)
        result.setdefault("sentimentAnalysisResult", None)
    else:
        result["query"] = next(
            (k for k in ("text", "triggerIntent", "transcript", "triggerEvent") if k in result),
            "text",
        )
        if "match" in result:
            match = dict(result["match"])
            match["parameters"] = to_struct(match.get("parameters") or {})
            result["match"] = match
    return {
        "responseId": response.get("responseId", ""),
        "queryResult": result,
        "webhookStatus": None,
        "outputAudio": {"type": "Buffer", "data": []},
        "outputAudioConfig": None,
    }


# -- message history ----------------------------------------------------------


def history_item(
    item_id: str, platform: Platform, direction: str, payload: Mapping[str, Any], at: datetime
) -> dict[str, Any]:
    """One ``messageHistory`` item."""
    return {
        "_id": item_id,
        "botPlatform": PLATFORM_NAMES[platform],
        "direction": direction,
        "payload": dict(payload),
        "createdAt": iso(at),
    }


def query_payload(
    text: str,
    session_id: str,
    *,
    nested: bool,
    language: str = "en",
    query_parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Kind 1 (customer text to Dialogflow): flat in ``payload`` or nested in ``queryParameters``.

    The document's JSON nests ``query``, ``lang`` and ``sessionId`` under
    ``payload.queryParameters`` (with unbalanced braces); read literally the
    other way, they sit directly in ``payload``. Botcopy may send either.
    """
    fields = {
        "queryParameters": dict(query_parameters or {}),
        "query": text,
        "lang": language,
        "sessionId": session_id,
    }
    return {"queryParameters": fields} if nested else fields


def event_payload(
    name: str, session_id: str, *, language: str = "en", data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Kind 2: an event sent to Dialogflow."""
    return {
        "queryParameters": {},
        "event": {"name": name, "data": dict(data or {})},
        "lang": language,
        "sessionId": session_id,
    }


def agent_payload(text: str) -> dict[str, Any]:
    """Kind 4: a live agent's text to the customer."""
    return {"text": text}


def customer_to_agent_payload(
    text: str, session_id: str, *, language: str = "en"
) -> dict[str, Any]:
    """Kind 5: a customer's text to the live agent (``direction`` is ``out``, as documented)."""
    return {
        "queryParameters": {"contexts": [], "payload": {}, "webhookHeaders": {}},
        "query": text,
        "lang": language,
        "sessionId": session_id,
    }


# -- Step One and Step Two ----------------------------------------------------


def step_one_body(
    *,
    user_id: str,
    bot_id: str,
    session_id: str,
    session: str,
    text: str,
    dialogflow_response: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]] | None,
    language: str = "en",
) -> dict[str, Any]:
    """A Step One body (without ``accessToken``); ``history=None`` leaves ``messageHistory`` out."""
    body: dict[str, Any] = {
        "userId": user_id,
        "botId": bot_id,
        "sessionId": session_id,
        "dialogflowResponse": dict(dialogflow_response),
    }
    if history is not None:
        body["messageHistory"] = [dict(item) for item in history]
    body.update(
        {
            "session": session,
            "queryInput": {"text": {"text": text, "languageCode": language}},
            "queryParams": {"contexts": []},
        }
    )
    return body


def step_two_body(
    *, user_id: str, bot_id: str, session_id: str, session: str, text: str, language: str = "en"
) -> dict[str, Any]:
    """A Step Two body (without ``accessToken``): the customer wrote while paused."""
    return {
        "userId": user_id,
        "botId": bot_id,
        "sessionId": session_id,
        "session": session,
        "queryInput": {"text": {"text": text, "languageCode": language}},
        "queryParams": {"contexts": [], "payload": {}, "webhookHeaders": {}},
    }


def json_number(value: object) -> float | None:
    """``value`` as a float if it is a finite JSON number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None
