"""What only the stores on Redis Cluster do: hash slots, sharded expiry index, ticket keys.

Against the real three-master cluster ``scripts/with-services.sh`` starts
(``REDIS_CLUSTER_URL``); the contract suite runs on it too.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import socket
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
import redis.asyncio.cluster
import redis.cluster
from redis.crc import key_slot

from botcopy_handover import AsyncRedisStore, ConfigurationError, RedisStore, StoreUnavailableError
from botcopy_handover.state import AsyncExpiryWatcher, ExpiryNotice, ExpiryWatcher
from botcopy_handover.state._redis_core import ClusterCore, shard_tags
from botcopy_handover.state.redis import URL_SOCKET_TIMEOUT
from tests.helpers import FakeClock, close_redis, cluster_url, moved_replies, redis_url


@pytest.fixture
def url() -> str:
    return cluster_url()


@pytest.fixture
def client(url: str) -> Iterator[redis.cluster.RedisCluster]:
    cluster = redis.cluster.RedisCluster.from_url(url, decode_responses=True)
    yield cluster
    close_redis(cluster)


def keys_under(client: redis.cluster.RedisCluster, prefix: str) -> list[str]:
    found = client.scan_iter(match=f"{prefix}*", target_nodes=client.PRIMARIES)
    return sorted(str(k) for k in found)


def master_of(client: redis.cluster.RedisCluster, key: str) -> str:
    node = client.get_node_from_key(key)  # type: ignore[no-untyped-call]
    assert node is not None
    return str(node.name)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_default_shards_spread_evenly_over_the_slot_space() -> None:
    tags = shard_tags(16)
    slots = [key_slot(tag.encode()) for tag in tags]
    assert len(set(slots)) == 16
    # Shard i lies in the i-th sixteenth: three masters with contiguous ranges get 5 or 6.
    assert [slot * 16 // 16384 for slot in slots] == list(range(16))
    thirds = Counter(slot * 3 // 16384 for slot in slots)
    assert sorted(thirds.values()) == [5, 5, 6]


def test_a_customers_keys_share_one_slot_and_customers_spread_over_the_masters(
    url: str, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    with RedisStore(url=url, cluster=True, prefix=prefix) as store:
        for n in range(60):
            store.record_pause("bot-1", f"user-{n}", minutes=5)
            store.remember_history("bot-1", f"user-{n}", ["a"])
    keys = keys_under(client, prefix)
    records = [k for k in keys if ":conv:" in k and not k.endswith(":history")]
    assert len(records) == 60
    core = ClusterCore(prefix, timedelta(days=1), FakeClock(), 1000, 16)
    for record in records:
        member = record.split("}:", 1)[1]
        slot = key_slot(record.encode())
        assert key_slot(f"{record}:history".encode()) == slot
        assert key_slot(core.expiring_key(member).encode()) == slot
    # The expiring index is sharded: several keys, on every master.
    shards = [k for k in keys if ":expiring:" in k]
    assert len(shards) > 8
    assert len({master_of(client, k) for k in shards}) == 3
    assert len({master_of(client, k) for k in records}) == 3


def test_every_key_lives_under_the_prefix(
    url: str, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    with RedisStore(url=url, cluster=True, prefix=prefix) as store:
        store.record_pause("bot-1", "user-1", minutes=5)
        store.link_ticket("bot-1", "user-1", "T-1")
        store.remember_history("bot-1", "user-1", ["a"])
        store.claim("token", timedelta(seconds=5))
    core = ClusterCore(prefix, timedelta(days=1), FakeClock(), 1000, 16)
    tag = core.tags[core.shard("bot-1:user-1")]
    assert keys_under(client, prefix) == sorted(
        f"{prefix}{k}"
        for k in (
            f"conv:{{{tag}}}:bot-1:user-1",
            f"conv:{{{tag}}}:bot-1:user-1:history",
            f"expiring:{{{tag}}}",
            "ticket:T-1",
            "claim:token",
        )
    )


def test_expiring_lists_every_paused_conversation_once_across_the_shards(
    url: str, prefix: str, clock: FakeClock
) -> None:
    with RedisStore(url=url, cluster=True, prefix=prefix, clock=clock) as store:
        for n in range(100):
            store.record_pause("bot-1", f"user-{n:03}", minutes=1 + n % 10)
        store.record_resume("bot-1", "user-005")
        clock.advance(minutes=20)
        found = store.expiring(timedelta(0))
    users = [s.user_id for s in found]
    assert sorted(users) == sorted(f"user-{n:03}" for n in range(100) if n != 5)
    assert len(set(users)) == len(users)
    ends = [s.expires_at for s in found if s.expires_at is not None]
    assert len(ends) == len(found) and ends == sorted(ends)  # soonest first, merged across shards


def test_expiring_keeps_its_limit_and_the_soonest_across_the_shards(
    url: str, prefix: str, clock: FakeClock
) -> None:
    with RedisStore(url=url, cluster=True, prefix=prefix, clock=clock, expiring_limit=7) as store:
        for n in range(40):
            store.record_pause("bot-1", f"user-{n:03}", minutes=1 + n)
        clock.advance(minutes=100)
        found = store.expiring(timedelta(0))
    assert [s.user_id for s in found] == [f"user-{n:03}" for n in range(7)]


async def test_async_expiring_asks_the_shards_together(
    url: str, prefix: str, clock: FakeClock
) -> None:
    async with AsyncRedisStore(url=url, cluster=True, prefix=prefix, clock=clock) as store:
        for n in range(50):
            await store.record_pause("bot-1", f"user-{n:03}", minutes=2)
        clock.advance(minutes=3)
        found = await store.expiring(timedelta(0))
    assert sorted(s.user_id for s in found) == [f"user-{n:03}" for n in range(50)]


def test_two_watchers_notify_each_lapse_exactly_once(
    url: str, prefix: str, clock: FakeClock
) -> None:
    seen: list[ExpiryNotice] = []
    with (
        RedisStore(url=url, cluster=True, prefix=prefix, clock=clock) as a,
        RedisStore(url=url, cluster=True, prefix=prefix, clock=clock) as b,
    ):
        for n in range(40):
            a.record_pause("bot-1", f"user-{n}", minutes=5)
        watchers = [ExpiryWatcher(s, seen.append, warn_before=timedelta(minutes=1)) for s in (a, b)]
        clock.advance(minutes=4, seconds=30)
        for w in watchers:
            w.poll()
        clock.advance(minutes=1)
        for w in watchers:
            w.poll()
        for w in watchers:
            assert w.poll() == []
        assert a.expiring(timedelta(minutes=10)) == []
    counts = Counter((n.state.user_id, n.lapsed) for n in seen)
    assert set(counts.values()) == {1}
    assert len(counts) == 80  # a warning and a lapse for each of the 40


async def test_the_async_watcher_works_over_the_cluster(
    url: str, prefix: str, clock: FakeClock
) -> None:
    seen: list[ExpiryNotice] = []
    async with AsyncRedisStore(url=url, cluster=True, prefix=prefix, clock=clock) as store:
        watcher = AsyncExpiryWatcher(store, seen.append, warn_before=timedelta(0))
        await store.record_pause("bot-1", "user-1", minutes=1)
        clock.advance(minutes=2)
        assert [(n.state.user_id, n.lapsed) for n in await watcher.poll()] == [("user-1", True)]
        assert await watcher.poll() == []


def test_the_ticket_key_lives_as_long_as_the_record_it_names(
    url: str, prefix: str, client: redis.cluster.RedisCluster, clock: FakeClock
) -> None:
    retention = timedelta(minutes=30)
    with RedisStore(
        url=url, cluster=True, prefix=prefix, clock=clock, retention=retention
    ) as store:
        store.record_pause("bot-1", "user-1", minutes=10)
        store.link_ticket("bot-1", "user-1", "T-1")
        ticket = f"{prefix}ticket:T-1"
        record = store._core.record_key("bot-1", "user-1")
        # The ticket key outlives the record by up to a retention: no re-arm on every write.
        assert 39 * 60_000 < client.pttl(record) <= 40 * 60_000
        assert 69 * 60_000 < client.pttl(ticket) <= 70 * 60_000
        store.touch("bot-1", "user-1")
        assert 69 * 60_000 < client.pttl(ticket) <= 70 * 60_000
        # A pause that outgrows the ticket key's life re-arms it.
        clock.advance(minutes=9)
        store.record_pause("bot-1", "user-1", minutes=90)
        assert 119 * 60_000 < client.pttl(record) <= 120 * 60_000
        assert 149 * 60_000 < client.pttl(ticket) <= 150 * 60_000
        assert store.find_by_ticket("T-1") == store.get("bot-1", "user-1")


def test_a_half_made_link_finds_nobody(
    url: str, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    with RedisStore(url=url, cluster=True, prefix=prefix) as store:
        store.link_ticket("bot-1", "user-1", "T-1")
        # A ticket key naming a customer whose record does not name the ticket
        # (a link interrupted between its steps) is not trusted.
        client.set(f"{prefix}ticket:T-2", "bot-1:user-1")
        assert store.find_by_ticket("T-2") is None
        assert store.find_by_ticket("T-1") is not None


def test_delete_drops_the_ticket_key_in_its_own_slot(
    url: str, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    with RedisStore(url=url, cluster=True, prefix=prefix) as store:
        store.record_pause("bot-1", "user-1", minutes=5)
        store.link_ticket("bot-1", "user-1", "T-1")
        assert store.delete("bot-1", "user-1") is True
        assert store.delete("bot-1", "user-1") is False
    assert keys_under(client, prefix) == []


def test_sync_and_async_cluster_stores_share_one_view(url: str, prefix: str) -> None:
    async def read() -> object:
        async with AsyncRedisStore(url=url, cluster=True, prefix=prefix) as store:
            return await store.find_by_ticket("T-1")

    with RedisStore(url=url, cluster=True, prefix=prefix) as store:
        written = store.link_ticket("bot-1", "user-1", "T-1")
    assert asyncio.run(read()) == written


def test_an_injected_cluster_client_is_used_and_not_closed(
    url: str, prefix: str, client: redis.cluster.RedisCluster
) -> None:
    with RedisStore(client, prefix=prefix) as store:
        state = store.record_pause("bot-1", "user-1", minutes=5, agent_name="Dana")
        assert store.get("bot-1", "user-1") == state
        assert "(cluster)" in repr(store)
    assert client.ping()
    assert any(":expiring:{" in k for k in keys_under(client, prefix))


async def test_an_injected_async_cluster_client_is_not_closed(url: str, prefix: str) -> None:
    client = redis.asyncio.cluster.RedisCluster.from_url(url)
    async with AsyncRedisStore(client, cluster=True, prefix=prefix) as store:
        assert await store.claim("x", timedelta(seconds=1)) is True
    assert await client.ping()
    await client.aclose()


async def test_calls_made_at_once_on_a_new_async_client_each_reach_their_node(
    url: str, prefix: str
) -> None:
    # Webhooks arriving together on a replica just started: redis-py would
    # route them before it knows the slots (see AsyncRedis._ready).
    client = redis.asyncio.cluster.RedisCluster.from_url(url)
    try:
        store = AsyncRedisStore(client, prefix=prefix)
        before = moved_replies()
        users = [f"user-{n}" for n in range(12)]
        await asyncio.gather(*(store.record_pause("bot-1", user, minutes=5) for user in users))
        records = await asyncio.gather(*(store.get("bot-1", user) for user in users))
        assert all(record is not None and record.paused for record in records)
        assert moved_replies() == before
    finally:
        await client.aclose()


def test_cluster_true_with_a_single_server_client_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="cluster=True needs"):
        RedisStore(redis.Redis(), cluster=True)
    with pytest.raises(ConfigurationError, match="cluster=True needs"):
        AsyncRedisStore(redis.asyncio.Redis(), cluster=True)


@pytest.mark.parametrize("prefix", ["app:{x}:", "app}:"])
def test_a_prefix_with_hash_tag_braces_is_refused_on_a_cluster(url: str, prefix: str) -> None:
    with pytest.raises(ConfigurationError, match="prefix"):
        RedisStore(url=url, cluster=True, prefix=prefix)


@pytest.mark.parametrize("shards", [0, -1, 1025, True, 2.0])
def test_the_shard_count_is_checked(url: str, shards: object) -> None:
    with pytest.raises(ConfigurationError, match="shards"):
        RedisStore(url=url, cluster=True, shards=shards)  # type: ignore[arg-type]


def test_an_unreachable_cluster_raises_a_typed_error_without_the_password() -> None:
    with pytest.raises(StoreUnavailableError) as caught:
        RedisStore(url=f"redis://:s3cret-pw@127.0.0.1:{closed_port()}", cluster=True)
    assert "s3cret-pw" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)


async def test_an_unreachable_cluster_raises_a_typed_error_from_the_async_store() -> None:
    url = f"redis://:s3cret-pw@127.0.0.1:{closed_port()}"
    async with AsyncRedisStore(url=url, cluster=True) as store:
        with pytest.raises(StoreUnavailableError) as caught:
            await store.record_pause("bot-1", "user-1", minutes=5)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(store)


def test_stores_built_from_a_url_time_out_within_the_webhook_budget(url: str) -> None:
    with RedisStore(url=redis_url()) as store:
        assert isinstance(store._client, redis.Redis)
        kwargs = store._client.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == URL_SOCKET_TIMEOUT
    with RedisStore(url=url, cluster=True) as cluster:
        assert isinstance(cluster._client, redis.cluster.RedisCluster)
        node = cluster._client.get_default_node()  # type: ignore[no-untyped-call]
        assert node is not None and node.redis_connection is not None
        kwargs = node.redis_connection.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == URL_SOCKET_TIMEOUT
    assert URL_SOCKET_TIMEOUT <= 1.0


# Several processes, one conversation, on the cluster: every update must survive.

PROCESSES = 4
ROUNDS = 40


def _replica(url: str, prefix: str, index: int, wins: multiprocessing.Queue[int]) -> None:
    won = 0
    with RedisStore(url=url, cluster=True, prefix=prefix) as store:
        for n in range(ROUNDS):
            store.record_pause("bot-1", "user-1", minutes=10, agent_name=f"agent-{index}")
            store.remember_history("bot-1", "user-1", [f"p{index}-{n}", f"shared-{n}"])
            if index == 0:
                store.link_ticket("bot-1", "user-1", f"T-{n}")
            else:
                store.touch("bot-1", "user-1")
            won += store.claim(f"token-{n}", timedelta(minutes=5))
    wins.put(won)


def test_replicas_updating_one_conversation_lose_no_update(url: str, prefix: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    wins: multiprocessing.Queue[int] = ctx.Queue()
    replicas = [ctx.Process(target=_replica, args=(url, prefix, i, wins)) for i in range(PROCESSES)]
    for p in replicas:
        p.start()
    for p in replicas:
        p.join(120)
        assert p.exitcode == 0
    total_wins = sum(wins.get(timeout=5) for _ in replicas)

    with RedisStore(url=url, cluster=True, prefix=prefix) as store:
        state = store.get("bot-1", "user-1")
        assert state is not None
        assert state.paused and state.minutes_paused == 10
        assert state.ticket_id == f"T-{ROUNDS - 1}"
        assert store.find_by_ticket(f"T-{ROUNDS - 1}") == state
        assert store.find_by_ticket("T-0") is None
        every_id = [f"p{i}-{n}" for i in range(PROCESSES) for n in range(ROUNDS)]
        every_id += [f"shared-{n}" for n in range(ROUNDS)]
        assert store.remember_history("bot-1", "user-1", every_id) == []
    assert total_wins == ROUNDS


def test_closing_a_store_made_from_a_url_closes_every_connection(url: str, prefix: str) -> None:
    # redis-py's cluster close() alone leaves a script's connections open: the
    # store closes every node's as well, so nothing is left to the collector.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            store = RedisStore(url=url, cluster=True, prefix=prefix)
            store.get("bot-1", "user-1")
            store.expiring(timedelta(minutes=10))
            store.record_resume("bot-1", "user-1")
            store.close()
            del store
            gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
