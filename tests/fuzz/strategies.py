"""Hypothesis strategies for the fuzz targets: raw bytes, hostile text, JSON, mutated fixtures."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.targets import SEED_BODIES
from tests.properties import PROFILE, fuzz_settings

__all__ = ["PROFILE", "bodies", "fuzz_settings", "json_values", "mutated_seeds"]

# Every code point, lone surrogates included (a str body need not be valid UTF-8).
_any_char = st.characters(codec=None, categories=None, exclude_categories=())
hostile_text = st.text(_any_char, max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\ud800", "\udfff", "\u202e", "NaN", "-1", "1e999", "null", "0" * 400]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text
)
_KEYS = [
    "userId", "botId", "text", "queryResult", "fulfillmentMessages", "payload",
    "fields", "kind", "stringValue", "structValue", "listValue", "values",
    "numberValue", "direction", "createdAt", "messageHistory", "queryInput",
    "responseMessages", "message", "quickReplies", "card", "eventType", "paused",
    "minutesPaused", "outputContexts", "name", "parameters", "intent",
]  # fmt: skip
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(_KEYS) | hostile_text,
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
"""Any JSON value, with keys the SDK looks for mixed in so the fuzzer reaches deep code."""


def _replace(obj: Any, path: list[int], value: Any) -> Any:
    """``obj`` with the node chosen by ``path`` (indexes into keys/items) set to ``value``."""
    if not path or not isinstance(obj, (dict, list)) or not obj:
        return value
    if isinstance(obj, dict):
        keys = list(obj)
        key = keys[path[0] % len(keys)]
        return {**obj, key: _replace(obj[key], path[1:], value)}
    index = path[0] % len(obj)
    return [*obj[:index], _replace(obj[index], path[1:], value), *obj[index + 1 :]]


@st.composite
def mutated_seeds(draw: st.DrawFn) -> bytes:
    """A fixture body with one to three of its nodes replaced by any JSON value."""
    data = json.loads(draw(st.sampled_from(SEED_BODIES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.lists(st.integers(0, 50), max_size=8))
        data = _replace(data, path, draw(json_values))
    return json.dumps(data, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


bodies = (
    st.binary(max_size=300)
    | hostile_text.map(lambda text: text.encode("utf-8", "surrogatepass"))
    | json_values.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass"))
    | mutated_seeds()
)
"""Any body: raw bytes, text, JSON, or a mutated real body."""
