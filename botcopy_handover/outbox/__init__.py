"""A durable outbox: agent messages that survive restarts and arrive in order, once.

* [`AsyncOutbox`][botcopy_handover.AsyncOutbox] / [`Outbox`][botcopy_handover.Outbox]: ``send()``
  stores an event and
  returns; ``run()`` delivers, in as many runners and processes as you like.
* [`DeliveryPolicy`][botcopy_handover.outbox.DeliveryPolicy]: how an outbox delivers (lease,
  retries, give-up deadline, holds), given as ``policy=``.
* [`OutboxFailure`][botcopy_handover.outbox.OutboxFailure]: what ``on_failure`` gets for an event
  given up on.
* [`MemoryQueue`][botcopy_handover.MemoryQueue] (one process),
  [`RedisQueue`][botcopy_handover.outbox.redis.RedisQueue]
  and [`AsyncRedisQueue`][botcopy_handover.outbox.redis.AsyncRedisQueue] (Redis Streams,
  shared by replicas; imported lazily so redis-py stays optional).
* `._core` and `._runner`: the no-I/O cores (an entry's life; a runner's
  ticks and steps), `._async` and `._sync` the I/O.

See the "Durable outbox" page of the docs.
"""

import typing as _typing

from botcopy_handover._lazy import install as _install
from botcopy_handover.outbox._async import AsyncOutbox
from botcopy_handover.outbox._core import (
    DEFAULT_PARTITIONS,
    DeliveryPolicy,
    FailureHandler,
    FailureReason,
    OutboxFailure,
    OutboxReceipt,
    is_retryable,
    maybe_delivered,
    partition_of,
)
from botcopy_handover.outbox._errors import (
    ChatEndedError,
    DeliveryExpiredError,
    OutboxError,
    PushInterruptedError,
)
from botcopy_handover.outbox._queue import AsyncOutboxQueue, OutboxQueue
from botcopy_handover.outbox._sync import Outbox
from botcopy_handover.outbox.memory import MemoryQueue

if _typing.TYPE_CHECKING:
    from botcopy_handover.outbox.redis import AsyncRedisQueue, RedisQueue

__all__ = [
    "DEFAULT_PARTITIONS",
    "AsyncOutbox",
    "AsyncOutboxQueue",
    "AsyncRedisQueue",
    "ChatEndedError",
    "DeliveryExpiredError",
    "DeliveryPolicy",
    "FailureHandler",
    "FailureReason",
    "MemoryQueue",
    "Outbox",
    "OutboxError",
    "OutboxFailure",
    "OutboxQueue",
    "OutboxReceipt",
    "PushInterruptedError",
    "RedisQueue",
    "is_retryable",
    "maybe_delivered",
    "partition_of",
]


# redis-py is an optional extra: imported when a Redis class is first named.
_install(
    globals(), dict.fromkeys(("RedisQueue", "AsyncRedisQueue"), "botcopy_handover.outbox.redis")
)
