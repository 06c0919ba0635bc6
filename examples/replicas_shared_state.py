"""Two replicas of a proxy share one conversation store, and notice when a pause lapses.

Replica A takes the handover; replica B gets the same body in a race and
skips it; the desk's agent answers through replica B, found by ticket id;
then no one writes for ten minutes, and A's expiry watcher warns, then closes
the ticket. Time is simulated, so the run takes a moment.

Run: ``python examples/replicas_shared_state.py``. With ``REDIS_URL`` set
(e.g. ``redis://127.0.0.1:6379/0``) the replicas share Redis; without it, one
in-memory store stands in for it.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from botcopy_handover import HandoverRequest, MemoryStore, parse_webhook
from botcopy_handover.state import ConversationStore, Deduplicator, ExpiryNotice, ExpiryWatcher

SAMPLE = Path(__file__).parent.parent / "tests" / "fixtures" / "webhooks" / "step_one_spec.json"


class SimulatedClock:
    """Stands in for the wall clock so the example need not wait ten minutes."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


def make_stores(clock: SimulatedClock) -> tuple[ConversationStore, ConversationStore, str]:
    """One store per replica: two Redis clients on one Redis, or one shared memory store."""
    url = os.environ.get("REDIS_URL")
    if not url:
        shared = MemoryStore(clock=clock)
        return shared, shared, "memory (one process)"
    from botcopy_handover import RedisStore

    prefix = f"example:{uuid.uuid4().hex}:"  # a namespace of its own, so runs never mix
    return (
        RedisStore(url=url, prefix=prefix, clock=clock),
        RedisStore(url=url, prefix=prefix, clock=clock),
        "Redis",
    )


def main() -> None:
    clock = SimulatedClock()
    replica_a, replica_b, backend = make_stores(clock)
    print(f"store: {backend}")
    body = SAMPLE.read_bytes()

    # Replica A receives the handover first.
    event = parse_webhook(body)
    assert isinstance(event, HandoverRequest)
    dedupe_a = Deduplicator(replica_a)
    if not dedupe_a.is_duplicate(event):
        fresh = dedupe_a.new_history(event)
        replica_a.record_pause(event.bot_id, event.user_id, minutes=10)
        replica_a.link_ticket(event.bot_id, event.user_id, "TICKET-1042")
        print(f"replica A: handover for {event.user_id}, {len(fresh)} new history items")

    # Replica B gets the same body (a retry, or the load balancer's race).
    if Deduplicator(replica_b).is_duplicate(parse_webhook(body)):
        print("replica B: same body again, not forwarded to the desk")

    # The desk's agent answers; the desk only knows its ticket id.
    state = replica_b.find_by_ticket("TICKET-1042")
    assert state is not None
    replica_b.record_pause(state.bot_id, state.user_id, minutes=10, agent_name="Dana")
    print(f"replica B: Dana answers {state.user_id} (found by TICKET-1042)")

    def on_expiry(notice: ExpiryNotice) -> None:
        ticket = notice.state.ticket_id
        if notice.lapsed:
            print(f"watcher: pause lapsed, the bot answers again: closing {ticket}")
        else:
            left = int(notice.remaining.total_seconds() // 60)
            print(f"watcher: pause ends in {left} min: ask {notice.state.agent_name} to reply")

    watcher = ExpiryWatcher(replica_a, on_expiry, warn_before=timedelta(minutes=2))
    for minutes in (5, 4, 1):
        clock.now += timedelta(minutes=minutes)
        watcher.poll()

    replica_a.delete(event.bot_id, event.user_id)
    for replica in (replica_a, replica_b):
        if hasattr(replica, "close"):
            replica.close()


if __name__ == "__main__":
    main()
