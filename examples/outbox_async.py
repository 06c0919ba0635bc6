"""Agent messages that survive restarts and arrive in order: the durable outbox, with asyncio.

The desk calls ``outbox.send_message(...)`` when the agent presses Send: it
returns once the message is stored (in Redis when ``REDIS_URL`` is set, else
in memory). Runners, here two in this process, deliver each customer's
messages in order; anything that cannot be delivered is handed to
``on_failure`` instead of being lost. Runs against the local Botcopy
emulator, which drops one push on purpose.

Run: ``python examples/outbox_async.py`` (needs the ``testing`` extra).
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from botcopy_handover import AsyncClient, AsyncOutbox, MemoryStore
from botcopy_handover.outbox import DeliveryPolicy, OutboxFailure
from botcopy_handover.state import AsyncConversationStore
from botcopy_handover.testing.emulator import BotcopyEmulator


def report(failure: OutboxFailure) -> None:
    """Tell the agent; here, print. ``maybe_delivered``: it may have arrived, check first."""
    event = failure.event
    text = getattr(event, "text", "?")
    print(f"not delivered: {text!r} ({failure.reason}, maybe delivered: {failure.maybe_delivered})")


async def main() -> None:
    url = os.environ.get("REDIS_URL")
    store: AsyncConversationStore | MemoryStore
    if url:
        from botcopy_handover import AsyncRedisStore

        store = AsyncRedisStore(url=url, prefix=f"example-outbox-{os.getpid()}:")
        print("queue: Redis")
    else:
        store = MemoryStore()
        print("queue: memory (one process)")

    with BotcopyEmulator() as botcopy:
        async with AsyncClient(api_key=botcopy.api_key, base_url=botcopy.url) as client:
            # in_flight: how long a push the client gave up on may still land; after one,
            # the customer's next event waits that long. The local emulator answers at
            # once; against Botcopy, keep the default (15 s).
            outbox = AsyncOutbox(
                client,
                store,
                on_failure=report,
                policy=DeliveryPolicy(lease=timedelta(seconds=2), in_flight=timedelta(seconds=2)),
            )
            # What the webhook would record (outbox.store is the store, awaitable):
            await outbox.store.record_pause("bot-1", "ana", minutes=30)  # the handover happened
            await outbox.store.record_pause("bot-1", "ben", minutes=30)

            # One name per runner (a pod's, a process number's): one restarted after a
            # crash takes its partitions back at once instead of waiting out the lease.
            runners = [asyncio.create_task(outbox.run(name=f"runner-{i}")) for i in range(2)]

            async def delivered() -> None:
                while await outbox.backlog():  # noqa: ASYNC110 - a count to poll, no event
                    await asyncio.sleep(0.05)

            await outbox.pause("ana", "bot-1", agent_name="Dana", minutes_paused=30)
            await outbox.typing("ana", "bot-1")  # not queued: straight out
            for text in ("Hi Ana, I'm Dana.", "Let me look at order 1042.", "It ships today."):
                await outbox.send_message("ana", "bot-1", text, minutes_paused=30)
            await delivered()

            botcopy.inject_fault(kind="drop", count=1)  # Ben's first push may or may not arrive
            await outbox.send_message("ben", "bot-1", "Hi Ben!", minutes_paused=30)
            await outbox.send_message("ben", "bot-1", "How can I help?", minutes_paused=30)
            await delivered()

            await outbox.store.record_resume("bot-1", "cleo")  # Cleo's chat is over
            await outbox.send_message("cleo", "bot-1", "Are you still there?")
            await delivered()

            for runner in runners:
                runner.cancel()
            await asyncio.gather(*runners, return_exceptions=True)

        for user in ("ana", "ben"):
            for text in botcopy.customer_sees(user_id=user, bot_id="bot-1"):
                print(f"{user} sees: {text}")
    if url:
        await store.aclose()  # type: ignore[union-attr]


if __name__ == "__main__":
    asyncio.run(main())
