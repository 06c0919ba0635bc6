"""The outbox's core: what may have arrived, partitions, entries and their steps."""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from botcopy_handover import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    Client,
    ConfigurationError,
    MemoryStore,
    MessageEvent,
    PauseEvent,
    StoreUnavailableError,
)
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import (
    DeliveryPolicy,
    Outbox,
    is_retryable,
    maybe_delivered,
    partition_of,
)
from botcopy_handover.outbox._core import (
    Answer,
    Check,
    Done,
    OutboxSettings,
    Pending,
    Push,
    Report,
    Sleep,
    Start,
    Step,
    decode_entry,
    deliver,
    encode_entry,
)
from botcopy_handover.outbox._runner import Delivery, PartitionCore, Wait


def failed_push(handler: httpx.MockTransport) -> Exception:
    with (
        Client(
            api_key="k",
            base_url="http://botcopy.test",
            http_client=httpx.Client(transport=handler),
            retry=RetryPolicy(max_retries=0),
        ) as client,
        pytest.raises(APIError) as caught,
    ):
        client.send_message("u", "b", "hi")
    return caught.value


def raising(exc: Exception) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.MockTransport(handler)


def answering(status: int) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status))


@pytest.mark.parametrize(
    ("transport", "expected"),
    [
        (raising(httpx.ConnectError("refused")), False),
        (raising(httpx.ConnectTimeout("slow connect")), False),
        (raising(httpx.PoolTimeout("no connection")), False),
        (raising(httpx.ReadTimeout("slow answer")), True),
        (raising(httpx.RemoteProtocolError("dropped")), True),
        (raising(httpx.ReadError("reset")), True),
        (answering(429), False),
        (answering(503), False),
        (answering(500), True),
        (answering(502), True),
        (answering(504), True),
        (answering(400), False),
        (answering(401), False),
    ],
)
def test_what_may_have_reached_botcopy(transport: httpx.MockTransport, expected: bool) -> None:
    error = failed_push(transport)
    assert isinstance(error, (APIConnectionError, APIStatusError))
    assert maybe_delivered(error) is expected


def test_an_error_that_says_itself_whether_it_arrived_is_believed() -> None:
    error = APITimeoutError("timed out")
    error.maybe_delivered = False
    assert maybe_delivered(error) is False


def test_refusals_are_not_worth_retrying_and_outages_are() -> None:
    assert not is_retryable(failed_push(answering(401)))
    assert not is_retryable(failed_push(answering(400)))
    assert is_retryable(failed_push(answering(429)))
    assert is_retryable(failed_push(answering(503)))
    assert is_retryable(failed_push(raising(httpx.ConnectError("refused"))))


def test_a_customer_always_lands_in_the_same_partition() -> None:
    assert partition_of("bot-1", "user-1", 16) == partition_of("bot-1", "user-1", 16)
    assert {partition_of("bot-1", f"user-{i}", 16) for i in range(200)} == set(range(16))
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert partition_of("ab", "c", 1000) != partition_of("a", "bc", 1000)


def test_an_entry_reads_back_as_it_was_written() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    event = MessageEvent(user_id="u", bot_id="b", text="Grüße", minutes_paused=30)

    entry = decode_entry("5-0", encode_entry(event, now, None), None)

    assert entry.event == event
    assert entry.enqueued_at == now
    assert entry.deadline == now + timedelta(minutes=30)  # the pause length by default
    assert entry.started_at is None


def test_give_up_after_overrides_the_pause_length() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    fields = encode_entry(PauseEvent(user_id="u", bot_id="b"), now, timedelta(seconds=90))
    assert decode_entry("1-0", fields, 1.5).deadline == now + timedelta(seconds=90)


def test_an_unreadable_entry_keeps_its_id_and_has_no_event() -> None:
    entry = decode_entry(b"7-0", {b"e": b"not json", b"t": b"x"}, None)
    assert entry.id == "7-0" and entry.event is None


def test_an_interrupted_push_finished_by_its_old_runner_is_not_reported() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    event = MessageEvent(user_id="u", bot_id="b", text="hi")
    started = (now - timedelta(seconds=60)).timestamp()
    entry = decode_entry("1-0", encode_entry(event, now, None), started)

    plan = deliver(entry, OutboxSettings(), lambda: now)

    assert isinstance(next(plan), Pending)
    assert isinstance(plan.send(False), Done)  # gone: the old runner acknowledged it
    with pytest.raises(StopIteration):
        plan.send(None)


def test_an_interrupted_push_still_queued_is_reported_after_its_push_could_have_landed() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    event = MessageEvent(user_id="u", bot_id="b", text="hi")
    entry = decode_entry("1-0", encode_entry(event, now, None), now.timestamp())

    plan = deliver(entry, OutboxSettings(in_flight=timedelta(seconds=15)), lambda: now)

    wait = next(plan)
    assert isinstance(wait, Sleep) and wait.seconds == pytest.approx(15)
    assert isinstance(plan.send(None), Pending)
    report = plan.send(True)
    assert isinstance(report, Report)
    assert report.failure.reason == "interrupted" and report.failure.maybe_delivered
    assert isinstance(plan.send(None), Done)


def pushing_a_message() -> tuple[list[datetime], Generator[Step, Answer, None]]:
    """A fresh message's plan stepped up to its push (``in_flight`` 15 s), and its clock."""
    clock = [datetime(2026, 1, 1, 12, tzinfo=timezone.utc)]
    event = MessageEvent(user_id="u", bot_id="b", text="hi")
    entry = decode_entry("1-0", encode_entry(event, clock[0], None), None)
    plan = deliver(entry, OutboxSettings(in_flight=timedelta(seconds=15)), lambda: clock[0])
    assert isinstance(next(plan), Check)
    assert isinstance(plan.send(None), Start)
    assert isinstance(plan.send(True), Push)
    return clock, plan


def hold_after(error: Exception, pushed_for: timedelta = timedelta(0)) -> float | None:
    """Seconds the customer's next event waits after a push that failed with ``error``.

    The push took ``pushed_for``; it is reported as maybe delivered and
    acknowledged; ``None`` when the plan then ends without a `Sleep`.
    """
    clock, plan = pushing_a_message()
    clock[0] += pushed_for
    report = plan.send(error)
    assert isinstance(report, Report) and report.failure.reason == "maybe_delivered"
    assert isinstance(plan.send(None), Done)
    try:
        wait = plan.send(None)
    except StopIteration:
        return None
    assert isinstance(wait, Sleep)
    with pytest.raises(StopIteration):
        plan.send(None)
    return wait.seconds


def test_a_push_that_may_still_land_holds_the_customers_next_event_for_in_flight() -> None:
    # Regression: the soak's remaining order violations were pushes that timed
    # out at the client (reported maybe delivered) and landed after the
    # customer's next push, which the lane had sent at once.
    timeout = APITimeoutError("read timed out")
    assert hold_after(timeout, pushed_for=timedelta(seconds=2)) == pytest.approx(13)


def test_a_push_botcopy_answered_does_not_hold_the_customers_next_event() -> None:
    # A 500 from Botcopy ends its handling of the push: it may have been
    # delivered, but it cannot land later, so nothing waits for it.
    error = APIStatusError("Internal Server Error", status_code=500, maybe_delivered=True)
    assert hold_after(error) is None


def test_a_2xx_answer_that_broke_off_does_not_hold_the_customers_next_event() -> None:
    # The connection dropped after Botcopy's status line: it had finished with
    # the push (accepted or not), so nothing of it can land later.
    error = APIConnectionError("answer broke off", maybe_delivered=True, status_code=200)
    assert hold_after(error) is None


def test_a_connection_dropped_before_any_answer_holds_the_customers_next_event() -> None:
    error = APIConnectionError("Server disconnected without sending a response")
    assert hold_after(error) == pytest.approx(15)


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateways_answer_still_holds_the_customers_next_event(status: int) -> None:
    # Behind a gateway that gave up, Botcopy may still be working on the push.
    error = APIStatusError("Bad Gateway", status_code=status, maybe_delivered=True)
    assert hold_after(error) == pytest.approx(15)


def test_an_acknowledgement_the_queue_failed_is_made_again_after_a_growing_wait() -> None:
    with Client(api_key="k", base_url="http://botcopy.test") as client:
        part = PartitionCore(0, "runner-1", Outbox(client, MemoryStore()))
        delivery = Delivery(decode_entry("7-0", {"e": "not json"}, None), part)
        steps = iter(delivery)
        assert isinstance(next(steps), Report)  # an unreadable entry: reported, then acknowledged
        done = next(steps)
        assert isinstance(done, Done)
        waits = []
        for _ in range(3):
            delivery.answer = delivery.failed(done, StoreUnavailableError("Redis failed"))
            waits.append(next(steps))
            assert next(steps) == done
        delivery.answer = None  # acknowledged at last
        assert list(steps) == []
    assert waits == [Wait(0.05), Wait(0.1), Wait(0.2)]
    assert delivery.finished


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lease", timedelta(milliseconds=99)),
        ("lease", 10),
        ("give_up_after", timedelta(0)),
        ("give_up_after", 60),
        ("at_least_once", "yes"),
        ("initial_backoff", -0.1),
        ("initial_backoff", 60.0),  # above max_backoff
        ("max_backoff", True),
        ("in_flight", timedelta(seconds=-1)),
        ("in_flight", 15),
        ("shutdown_grace", -1.0),
        ("shutdown_grace", "5"),
    ],
)
def test_a_delivery_policy_out_of_range_is_refused_when_made(field: str, value: object) -> None:
    with pytest.raises(ConfigurationError, match=field):
        DeliveryPolicy(**{field: value})  # type: ignore[arg-type]


def test_an_outbox_takes_its_settings_from_its_policy_and_refuses_anything_else() -> None:
    policy = DeliveryPolicy(
        lease=timedelta(seconds=3), at_least_once=True, in_flight=timedelta(seconds=2)
    )
    with Client(api_key="k") as client:
        outbox = Outbox(client, MemoryStore(), policy=policy)
        assert outbox.policy is policy
        assert outbox.settings.lease_ms == 3000
        assert outbox.settings.at_least_once is True
        assert outbox.settings.in_flight == timedelta(seconds=2)
        assert outbox.shutdown_grace == policy.shutdown_grace
        assert Outbox(client, MemoryStore()).policy == DeliveryPolicy()
        with pytest.raises(ConfigurationError, match="policy must be a DeliveryPolicy"):
            Outbox(client, MemoryStore(), policy={"lease": 3})  # type: ignore[arg-type]
