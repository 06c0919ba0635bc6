"""Benchmark: pushes per second of the SDK clients against the bare libraries they wrap.

A minimal HTTP/1.1 keep-alive server (asyncio, in its own process, stopped by
pid) answers every POST with a small JSON body on 127.0.0.1. Each client
pushes the same ~150-byte ``message`` event:

* ``Client.send_message`` vs a bare ``httpx.Client`` posting the same JSON;
* ``AsyncClient.send_message`` vs a bare ``httpx.AsyncClient`` and a bare
  ``aiohttp.ClientSession``, at concurrency 1, 10 and 100;
* ``AsyncClient(transport="aiohttp")`` vs a bare ``aiohttp.ClientSession``.

The bare clients do what a careful hand-written proxy does: build the event
dict, ``json.dumps`` it, POST it with the headers set once on the client, and
check the status. The SDK also validates the event model on every call.
Rounds are interleaved; the table shows the best rate of each client and the
median of the per-round ratios.

Run: ``.venv/bin/python benchmarks/push.py [--rounds 5]`` (about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx

from botcopy_handover import AsyncClient, Client

USER, BOT, TEXT = "user-5f2b", "bot-9a1c", "Hi, I'm Dana from support. How can I help you today?"
API_KEY = "bench-api-key"
PATH = "/webhooks/handover/push"
HEADERS = {"Content-Type": "application/json", "Authorization": API_KEY}

# ------------------------------------------------------------------ the server

RESPONSE = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
)


class _Push(asyncio.Protocol):
    """Reads requests with a Content-Length body and answers each at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            self.transport.write(RESPONSE)


def serve(port: int) -> None:
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(_Push, "127.0.0.1", port, backlog=1024, reuse_address=True)
    )
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


def start_server() -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError("benchmark server did not start")
    return proc, f"http://127.0.0.1:{port}"


def stop_server(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------ the clients


def body() -> bytes:
    event = {
        "eventType": "message",
        "userId": USER,
        "botId": BOT,
        "paused": True,
        "minutesPaused": 10,
        "text": TEXT,
    }
    return json.dumps(event, separators=(",", ":")).encode()


def sync_rate(push: Callable[[], None], count: int) -> float:
    push()  # warm the connection
    start = time.perf_counter()
    for _ in range(count):
        push()
    return count / (time.perf_counter() - start)


async def async_rate(push: Callable[[], Awaitable[None]], count: int, concurrency: int) -> float:
    await asyncio.gather(*(push() for _ in range(concurrency)))  # open the connections
    per_worker = count // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await push()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - start)


def run_sync(url: str, rounds: int, count: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"bare httpx.Client": [], "Client": []}
    bare = httpx.Client(headers=HEADERS)
    sdk = Client(API_KEY, base_url=url)
    push_url = url + PATH

    def bare_push() -> None:
        bare.post(push_url, content=body()).raise_for_status()

    def sdk_push() -> None:
        sdk.send_message(USER, BOT, TEXT)

    for _ in range(rounds):
        rates["bare httpx.Client"].append(sync_rate(bare_push, count))
        rates["Client"].append(sync_rate(sdk_push, count))
    bare.close()
    sdk.close()
    return rates


async def run_async(
    url: str, rounds: int, concurrency: int, counts: dict[str, int]
) -> dict[str, list[float]]:
    push_url = url + PATH
    rates: dict[str, list[float]] = {name: [] for name in counts}
    # Every client with its library's default pool, as users get it.
    bare_httpx = httpx.AsyncClient(headers=HEADERS)
    session = aiohttp.ClientSession(headers=HEADERS)
    sdk_httpx = AsyncClient(API_KEY, base_url=url)
    sdk_aiohttp = AsyncClient(API_KEY, base_url=url, transport="aiohttp")

    async def bare_httpx_push() -> None:
        (await bare_httpx.post(push_url, content=body())).raise_for_status()

    async def bare_aiohttp_push() -> None:
        async with session.post(push_url, data=body()) as response:
            await response.read()
            response.raise_for_status()

    async def sdk_httpx_push() -> None:
        await sdk_httpx.send_message(USER, BOT, TEXT)

    async def sdk_aiohttp_push() -> None:
        await sdk_aiohttp.send_message(USER, BOT, TEXT)

    pushes = {
        "bare httpx.AsyncClient": bare_httpx_push,
        "AsyncClient": sdk_httpx_push,
        "bare aiohttp": bare_aiohttp_push,
        'AsyncClient(transport="aiohttp")': sdk_aiohttp_push,
    }
    for _ in range(rounds):
        for name, count in counts.items():
            rates[name].append(await async_rate(pushes[name], count, concurrency))
    await bare_httpx.aclose()
    await session.close()
    await sdk_httpx.aclose()
    await sdk_aiohttp.aclose()
    return rates


def ratio(rates: dict[str, list[float]], sdk: str, bare: str) -> float:
    return statistics.median(s / b for s, b in zip(rates[sdk], rates[bare], strict=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    proc, url = start_server()
    try:
        print(
            f"Python {sys.version.split()[0]}, httpx {httpx.__version__}, aiohttp "
            f"{aiohttp.__version__}; {args.rounds} interleaved rounds; requests/s (best)\n"
        )
        rates = run_sync(url, args.rounds, 2000)
        print("| client | c=1 | SDK / bare |")
        print("|---|---:|---:|")
        print(f"| bare `httpx.Client` | {max(rates['bare httpx.Client']):.0f} | |")
        print(
            f"| `Client` | {max(rates['Client']):.0f} | "
            f"{ratio(rates, 'Client', 'bare httpx.Client'):.2f}x |\n"
        )

        table: dict[int, dict[str, list[float]]] = {}
        for concurrency in (1, 10, 100):
            httpx_count = {1: 1500, 10: 1000, 100: 1000}[concurrency]
            counts = {
                "bare httpx.AsyncClient": httpx_count,
                "AsyncClient": httpx_count,
                "bare aiohttp": 4000,
                'AsyncClient(transport="aiohttp")': 4000,
            }
            table[concurrency] = asyncio.run(run_async(url, args.rounds, concurrency, counts))
        names = list(table[1])
        print("| client | c=1 | c=10 | c=100 |")
        print("|---|---:|---:|---:|")
        for name in names:
            cells = " | ".join(f"{max(table[c][name]):.0f}" for c in table)
            print(f"| {name} | {cells} |")
        pairs = [
            ("AsyncClient", "bare httpx.AsyncClient"),
            ('AsyncClient(transport="aiohttp")', "bare aiohttp"),
            ('AsyncClient(transport="aiohttp")', "bare httpx.AsyncClient"),
        ]
        for sdk, bare in pairs:
            cells = " | ".join(f"{ratio(table[c], sdk, bare):.2f}x" for c in table)
            print(f"| {sdk} / {bare} | {cells} |")
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
