"""The durable outbox from threaded code: ``Outbox`` with a ``Client``, runners in threads.

The same guarantees as ``outbox_async.py``: ``send_message`` returns once the
message is stored; runner threads deliver each customer's messages in order,
retrying what surely did not arrive (here, two 503 answers) and reporting
what cannot be delivered. Runs against the local Botcopy emulator.

Run: ``python examples/outbox_sync.py`` (needs the ``testing`` extra).
"""

from __future__ import annotations

import threading
import time

from botcopy_handover import Client, MemoryStore, Outbox
from botcopy_handover.outbox import DeliveryPolicy, OutboxFailure
from botcopy_handover.testing.emulator import BotcopyEmulator


def report(failure: OutboxFailure) -> None:
    print(f"not delivered: {failure.reason}: {failure.error}")


def main() -> None:
    with (
        BotcopyEmulator() as botcopy,
        Client(api_key=botcopy.api_key, base_url=botcopy.url, max_retries=0) as client,
    ):
        policy = DeliveryPolicy(initial_backoff=0.05)  # the emulator answers at once
        outbox = Outbox(client, MemoryStore(), on_failure=report, policy=policy)
        runners = [threading.Thread(target=outbox.run) for _ in range(2)]
        for runner in runners:
            runner.start()

        botcopy.inject_fault(kind="server_error", status=503, count=2, retry_after=0)
        for n in range(1, 4):
            outbox.send_message("ana", "bot-1", f"Step {n} of 3", minutes_paused=20)
            outbox.send_message("ben", "bot-1", f"Ben, step {n} of 3", minutes_paused=20)
        while outbox.backlog():
            time.sleep(0.05)

        outbox.stop()
        for runner in runners:
            runner.join()
        for user in ("ana", "ben"):
            print(f"{user} sees: {' | '.join(botcopy.customer_sees(user_id=user, bot_id='bot-1'))}")


if __name__ == "__main__":
    main()
