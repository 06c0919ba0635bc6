"""The entry points the fuzzers drive, and the one promise they check.

The promise (docs/reliability.md): for any input, each public entry point
below returns a result or raises a subclass of
[BotcopyError][botcopy_handover.BotcopyError], nothing else. Each target
takes one input, runs the entry point and everything a caller would read
from its result (every public property of the event, its history items and
their Dialogflow views, the transcript in every format), and lets only
``BotcopyError`` through as "handled". Anything else propagates: that is a
finding.

The same targets serve the property tests (tests/fuzz/test_properties.py,
hypothesis, run by ``make test``) and the long runs (scripts/fuzz.py,
atheris where it installs, ``make fuzz``).
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from botcopy_handover import (
    BotcopyError,
    CustomerMessage,
    DialogflowResponse,
    HandoverRequest,
    Webhook,
    parse_webhook,
    render_transcript,
)
from botcopy_handover.models import parse_push_event

__all__ = [
    "ACCESS_TOKEN",
    "KNOWN_BUGS",
    "KnownBug",
    "SEED_BODIES",
    "TARGETS",
    "exercise_dialogflow",
    "exercise_event",
    "seed_bodies",
]

ACCESS_TOKEN = "portal-access-token"  # the fixtures' token
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FORMATS = ("text", "markdown", "html")


KNOWN_BUGS: Counter[str] = Counter()
"""How many inputs hit each known bug in this process (the fuzzer reports it)."""


class KnownBug(Exception):  # noqa: N818 - a marker, not an error condition
    """An input hit a bug already filed: counted, not reported again as new."""


def _known(exc: BaseException, body: object) -> str | None:
    """The known bug ``exc`` is, or ``None`` when it is new.

    Add an entry (matching narrowly: the exception type and the input's
    shape) with each strict-xfail test in tests/fuzz/test_findings.py, and
    remove it with the fix. None open: the lone-surrogate ``TypeError`` of
    issue 12 (3) was the last.
    """
    return None


@contextlib.contextmanager
def _handled(body: object) -> Iterator[None]:
    """Let ``BotcopyError`` (the promise) and known bugs pass; anything else is a finding."""
    try:
        yield
    except BotcopyError:
        pass
    except Exception as exc:
        bug = _known(exc, body)
        if bug is None:
            raise
        KNOWN_BUGS[bug] += 1


@cache
def _webhook() -> Webhook:
    return Webhook(access_tokens=ACCESS_TOKEN)


def _properties(obj: object) -> Iterator[str]:
    """The public properties of ``obj``'s class (plain and cached), by name."""
    for klass in type(obj).__mro__:
        for name, member in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(member, property) or type(member).__name__ == "cached_property":
                yield name


def _touch(obj: object) -> None:
    """Read every public property of ``obj`` and its ``repr``, as a caller might."""
    repr(obj)
    for name in _properties(obj):
        getattr(obj, name)


def exercise_dialogflow(view: DialogflowResponse) -> None:
    """Read everything the Dialogflow view offers."""
    _touch(view)
    for message in view.messages:
        repr(message)
    view.is_handover()
    view.is_handover("live-agent")
    view.is_handover("")


def exercise_event(
    event: HandoverRequest | CustomerMessage, formats: tuple[str, ...] = FORMATS
) -> None:
    """Read everything a handler would read from an event, and render its transcript."""
    _touch(event)
    event.model_dump(by_alias=True)
    if isinstance(event, HandoverRequest):
        exercise_dialogflow(event.dialogflow)
        for item in event.history:
            _touch(item)
            view = getattr(item, "dialogflow", None)
            if isinstance(view, DialogflowResponse):
                exercise_dialogflow(view)
        render_transcript(event.history, "text")
    for fmt in formats:
        render_transcript(event, fmt)  # type: ignore[arg-type]


def _one_format(data: bytes) -> tuple[str, ...]:
    # One format per input keeps a long run fast; the inputs spread over all three.
    return (FORMATS[len(data) % len(FORMATS)],)


def _decode(data: bytes) -> str:
    # As ASGI servers hand over header values: any byte, read as latin-1.
    return data.decode("latin-1")


def target_parse_webhook(data: bytes) -> None:
    """``parse_webhook`` on the bytes (then read the event), and on the same body as ``str``."""
    with _handled(data):
        exercise_event(parse_webhook(data), _one_format(data))
    text = _try_str(data)
    if text is not None:
        with _handled(text):
            parse_webhook(text)


def target_receive(data: bytes) -> None:
    """``Webhook.receive`` with valid headers, wrong headers and the token in the body."""
    headers_ok = {"Authorization": ACCESS_TOKEN, "Content-Type": "application/json"}
    header_sets: list[Mapping[str, str] | list[tuple[str, str]]] = [
        headers_ok,
        {"authorization": f"Bearer {ACCESS_TOKEN}", "content-type": "application/json; charset=x"},
        [("Authorization", _decode(data[:40])), ("Content-Type", "application/json")],
        [("Content-Type", _decode(data[:40]))],
        {"Authorization": ACCESS_TOKEN, "Content-Type": "application/json",
         "Content-Length": _decode(data[:8])},
    ]  # fmt: skip
    # The event itself is read through by target_parse_webhook; here: the checks.
    for headers in header_sets:
        with _handled(data):
            _webhook().receive(data, headers)
    text = _try_str(data)
    if text is not None:
        with _handled(text):
            _webhook().receive(text, headers_ok)


def target_dialogflow(data: bytes) -> None:
    """The Dialogflow view over any JSON object (REST or protobuf ``Struct`` form)."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return
    _dialogflow_json(raw)


def _dialogflow_json(raw: Any) -> None:
    if isinstance(raw, dict):
        with _handled(None):
            exercise_dialogflow(DialogflowResponse(raw))
        # The same object as a Step One's dialogflowResponse.
        body = {"userId": "u", "botId": "b", "dialogflowResponse": raw}
        with _handled(None):
            exercise_event(parse_webhook(json.dumps(body)), ())


def target_render_transcript(data: bytes) -> None:
    """``render_transcript`` over a history built from the input's JSON array or object."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return
    _transcript_json(raw)


def _transcript_json(raw: Any) -> None:
    items = raw if isinstance(raw, list) else [raw]
    body = {"userId": "u", "botId": "b", "messageHistory": items}
    try:
        event = parse_webhook(json.dumps(body))
    except (BotcopyError, ValueError, RecursionError):
        return
    for fmt in FORMATS:
        with _handled(None):
            render_transcript(event, fmt)  # type: ignore[arg-type]
    if isinstance(event, HandoverRequest):
        with _handled(None):
            render_transcript([event, *event.history], "markdown")


def target_push_event(data: bytes) -> None:
    """``parse_push_event`` on bytes, on ``str``, and on the decoded mapping."""
    with _handled(None):
        parse_push_event(data).to_dict()
    text = _try_str(data)
    if text is not None:
        with _handled(text):
            parse_push_event(text)
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return
    if isinstance(raw, dict):
        with _handled(None):
            parse_push_event(raw).to_dict()


def _try_str(data: bytes) -> str | None:
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None


TARGETS: dict[str, Callable[[bytes], None]] = {
    "parse_webhook": target_parse_webhook,
    "receive": target_receive,
    "dialogflow": target_dialogflow,
    "render_transcript": target_render_transcript,
    "push_event": target_push_event,
}
"""Each fuzz target by name; each takes raw bytes."""


def seed_bodies() -> list[bytes]:
    """Valid inputs to start mutating from: the webhook, Dialogflow and push fixtures."""
    seeds = [path.read_bytes() for path in sorted(FIXTURES.glob("webhooks/*.json"))]
    seeds += [path.read_bytes() for path in sorted(FIXTURES.glob("dialogflow/*.json"))]
    seeds += [
        b'{"eventType": "message", "paused": true, "minutesPaused": 10, "userId": "u",'
        b' "botId": "b", "text": "hi"}',
        b'{"eventType": "channel_update", "paused": false, "userId": "u", "botId": "b",'
        b' "unpauseChatEvent": "none"}',
        b'{"eventType": "user_typing", "paused": true, "minutesPaused": 5, "userId": "u",'
        b' "botId": "b"}',
    ]
    return seeds


SEED_BODIES = seed_bodies()
"""The seeds, read once."""
