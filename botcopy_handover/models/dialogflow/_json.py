"""Reading loosely typed JSON: camelCase or snake_case keys, wrong types skipped.

The view is read on every webhook call, so these primitives are its fast path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar, overload

from typing_extensions import TypeIs

from botcopy_handover.models.dialogflow._values import JsonObject

# --- speed -------------------------------------------------------------------
# The view is read on every webhook call, so its primitives avoid the two
# costs that dominated it: ``isinstance(x, Mapping)`` (an ABC check, several
# times slower than a type test) and ``functools.cached_property`` (a lock on
# Python 3.10/3.11). Parsed JSON is made of plain dicts, so they go first.

_T = TypeVar("_T")
_R = TypeVar("_R")


def _is_map(obj: object) -> TypeIs[Mapping[str, object]]:
    """Whether *obj* is a mapping; a plain ``dict`` is answered without the ABC check."""
    return type(obj) is dict or isinstance(obj, Mapping)


class _cached(Generic[_T, _R]):  # noqa: N801 - used as a decorator, like cached_property
    """``functools.cached_property`` without its lock: the value lands in ``__dict__``.

    Two threads computing the same view at once both get equal values; the
    view is pure, so that is harmless, and cheaper than a lock on every first read.
    """

    def __init__(self, func: Callable[[_T], _R]) -> None:
        self.func: Callable[[_T], _R] = func
        self.name: str = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type[_T], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[_T] | None = None) -> _cached[_T, _R]: ...
    @overload
    def __get__(self, instance: _T, owner: type[_T] | None = None) -> _R: ...
    def __get__(self, instance: _T | None, owner: type[_T] | None = None) -> _R | _cached[_T, _R]:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


# --- reading loosely typed JSON ---------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Each key's snake_case spelling, or None when it is the same word; filled on
# first use. Nearly every key is this module's own constant; the cap keeps
# keys taken from a payload (a Node-form oneof name) from growing it.
_SNAKES: dict[str, str | None] = {}
_SNAKES_MAX = 512


def _get(obj: object, key: str) -> object:
    """``obj[key]`` under its camelCase or snake_case name; ``None`` if absent."""
    if type(obj) is not dict and not isinstance(obj, Mapping):
        return None
    value = obj.get(key)
    if value is None:
        try:
            snake = _SNAKES[key]
        except KeyError:
            spelled = _snake(key)
            snake = None if spelled == key else spelled
            if len(_SNAKES) < _SNAKES_MAX:
                _SNAKES[key] = snake
        if snake is not None:
            value = obj.get(snake)
    return value


def _mapping(obj: object) -> Mapping[str, object] | None:
    return obj if _is_map(obj) else None


def _items(obj: object) -> list[object] | tuple[object, ...]:
    return obj if isinstance(obj, (list, tuple)) else ()


def _text(obj: object) -> str | None:
    # Empty reads as absent: the Node form writes "" where REST omits the field.
    return obj if isinstance(obj, str) and obj else None


def _number(obj: object) -> float | None:
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        return None
    return float(obj)


def _integer(obj: object) -> int | None:
    if isinstance(obj, bool):
        return None
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    # proto3 JSON may write integers as strings.
    if isinstance(obj, str) and re.fullmatch(r"-?[0-9]{1,18}", obj):
        return int(obj)
    return None


def _last_segment(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1]


def _as_object(obj: object) -> JsonObject | None:
    """*obj* as a ``dict`` with string keys: itself if it already is one."""
    if not _is_map(obj):
        return None
    if isinstance(obj, dict) and all(isinstance(key, str) for key in obj):
        return obj
    return {key: value for key, value in obj.items() if isinstance(key, str)}


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        folded = value.strip().casefold()
        return bool(folded) and folded != "false"
    return False
