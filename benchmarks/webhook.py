"""Benchmark: the SDK's ASGI webhook endpoint against a bare Starlette endpoint, under uvicorn.

Two uvicorn servers (one worker each, asyncio loop, h11, no access log; each
in its own process on 127.0.0.1, stopped by pid) serve:

* **SDK**: ``asgi_app(Webhook(token), on_handover, on_customer_message)``, an
  ``async def`` handler answering ``Pause()``: headers verified in constant
  time, the body parsed into a typed ``HandoverRequest`` (history items and
  all), the handler run under the deadline guard, the exact reply JSON sent;
* **SDK reading the history**: the same, with a handler that iterates
  ``event.history`` (typed on first access: where a long history costs);
* **bare**: a Starlette route that reads the body, ``json.loads`` it and
  answers a fixed ``{"paused": true, "minutesPaused": 10}``;
* **bare with models**: a Starlette route that validates the body with the
  equivalent hand-written pydantic models of ``benchmarks/parse.py`` (model
  A: a class per history kind) and reads every history item, the reference
  of "SDK reading the history".

An aiohttp client posts the same Step One body (0, 10 or 100 history items, a
realistic mix of the five kinds) with the same headers to both, at
concurrency 1, 10 and 50, a fixed number of requests per run, after a
warm-up. Rounds are interleaved (bare, SDK, ..., then the reverse order);
the table shows each endpoint's best requests/s with its p50/p99 latency,
and the median of the per-round ratios: SDK / bare and SDK reading the
history / bare with models. Goals (issue 14): at least 0.8x and 0.9x.

On a shared machine throughput swings with other processes' load, so each
run also reads the server process's CPU time (``/proc/<pid>/task/*/schedstat``,
nanoseconds) and prints the CPU time per request; "by CPU" is the median of
the per-round ratios of the reference's CPU per request to the SDK's, the
throughput ratio a server saturating its core would show.

Run: ``.venv/bin/python benchmarks/webhook.py [--rounds 3] [--requests 2000]``
(about a minute); ``--quick`` for a smoke run.
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
from typing import Any

import aiohttp
import starlette
import uvicorn

TOKEN = "bench-access-token"
HEADERS = {"Content-Type": "application/json", "Authorization": TOKEN}
REPLY = b'{"paused":true,"minutesPaused":10}'
KINDS = ("bare", "sdk", "bare+models", "sdk+history")

# ------------------------------------------------------------------ the servers


def sdk_app(read_history: bool = False) -> Any:
    from botcopy_handover import CustomerMessage, HandoverRequest, Pause, Reply, Webhook
    from botcopy_handover.webhook import asgi_app

    async def on_handover(event: HandoverRequest) -> Reply:
        if read_history:
            # Typed on first access: this is where a long history costs.
            assert all(item.kind != "unknown" for item in event.history)
        return Pause()

    async def on_customer_message(event: CustomerMessage) -> Reply:
        return Pause()

    return asgi_app(Webhook(TOKEN), on_handover, on_customer_message)


def bare_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def endpoint(request: Request) -> Response:
        json.loads(await request.body())
        return Response(REPLY, media_type="application/json")

    return Starlette(routes=[Route("/botcopy", endpoint, methods=["POST"])])


def bare_models_app() -> Any:
    from parse import EQUIVALENT  # benchmarks/parse.py: the hand-written models
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def endpoint(request: Request) -> Response:
        event = EQUIVALENT.validate_json(await request.body())
        assert all(type(item).__name__ != "OtherItem" for item in event.messageHistory)
        return Response(REPLY, media_type="application/json")

    return Starlette(routes=[Route("/botcopy", endpoint, methods=["POST"])])


def serve(kind: str, port: int) -> None:
    if kind == "bare":
        app = bare_app()
    elif kind == "bare+models":
        app = bare_models_app()
    else:
        app = sdk_app(read_history=kind == "sdk+history")
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="asyncio",
        http="h11",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.01)
        print("ready", flush=True)
        await task

    asyncio.run(run())


def start_server(kind: str) -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError(f"the {kind} server did not start")
    return proc, f"http://127.0.0.1:{port}/botcopy"


def cpu_ns(pid: int) -> int:
    """CPU time the process ``pid`` has run, all threads, in nanoseconds (Linux)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                total += int(stat.read().split()[0])
        except FileNotFoundError:  # a thread that just ended
            continue
    return total


def stop_server(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


# ------------------------------------------------------------------ the body


def history(count: int) -> list[dict[str, Any]]:
    """``count`` items cycling through the five kinds, as Botcopy sends them."""
    items: list[dict[str, Any]] = []
    for n in range(count):
        kind = n % 5
        if kind == 0:
            payload: dict[str, Any] = {
                "queryParameters": {
                    "queryParameters": {"payload": {"source": "web"}},
                    "query": f"Where is my order {1000 + n}?",
                    "lang": "en",
                    "sessionId": "bench-session",
                }
            }
        elif kind == 1:
            payload = {
                "queryParameters": {},
                "event": {"name": "WELCOME", "data": {"channel": "web"}},
                "lang": "en",
                "sessionId": "bench-session",
            }
        elif kind == 2:
            payload = {
                "responseId": f"response-{n}",
                "queryResult": {
                    "queryText": "Where is my order?",
                    "fulfillmentText": "I can check that. What's your order number?",
                    "fulfillmentMessages": [
                        {"text": {"text": ["I can check that. What's your order number?"]}},
                        {"quickReplies": {"quickReplies": ["Track", "Talk to a human"]}},
                    ],
                    "intent": {"name": "projects/p/agent/intents/9f1d", "displayName": "order"},
                    "intentDetectionConfidence": 0.87,
                    "languageCode": "en",
                },
            }
        elif kind == 3:
            payload = {"text": f"Hi, I'm Dana from support. Looking at order {1000 + n}."}
        else:
            payload = {
                "queryParameters": {"contexts": [], "payload": {}, "webhookHeaders": {}},
                "query": f"Thanks Dana, it's order {1000 + n}",
                "lang": "en",
                "sessionId": "bench-session",
            }
        items.append(
            {
                "_id": f"65f1c0de{n:016x}",
                "botPlatform": "dialogflowES",
                "direction": "in" if kind in (0, 1) else "out",
                "payload": payload,
                "createdAt": f"2024-03-13T10:{n // 60 % 60:02d}:{n % 60:02d}.123Z",
            }
        )
    return items


def body(items: int) -> bytes:
    from botcopy_handover.testing import build_webhook_request, sample_handover

    data = sample_handover()
    data["messageHistory"] = history(items)
    return build_webhook_request(data, access_token=TOKEN).body


# ------------------------------------------------------------------ the load


WARM_UP = 50


async def load(url: str, payload: bytes, requests: int, concurrency: int) -> dict[str, float]:
    """requests/s, p50 and p99 latency (ms) of ``requests`` POSTs at ``concurrency``."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post() -> float:
            started = time.perf_counter()
            async with session.post(url, data=payload, headers=HEADERS) as response:
                answer = await response.read()
                if response.status != 200 or answer.replace(b" ", b"") != REPLY:
                    raise RuntimeError(f"unexpected answer {response.status}: {answer[:100]!r}")
            return time.perf_counter() - started

        for _ in range(min(WARM_UP, requests)):  # warm-up: connections, caches
            await post()
        latencies: list[float] = []
        remaining = requests

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                latencies.append(await post())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rate": requests / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and fast")
    parser.add_argument("--items", type=int, nargs="+", help="history sizes (default 0 10 100)")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", help="concurrencies (default 1 10 50)"
    )
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    sizes, concurrencies = tuple(args.items or (0, 10, 100)), tuple(args.concurrency or (1, 10, 50))
    if args.quick:
        args.rounds, args.requests, sizes, concurrencies = 1, 200, (100,), (10,)
    servers = {kind: start_server(kind) for kind in KINDS}
    try:
        print(
            f"Python {sys.version.split()[0]}, uvicorn {uvicorn.__version__} (asyncio, h11), "
            f"starlette {starlette.__version__}, aiohttp {aiohttp.__version__} client; "
            f"{args.rounds} interleaved rounds of {args.requests} requests\n"
        )
        print("| history items | concurrency | bare req/s (p50/p99 ms) | SDK req/s (p50/p99 ms) "
              "| SDK / bare | bare with models | SDK reading the history "
              "| / bare with models |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        worst = {"sdk": float("inf"), "sdk+history": float("inf")}
        worst_cpu = dict(worst)
        cpu_rows: list[str] = []
        for items in sizes:
            payload = body(items)
            for concurrency in concurrencies:
                runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
                for round_ in range(args.rounds):
                    order = KINDS if round_ % 2 == 0 else KINDS[::-1]
                    for kind in order:
                        proc, url = servers[kind]
                        before = cpu_ns(proc.pid)
                        run = asyncio.run(load(url, payload, args.requests, concurrency))
                        served = args.requests + min(WARM_UP, args.requests)
                        run["cpu"] = (cpu_ns(proc.pid) - before) / served / 1000
                        runs[kind].append(run)
                best = {kind: max(r, key=lambda x: x["rate"]) for kind, r in runs.items()}
                pairs = (("sdk", "bare"), ("sdk+history", "bare+models"))
                ratios = {
                    kind: statistics.median(
                        s["rate"] / b["rate"] for s, b in zip(runs[kind], runs[ref], strict=True)
                    )
                    for kind, ref in pairs
                }
                by_cpu = {
                    kind: statistics.median(
                        b["cpu"] / s["cpu"] for s, b in zip(runs[kind], runs[ref], strict=True)
                    )
                    for kind, ref in pairs
                }
                cpu = {kind: statistics.median(r["cpu"] for r in runs[kind]) for kind in KINDS}
                for kind, ratio in ratios.items():
                    worst[kind] = min(worst[kind], ratio)
                    worst_cpu[kind] = min(worst_cpu[kind], by_cpu[kind])
                cpu_rows.append(
                    f"| {items} | {concurrency} | {cpu['bare']:.0f} | {cpu['sdk']:.0f} "
                    f"| {by_cpu['sdk']:.2f}x | {cpu['bare+models']:.0f} | {cpu['sdk+history']:.0f} "
                    f"| {by_cpu['sdk+history']:.2f}x |"
                )
                cells = {
                    k: f"{best[k]['rate']:.0f} ({best[k]['p50']:.1f}/{best[k]['p99']:.1f})"
                    for k in KINDS
                }
                print(
                    f"| {items} | {concurrency} | {cells['bare']} | {cells['sdk']} "
                    f"| {ratios['sdk']:.2f}x | {cells['bare+models']} | {cells['sdk+history']} "
                    f"| {ratios['sdk+history']:.2f}x |",
                    flush=True,
                )
        print("\nServer CPU time per request, µs (median of rounds); ratios by CPU\n")
        print("| history items | concurrency | bare | SDK | SDK / bare by CPU | bare with models "
              "| SDK reading the history | / bare with models by CPU |")  # fmt: skip
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        print("\n".join(cpu_rows))
        for label, table in (("throughput", worst), ("CPU per request", worst_cpu)):
            print(
                f"\nworst by {label}: SDK / bare {table['sdk']:.2f}x (goal: at least 0.80x); "
                f"SDK reading the history / bare with models {table['sdk+history']:.2f}x "
                "(goal: at least 0.90x)"
            )
        print(f"\nbody sizes: {', '.join(f'{n} items {len(body(n))} B' for n in sizes)}")
    finally:
        for proc, _ in servers.values():
            stop_server(proc)


if __name__ == "__main__":
    main()
