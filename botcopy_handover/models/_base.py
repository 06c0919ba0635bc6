"""The base class of every wire model, and the small types they share."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    NaiveDatetime,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from botcopy_handover._errors import ErrorDetail, InvalidEventError, InvalidPayloadError

__all__ = [
    "DEFERRED",
    "BotPlatform",
    "NoneAsEmpty",
    "Timestamp",
    "ValidateAs",
    "WireModel",
    "error_details",
    "format_path",
    "load_object",
]


class WireModel(BaseModel):
    """Base of the models that read what Botcopy sends.

    Attributes are snake_case; the wire names (camelCase) are aliases, and both
    are accepted on input. Unknown fields are kept (``model_extra``) because
    Botcopy adds fields without notice. Instances are immutable.
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        extra="allow",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        # Validators are built on first use, not at import: a cold start
        # (serverless) pays only for the models it uses.
        defer_build=True,
    )

    @property
    def extra(self) -> dict[str, Any]:
        """Fields Botcopy sent that this model does not know, by wire name."""
        return dict(self.model_extra or {})


class BotPlatform(str, enum.Enum):
    """The bot platform named by a history item's ``botPlatform``.

    The wire values are Botcopy's own spelling, including the odd capital F of
    ``dialogFlowCX``. Parsing accepts any casing; a platform this SDK does not
    know stays a plain string.
    """

    DIALOGFLOW_ES = "dialogflowES"
    DIALOGFLOW_CX = "dialogFlowCX"

    @classmethod
    def _missing_(cls, value: object) -> BotPlatform | None:
        if isinstance(value, str):
            folded = value.casefold()
            for member in cls:
                if member.value.casefold() == folded:
                    return member
        return None

    def __str__(self) -> str:
        return self.value


class ValidateAs:
    """Validate a field with another type's schema while keeping its declared type.

    The payload TypedDicts check the keys that tell history kinds apart; users
    see a plain ``dict[str, Any]``, so reading any other key type-checks.
    """

    def __init__(self, schema_type: Any) -> None:
        self.schema_type = schema_type

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return handler.generate_schema(self.schema_type)


class NoneAsEmpty:
    """Read ``null`` as an empty list, in pydantic-core.

    A before-validator would make pydantic-core turn the whole JSON list into
    Python objects first, doubling the parse time of a long history.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # A list is taken by the first member with no Python call (this runs on
        # every Step One body); only ``null`` reaches the function. One error,
        # as a plain list field gives, when the value is neither.
        return core_schema.union_schema(
            [
                handler(source),
                core_schema.no_info_after_validator_function(
                    _none_as_empty, core_schema.none_schema()
                ),
            ],
            mode="left_to_right",
            custom_error_type="list_type",
        )


def _none_as_empty(_: None) -> list[Any]:
    return []


def _assume_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc)


#: A timezone-aware datetime. ``Z`` and offsets are kept; a timestamp without
#: an offset is read as UTC, which is what Botcopy's servers write.
Timestamp = Annotated[
    AwareDatetime | Annotated[NaiveDatetime, AfterValidator(_assume_utc)],
    Field(union_mode="left_to_right"),
]


DEFERRED = ConfigDict(defer_build=True)
"""Config for a ``TypeAdapter`` of a non-model type: its validator is built on first use."""


def load_object(
    data: bytes | str | Mapping[str, Any],
    what: str,
    error: type[InvalidEventError | InvalidPayloadError],
) -> Mapping[str, Any]:
    """Decode ``data`` as a JSON object (a mapping passes through), or raise ``error``."""
    if isinstance(data, Mapping):
        return data
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise error(f"{what} is not valid JSON") from None
    if not isinstance(obj, Mapping):
        raise error(f"{what} must be a JSON object")
    return obj


def error_details(exc: ValidationError, *, drop_leading: int = 0) -> tuple[ErrorDetail, ...]:
    """Turn a pydantic ``ValidationError`` into our `ErrorDetail` list.

    Only the location and pydantic's reason are kept, never the input value,
    so a secret in the offending body cannot reach a message.
    """
    details = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        details.append(
            ErrorDetail(
                path=format_path(err["loc"][drop_leading:]),
                message=err["msg"],
                type=err["type"],
            )
        )
    return tuple(details)


def format_path(loc: tuple[int | str, ...]) -> str:
    """Render a location tuple as ``messageHistory[3].createdAt``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
