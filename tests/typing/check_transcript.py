"""Type-checked, never run: render_transcript accepts what users will pass it (mypy --strict)."""

from __future__ import annotations

from datetime import timezone

from typing_extensions import assert_type

from botcopy_handover import (
    CustomerMessage,
    HandoverRequest,
    HistoryItem,
    MessageEvent,
    TranscriptFormat,
    render_transcript,
)


def check_single_events(request: HandoverRequest, message: CustomerMessage) -> None:
    assert_type(render_transcript(request), str)
    assert_type(render_transcript(message, "html", tz=timezone.utc, header=False), str)


def check_lists(request: HandoverRequest, message: CustomerMessage, push: MessageEvent) -> None:
    assert_type(render_transcript([request, push, message], "markdown"), str)
    assert_type(render_transcript(request.history), str)
    history: list[HistoryItem] = list(request.history)
    assert_type(render_transcript((*history, message)), str)


def check_format_variable(request: HandoverRequest, fmt: TranscriptFormat) -> None:
    assert_type(render_transcript(request, fmt), str)


def check_wrong_format_is_refused(request: HandoverRequest) -> None:
    render_transcript(request, "pdf")  # type: ignore[arg-type]
