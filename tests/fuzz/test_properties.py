"""Any input to a public entry point gives a result or a BotcopyError, nothing else.

Bounded by the hypothesis profile ``ci`` here (see tests/fuzz/strategies.py);
``make fuzz`` runs the same targets for a million inputs and more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from hypothesis import given

from tests.fuzz.strategies import bodies, fuzz_settings, mutated_seeds
from tests.fuzz.targets import (
    target_dialogflow,
    target_parse_webhook,
    target_push_event,
    target_receive,
    target_render_transcript,
)


@pytest.fixture(autouse=True)
def _quiet_refusals() -> Iterator[None]:
    # Refused calls log a warning each; thousands of them say nothing here.
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@fuzz_settings
@given(bodies)
def test_parse_webhook_gives_an_event_or_a_botcopy_error(body: bytes) -> None:
    target_parse_webhook(body)


@fuzz_settings
@given(bodies)
def test_receive_gives_an_event_or_a_botcopy_error(body: bytes) -> None:
    target_receive(body)


@fuzz_settings
@given(mutated_seeds())
def test_dialogflow_view_reads_any_response(body: bytes) -> None:
    target_dialogflow(body)


@fuzz_settings
@given(bodies)
def test_render_transcript_renders_any_history(body: bytes) -> None:
    target_render_transcript(body)


@fuzz_settings
@given(bodies)
def test_parse_push_event_gives_an_event_or_a_botcopy_error(body: bytes) -> None:
    target_push_event(body)
