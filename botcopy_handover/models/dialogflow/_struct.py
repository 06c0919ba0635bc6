"""The protobuf ``Struct`` decoder: REST JSON and the Node.js client form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from botcopy_handover.models.dialogflow._json import _as_object, _get, _is_map
from botcopy_handover.models.dialogflow._values import JsonObject, JsonValue

# --- protobuf Struct, Node.js client form -------------------------------------

_VALUE_KINDS = frozenset(
    {"nullValue", "numberValue", "stringValue", "boolValue", "structValue", "listValue"}
)


def _value_kind(obj: object) -> str | None:
    """Name the set member of a Node-form ``google.protobuf.Value``; ``None`` if not one."""
    if not _is_map(obj) or not obj:
        return None
    members = []
    for key in obj:
        if key in _VALUE_KINDS:
            members.append(key)
        elif key != "kind":
            return None
    named = obj.get("kind")
    if named is not None:
        if not isinstance(named, str) or named not in members:
            return None
        kind = named
    elif len(members) == 1:
        kind = members[0]
    else:
        return None
    return kind if _fits(kind, obj[kind]) else None


def _fits(kind: str, value: object) -> bool:
    if kind == "stringValue":
        return isinstance(value, str)
    if kind == "boolValue":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "numberValue":
        return isinstance(value, (int, float, str))
    if kind == "nullValue":
        return value is None or value == 0 or value == "NULL_VALUE"
    return _is_map(value)  # structValue, listValue


def _struct_fields(obj: object) -> Mapping[str, object] | None:
    """Return the ``fields`` of a Node-form ``Struct``; ``None`` if *obj* is not one.

    A REST payload may well have a key named ``fields``; it is a Struct only if
    ``fields`` is its sole key and every value under it is ``Value``-shaped.
    """
    if not _is_map(obj) or len(obj) != 1:
        return None
    fields = obj.get("fields")
    if not _is_map(fields):
        return None
    if all(_value_kind(value) is not None for value in fields.values()):
        return fields
    return None


def decode_struct(obj: object) -> JsonObject:
    """Read a protobuf ``Struct`` in any form as a plain ``dict``.

    A Node.js client-form Struct (``{"fields": {"k": {"stringValue": "v"}}}``)
    is decoded to ``{"k": "v"}``; a plain JSON object (REST form) is returned
    as it is; anything else gives ``{}``. Never raises, however deep the input.

    Example::

        >>> decode_struct({"fields": {"n": {"numberValue": 2, "kind": "numberValue"}}})
        {'n': 2.0}
    """
    fields = _struct_fields(obj)
    if fields is not None:
        return _decode_struct(fields)
    return _as_object(obj) or {}


# A slot to fill in a decoded container: (container, key or index, encoded Value).
_Slot: TypeAlias = tuple[dict[str, Any] | list[Any], Any, object]


def _decode_struct(fields: Mapping[str, object]) -> JsonObject:
    """Decode a Struct's ``fields`` without recursion, so depth cannot overflow the stack.

    Containers already decoded are remembered by identity, so a shared (or,
    from Python callers, cyclic) structure is decoded once and cannot loop.
    """
    todo: list[_Slot] = []
    memo: dict[int, Any] = {}
    root = _open_struct(fields, todo)
    memo[id(fields)] = root
    while todo:
        container, key, encoded = todo.pop()
        container[key] = _decode_value(encoded, todo, memo)
    return root


def _open_struct(fields: Mapping[str, object], todo: list[_Slot]) -> JsonObject:
    out: JsonObject = {}
    for key, value in fields.items():
        if isinstance(key, str):
            out[key] = None  # keep the key order; the value is filled in later
            todo.append((out, key, value))
    return out


def _decode_value(encoded: object, todo: list[_Slot], memo: dict[int, Any]) -> JsonValue:
    kind = _value_kind(encoded)
    if kind is None or not _is_map(encoded):
        # Not Value-shaped: a caller mixed plain JSON in; keep it as it is.
        return encoded
    value = encoded[kind]
    if kind == "stringValue" or kind == "boolValue":
        return value
    if kind == "nullValue":
        return None
    if kind == "numberValue":
        return _decode_number(value)
    if kind == "structValue":
        fields = _get(value, "fields")
        if not _is_map(fields):
            # protobufjs may drop an empty ``fields``; anything else is plain JSON.
            return _as_object(value) or {}
        if id(fields) not in memo:
            memo[id(fields)] = _open_struct(fields, todo)
        return memo[id(fields)]
    values = _get(value, "values")  # listValue
    if not isinstance(values, (list, tuple)):
        return []
    if id(values) not in memo:
        out: list[Any] = [None] * len(values)
        todo.extend((out, index, item) for index, item in enumerate(values))
        memo[id(values)] = out
    return memo[id(values)]


def _decode_number(value: object) -> JsonValue:
    if isinstance(value, (int, float)):
        return float(value)
    # proto3 JSON writes non-finite doubles as "NaN", "Infinity", "-Infinity".
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(str(value))
    return value
