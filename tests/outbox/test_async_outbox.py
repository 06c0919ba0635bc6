"""AsyncOutbox on each queue backend, delivering to the local emulator over loopback."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import warnings
from collections import Counter
from datetime import timedelta

import httpx
import pytest

from botcopy_handover import (
    APIConnectionError,
    APIStatusError,
    AsyncClient,
    AuthenticationError,
    ConfigurationError,
    InvalidEventError,
    MemoryStore,
    MessageEvent,
    RateLimitError,
)
from botcopy_handover.client import RetryPolicy
from botcopy_handover.outbox import (
    AsyncOutbox,
    ChatEndedError,
    DeliveryPolicy,
    MemoryQueue,
    OutboxFailure,
)
from botcopy_handover.outbox._async import _MemoryAsAsync
from botcopy_handover.testing.emulator import BotcopyEmulator
from tests.helpers import LosesCancellation
from tests.outbox.helpers import Failures, OutboxFactory, running, texts, until
from tests.outbox.test_sync_outbox import CountingStore


async def test_each_customer_gets_its_messages_once_and_in_order_with_many_runners(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    emulator.inject_fault(kind="rate_limit", rate=0.15, retry_after=0)
    emulator.inject_fault(kind="server_error", rate=0.15, status=503, retry_after=0)
    sender = make_outbox()
    customers = [f"user-{c}" for c in range(8)]
    for i in range(12):
        for user in customers:
            await sender.send_message(user, "bot-1", f"{user} #{i}")

    async with running(make_outbox(), make_outbox(), make_outbox()):
        await until(lambda: len(texts(emulator)) >= 96)
        await until(lambda: True)  # let any stray duplicate land before judging
        await asyncio.sleep(0.2)

    assert failures == []
    for user in customers:
        assert texts(emulator, user) == [f"{user} #{i}" for i in range(12)]
    assert await sender.backlog() == 0


async def test_send_returns_before_anything_is_pushed(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator
) -> None:
    outbox = make_outbox()
    receipt = await outbox.send_message("user-1", "bot-1", "Hi, I'm Dana")

    assert receipt.entry_id is not None
    assert receipt.event == MessageEvent(user_id="user-1", bot_id="bot-1", text="Hi, I'm Dana")
    assert texts(emulator) == []
    assert await outbox.backlog() == 1


async def test_a_push_that_may_have_arrived_is_reported_and_not_retried(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    emulator.inject_fault(kind="drop", count=1)
    outbox = make_outbox()
    await outbox.send_message("user-1", "bot-1", "first")
    await outbox.send_message("user-1", "bot-1", "second")

    async with running(outbox):
        await until(lambda: texts(emulator) == ["second"])

    [failure] = failures
    assert failure.maybe_delivered is True
    assert failure.reason == "maybe_delivered"
    assert isinstance(failure.error, APIConnectionError)
    assert failure.event == MessageEvent(user_id="user-1", bot_id="bot-1", text="first")
    assert failure.attempts == 1


async def test_an_answer_that_broke_off_after_its_status_does_not_hold_the_next_message(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    # The emulator's drop sends a 200 status line and cuts the body: Botcopy
    # had finished with "first", so "second" need not wait out in_flight.
    emulator.inject_fault(kind="drop", count=1)
    outbox = make_outbox(in_flight=timedelta(minutes=5))
    await outbox.send_message("user-1", "bot-1", "first")
    await outbox.send_message("user-1", "bot-1", "second")

    async with running(outbox):
        await until(lambda: texts(emulator) == ["second"], timeout=10)

    [failure] = failures
    assert failure.reason == "maybe_delivered"
    assert isinstance(failure.error, APIConnectionError)
    assert failure.error.status_code == 200


async def test_a_server_error_other_than_503_may_have_arrived(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    emulator.inject_fault(kind="server_error", count=1, status=500, retry_after=None)
    outbox = make_outbox()
    await outbox.send_message("user-1", "bot-1", "first")

    async with running(outbox):
        await until(lambda: len(failures) == 1)

    assert failures[0].maybe_delivered is True
    assert isinstance(failures[0].error, APIStatusError)
    assert failures[0].error.status_code == 500


async def test_at_least_once_retries_a_push_that_may_have_arrived(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    emulator.inject_fault(kind="drop", count=1)
    outbox = make_outbox(at_least_once=True)
    await outbox.send_message("user-1", "bot-1", "first")
    await outbox.send_message("user-1", "bot-1", "second")

    async with running(outbox):
        await until(lambda: texts(emulator) == ["first", "second"])

    assert failures == []


async def test_surely_undelivered_pushes_are_retried_until_the_give_up_deadline(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    emulator.inject_fault(kind="rate_limit", rate=1.0, retry_after=0.05)
    outbox = make_outbox(give_up_after=timedelta(seconds=1))
    await outbox.send_message("user-1", "bot-1", "never")

    async with running(outbox):
        await until(lambda: len(failures) == 1)

    [failure] = failures
    assert failure.reason == "expired"
    assert failure.maybe_delivered is False
    assert isinstance(failure.error, RateLimitError)
    assert failure.attempts > 3
    assert texts(emulator) == []


async def test_503_is_retried_and_then_delivered(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    emulator.inject_fault(kind="server_error", count=3, status=503, retry_after=0)
    outbox = make_outbox()
    await outbox.send_message("user-1", "bot-1", "made it")

    async with running(outbox):
        await until(lambda: texts(emulator) == ["made it"])

    assert failures == []


async def test_a_refused_push_is_reported_at_once_as_not_delivered(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    async with AsyncClient(api_key="wrong-key", base_url=emulator.url) as wrong:
        outbox = make_outbox(client=wrong)
        await outbox.send_message("user-1", "bot-1", "hello")
        async with running(outbox):
            await until(lambda: len(failures) == 1)

    assert failures[0].reason == "refused"
    assert failures[0].maybe_delivered is False
    assert failures[0].attempts == 1
    assert isinstance(failures[0].error, AuthenticationError)
    assert "wrong-key" not in repr(failures[0])


async def test_a_message_after_the_chat_ended_is_reported_not_sent(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    outbox = make_outbox()
    await outbox.store.record_pause("bot-1", "user-1", minutes=10)
    await outbox.store.record_resume("bot-1", "user-1")
    await outbox.send_message("user-1", "bot-1", "too late")
    await outbox.send_message("user-2", "bot-1", "still chatting")

    async with running(outbox):
        await until(lambda: len(failures) == 1 and texts(emulator) == ["still chatting"])

    assert failures[0].reason == "chat_ended"
    assert isinstance(failures[0].error, ChatEndedError)
    assert failures[0].maybe_delivered is False


async def test_a_resume_queued_before_a_message_ends_the_chat_for_it(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    outbox = make_outbox()
    await outbox.send_message("user-1", "bot-1", "bye")
    await outbox.resume("user-1", "bot-1")
    await outbox.send_message("user-1", "bot-1", "after the end")

    async with running(outbox):
        await until(lambda: len(failures) == 1)

    assert texts(emulator) == ["bye"]
    assert [type(e).__name__ for e in emulator.events] == ["MessageEvent", "ResumeEvent"]
    assert failures[0].event == MessageEvent(user_id="user-1", bot_id="bot-1", text="after the end")


async def test_back_to_back_messages_read_the_conversation_once(
    client: AsyncClient, emulator: BotcopyEmulator
) -> None:
    # A customer's next message is checked against the state its previous
    # delivery just recorded, not one more read of the store (see RECALL).
    store = CountingStore()
    outbox = AsyncOutbox(client, store)
    for i in range(5):
        await outbox.send_message("user-1", "bot-1", f"m{i}")

    async with running(outbox):
        await until(lambda: len(texts(emulator)) == 5)

    assert texts(emulator) == [f"m{i}" for i in range(5)]
    assert store.reads == 1


async def test_delivered_events_are_recorded_in_the_store(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator
) -> None:
    outbox = make_outbox()
    await outbox.pause("user-1", "bot-1", minutes_paused=25, agent_name="Dana")

    async with running(outbox):
        await until(lambda: len(emulator.events) == 1)
        await until(lambda: True)
        await asyncio.sleep(0.1)

    state = await outbox.store.get("bot-1", "user-1")
    assert state is not None
    assert state.paused and state.minutes_paused == 25 and state.agent_name == "Dana"


async def test_typing_goes_straight_out_and_never_waits_behind_a_message(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator
) -> None:
    outbox = make_outbox()
    await outbox.send_message("user-1", "bot-1", "queued, no runner yet")

    receipt = await outbox.typing("user-1", "bot-1")

    assert receipt.entry_id is None
    assert receipt.result is not None and receipt.result.status_code == 200
    assert [type(e).__name__ for e in emulator.events] == ["TypingEvent"]
    assert await outbox.backlog() == 1


async def test_send_refuses_what_is_not_a_push_event(make_outbox: OutboxFactory) -> None:
    outbox = make_outbox()
    with pytest.raises(InvalidEventError):
        await outbox.send({"eventType": "message"})


async def test_an_on_failure_that_raises_is_logged_and_delivery_goes_on(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(failure: OutboxFailure) -> None:
        raise RuntimeError("the desk is down")

    emulator.inject_fault(kind="drop", count=1)
    outbox = make_outbox(on_failure=broken)
    await outbox.send_message("user-1", "bot-1", "first")
    await outbox.send_message("user-1", "bot-1", "second")

    async with running(outbox):
        await until(lambda: texts(emulator) == ["second"])

    assert "on_failure handler raised" in caplog.text
    assert await outbox.backlog() == 0


async def test_a_coroutine_on_failure_is_awaited(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator
) -> None:
    seen: list[OutboxFailure] = []

    async def report(failure: OutboxFailure) -> None:
        await asyncio.sleep(0)
        seen.append(failure)

    emulator.inject_fault(kind="drop", count=1)
    outbox = make_outbox(on_failure=report)
    await outbox.send_message("user-1", "bot-1", "first")
    async with running(outbox):
        await until(lambda: len(seen) == 1)


@pytest.mark.parametrize("backend", ["memory"])
async def test_customers_never_wait_on_each_other(
    make_outbox: OutboxFactory, failures: Failures, backend: str
) -> None:
    delivered: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["userId"] == "slow":
            return httpx.Response(503, headers={"Retry-After": "0.2"})
        delivered.append(body["text"])
        return httpx.Response(200, json={"ok": True})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with AsyncClient(
        api_key="k",
        base_url="http://botcopy.test",
        http_client=http,
        retry=RetryPolicy(max_retries=0),
    ) as push:
        outbox = make_outbox(client=push, give_up_after=timedelta(seconds=30))
        await outbox.send_message("slow", "bot-1", "stuck behind 503s")
        for i in range(5):
            await outbox.send_message(f"fast-{i}", "bot-1", f"fast {i}")
        async with running(outbox):
            await until(lambda: len(delivered) == 5, timeout=3)
            assert await outbox.backlog() == 1  # the slow one is still being retried
    await http.aclose()
    assert failures == []


def test_an_outbox_needs_an_async_client_and_a_queue_it_can_use() -> None:
    with pytest.raises(ConfigurationError):
        AsyncOutbox(object(), MemoryStore())  # type: ignore[arg-type]


async def test_a_store_without_a_default_queue_asks_for_one(client: AsyncClient) -> None:
    class OtherStore(MemoryStore):
        pass

    outbox = AsyncOutbox(client, OtherStore())  # a MemoryStore subclass still gets one
    assert await outbox.backlog() == 0
    with pytest.raises(ConfigurationError):
        AsyncOutbox(client, object())  # type: ignore[arg-type]


async def test_messages_keep_their_order_within_a_customer_across_partitions(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator
) -> None:
    outbox = make_outbox()
    for i in range(30):
        await outbox.send_message(f"user-{i % 3}", "bot-1", f"{i}")
    async with running(outbox, make_outbox()):
        await until(lambda: len(texts(emulator)) == 30)
    for user in range(3):
        got = [int(t) for t in texts(emulator, f"user-{user}")]
        assert got == sorted(got)
    assert Counter(texts(emulator)).most_common(1)[0][1] == 1


async def test_a_runner_stopped_during_a_retry_back_off_hands_the_entry_back_cleanly(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    # A 503, then a back-off that ends inside the shutdown grace: the next
    # attempt's started mark is refused (the partition is being handed back),
    # and the lane must end quietly, leaving the entry queued for the next
    # owner. It once awaited a plain bool there and died with a TypeError.
    loop = asyncio.get_running_loop()
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        emulator.inject_fault(kind="server_error", count=1, status=503, retry_after=None)
        outbox = make_outbox(initial_backoff=0.3, max_backoff=0.3, shutdown_grace=5.0)
        await outbox.send_message("user-1", "bot-1", "after the restart")

        async with running(outbox):
            await until(lambda: not emulator.faults.faults)  # the 503 was answered

        # A lane task that died with an exception is reported when it is collected.
        # Collecting may also find a socket an earlier test left behind: not this
        # test's concern, so its ResourceWarning is not raised here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        await asyncio.sleep(0)
        assert errors == []
        assert failures == []
        assert texts(emulator) == []
        assert await outbox.backlog() == 1

        async with running(make_outbox()):
            await until(lambda: texts(emulator) == ["after the restart"])
        assert failures == []
    finally:
        loop.set_exception_handler(None)


async def test_a_restarted_runner_takes_its_partitions_back_without_waiting_out_the_lease(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    queue = make_outbox.queue  # type: ignore[attr-defined]
    for p in range(queue.partitions):  # an earlier run of "desk-1", killed with its leases
        taken = queue.acquire(p, "desk-1#killed", 60_000)
        assert await taken if inspect.isawaitable(taken) else taken
    outbox = make_outbox(lease=timedelta(seconds=60))
    for i in range(3):
        for user in range(4):
            await outbox.send_message(f"user-{user}", "bot-1", f"{user}/{i}")

    restarted = asyncio.create_task(outbox.run(name="desk-1"))
    try:
        await until(lambda: len(texts(emulator)) == 12, timeout=10)  # the leases are 60 s
    finally:
        restarted.cancel()
        await asyncio.gather(restarted, return_exceptions=True)
    assert failures == []
    for user in range(4):
        assert texts(emulator, f"user-{user}") == [f"{user}/{i}" for i in range(3)]


@pytest.mark.parametrize("name", ["", "a#b"])
async def test_a_runner_name_is_a_non_empty_string_without_a_hash(
    make_outbox: OutboxFactory, name: str
) -> None:
    with pytest.raises(ConfigurationError, match="name"):
        await make_outbox().run(name=name)


async def test_a_stopped_runner_with_nothing_in_flight_returns_at_once(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator, failures: Failures
) -> None:
    # An idle partition waits up to a second for new entries; stopping must not
    # wait that out (nor the shutdown grace: there is no push to finish).
    outbox = make_outbox(shutdown_grace=5.0)
    await outbox.send_message("user-1", "bot-1", "before")
    runner = asyncio.create_task(outbox.run(name="desk-1"))
    await until(lambda: texts(emulator) == ["before"])
    await asyncio.sleep(0.2)  # every partition is now waiting for new entries

    loop = asyncio.get_running_loop()
    stopped_at = loop.time()
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    assert loop.time() - stopped_at < 0.5

    # Nothing was lost by cutting the waits short: a message queued now is
    # delivered by the next run, once. (The same name: a new name would share
    # the partitions with the stopped run's heartbeat until it lapses.)
    await outbox.send_message("user-1", "bot-1", "after")
    restarted = asyncio.create_task(outbox.run(name="desk-1"))
    try:
        await until(lambda: texts(emulator) == ["before", "after"])
    finally:
        restarted.cancel()
        await asyncio.gather(restarted, return_exceptions=True)
    assert failures == []
    assert await outbox.backlog() == 0


class CancellationLosingQueue(LosesCancellation, _MemoryAsAsync):
    """A MemoryQueue whose ``acquire`` can lose a cancellation (see ``LosesCancellation``),
    and whose next ``heartbeat`` can raise ``raise_from_next_heartbeat``."""

    def __init__(self) -> None:
        super().__init__(MemoryQueue())
        self.raise_from_next_heartbeat: Exception | None = None

    async def heartbeat(self, runner: str, ttl_ms: int) -> int:
        error, self.raise_from_next_heartbeat = self.raise_from_next_heartbeat, None
        if error is not None:
            raise error
        return await super().heartbeat(runner, ttl_ms)

    async def acquire(self, partition: int, runner: str, lease_ms: int) -> bool:
        return await self._answer(await super().acquire(partition, runner, lease_ms))


async def test_a_runner_stops_when_cancelled_even_if_its_queue_loses_the_cancellation(
    client: AsyncClient, emulator: BotcopyEmulator
) -> None:
    queue = CancellationLosingQueue()
    outbox = AsyncOutbox(
        client, MemoryStore(), queue=queue, policy=DeliveryPolicy(lease=timedelta(seconds=1))
    )
    runner = asyncio.create_task(outbox.run(name="desk-1"))
    queue.lose_next_cancel_of = runner  # cancelled as its first acquire answers
    done, _ = await asyncio.wait([runner], timeout=5.0)
    assert queue.lost == 1
    assert done == {runner}
    assert runner.cancelled()
    # It handed back what it held: a run under its name delivers at once.
    await outbox.send_message("user-1", "bot-1", "hello")
    restarted = asyncio.create_task(outbox.run(name="desk-1"))
    try:
        await until(lambda: texts(emulator) == ["hello"], timeout=5.0)
    finally:
        restarted.cancel()
        await asyncio.gather(restarted, return_exceptions=True)


async def test_a_stopped_runner_leaves_the_count_of_runners_at_once(
    make_outbox: OutboxFactory, emulator: BotcopyEmulator
) -> None:
    # Another runner then takes its share at its next tick, instead of a fair
    # share of the partitions until the stopped runner's heartbeat lapses.
    outbox = make_outbox()
    runner = asyncio.create_task(outbox.run(name="desk-1"))
    await outbox.send_message("user-1", "bot-1", "hello")
    await until(lambda: texts(emulator) == ["hello"])
    assert await outbox.queue.heartbeat("probe", 1) == 2  # desk-1, and a probe alive for 1 ms
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    await asyncio.sleep(0.01)  # the probe has lapsed
    assert await outbox.queue.heartbeat("probe", 1) == 1


async def test_a_runner_goes_on_after_an_unexpected_error_from_its_queue(
    client: AsyncClient, emulator: BotcopyEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    # As Python 3.12.1 raises from a write to a Redis connection just lost.
    queue = CancellationLosingQueue()
    queue.raise_from_next_heartbeat = TypeError("'NoneType' object is not callable")
    outbox = AsyncOutbox(
        client, MemoryStore(), queue=queue, policy=DeliveryPolicy(lease=timedelta(seconds=1))
    )
    await outbox.send_message("user-1", "bot-1", "hello")
    async with running(outbox):
        await until(lambda: texts(emulator) == ["hello"])
    [record] = [r for r in caplog.records if "unexpected error" in r.getMessage()]
    assert record.levelname == "ERROR"
    assert record.exc_info is not None
    assert "NoneType" in str(record.exc_info[1])
