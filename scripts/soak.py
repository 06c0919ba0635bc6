"""``make soak``: push thousands of customer messages through the whole loop, with faults.

Runs, on loopback, as processes stopped by pid at the end:

* the Botcopy emulator (``botcopy-handover emulate``), with its fault
  injection on the push endpoint: 429 and 503 (each with ``Retry-After``),
  latency, and a dropped answer (the status line, then the connection cut;
  the push is not applied);
* the proxy (scripts/soak_proxy.py: ``Webhook`` in, ``AsyncClient`` out, an
  agent that echoes every customer message as a push);

and, inside this process, a relay between the proxy and the emulator's push
endpoint that drops connections on either side of Botcopy: **before** (the
request head arrives, the connection is cut, nothing reaches Botcopy) and
**after** (Botcopy applies the push, its answer never comes back).

Customers talk over the emulator's control API: each asks for a human
(Step One), then keeps writing while the bot is paused (Step Two). Every
message carries an id; the proxy echoes it; at the end each id is counted
in what the customer was shown:

* **delivered once** / **delivered twice** (or more);
* **lost and reported**: not shown, and the SDK raised an error for the push
  (or the webhook call failed, so Botcopy gave the message to the bot);
* **lost silently**: not shown, and nobody was told.

It also prints the slowest webhook answer the emulator measured and the
proxy's memory growth (RSS from /proc, after a warm-up, to the end). Exit 1
when a goal is missed: 0 delivered twice, 0 lost silently, every webhook
answered within 5 s, memory growth under 10 MB.

    python scripts/soak.py --messages 10000
    python scripts/soak.py --messages 1000 --json report.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "soak-access-token"  # noqa: S105 - a test token
API_KEY = "soak-api-key"
BOT = "soak-bot"
GOAL_SLOWEST = 5.0
GOAL_GROWTH_MB = 10.0
_ID = re.compile(r"#(\S+)$")

# What the emulator injects on its push endpoint (its own fault plan, seeded).
EMULATOR_FAULTS = [
    {"kind": "rate_limit", "rate": 0.02, "retryAfter": 0.05},
    {"kind": "server_error", "rate": 0.02, "status": 503, "retryAfter": 0.05},
    {"kind": "latency", "rate": 0.02, "seconds": 0.25},
    {"kind": "drop", "rate": 0.005},
]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """The resident memory of process ``pid``, in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time process ``pid`` has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("the relay only frames bodies with a Content-Length")
    return 0


class Relay:
    """An HTTP/1.1 relay (keep-alive aware) that drops connections before or after Botcopy.

    Args:
        upstream: ``(host, port)`` of the emulator.
        drop_before: Share of requests cut after their head: nothing reaches Botcopy.
        drop_after: Share of requests forwarded and applied whose answer is dropped.
        seed: Seeds the draws, so a run can be repeated.

    """

    def __init__(
        self, upstream: tuple[str, int], drop_before: float, drop_after: float, seed: int
    ) -> None:
        self.upstream = upstream
        self.drop_before = drop_before
        self.drop_after = drop_after
        self.random = random.Random(seed)  # noqa: S311 - test traffic
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.open: set[asyncio.StreamWriter] = set()

    def close_all(self) -> None:
        """Cut every open client connection (at the end of the run)."""
        for writer in list(self.open):
            writer.transport.abort()

    def draw(self) -> str:
        """The fault for the next request: ``drop_before``, ``drop_after`` or ``none``."""
        roll = self.random.random()
        if roll < self.drop_before:
            return "drop_before"
        if roll < self.drop_before + self.drop_after:
            return "drop_after"
        return "none"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection, request by request (keep-alive)."""
        self.open.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return  # the client closed its idle connection
                fault = self.draw()
                self.counts[fault] += 1
                if fault == "drop_before":
                    return
                body = await reader.readexactly(_content_length(head))
                answer = await self.forward(head + body)
                if answer is None:
                    # The emulator's own "drop" fault cut its answer short: cut ours too.
                    self.counts["emulator_drop"] += 1
                    return
                if fault == "drop_after":
                    return
                writer.write(answer)
                await writer.drain()
        except asyncio.CancelledError:
            return  # the run is over: the connection is cut below
        except (asyncio.IncompleteReadError, ConnectionError):
            self.counts["client_gone"] += 1
        except Exception as exc:
            self.errors[type(exc).__name__] += 1
        finally:
            # An abort, not a clean close: a dropped connection as the proxy would see one.
            self.open.discard(writer)
            writer.transport.abort()

    async def forward(self, request: bytes) -> bytes | None:
        """Send one request on a fresh upstream connection; its answer, or ``None`` if cut.

        A fresh connection each time: a pooled one could have been closed
        idle by the emulator, which would turn into a drop nobody injected.
        """
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            up_writer.write(request)
            await up_writer.drain()
            head = await up_reader.readuntil(b"\r\n\r\n")
            return head + await up_reader.readexactly(_content_length(head))
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        finally:
            up_writer.close()


@dataclass
class Tally:
    """What the customers sent and what the emulator says happened to each webhook call."""

    sent: list[str] = field(default_factory=list)
    webhook_outcomes: Counter[str] = field(default_factory=Counter)
    not_forwarded: set[str] = field(default_factory=set)
    slowest: float = 0.0
    elapsed: list[float] = field(default_factory=list)
    driver_errors: Counter[str] = field(default_factory=Counter)


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a process with its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` by its pid: terminate, then kill after 5 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


async def wait_until(check: Callable[[], Any], timeout: float) -> bool:
    """Poll the coroutine function ``check`` until it returns true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if await check():
                return True
        await asyncio.sleep(0.1)
    return False


async def customer(
    http: httpx.AsyncClient,
    emulator: str,
    user: str,
    count: int,
    tally: Tally,
    deadline: float,
    on_sent: Callable[[], None],
) -> None:
    """One customer: asks for a human, then keeps writing while the bot is paused."""
    for index in range(count):
        if time.monotonic() > deadline:
            return
        mid = f"{user}.{index}"
        text = f"I want a human #{mid}" if index == 0 else f"message {index} #{mid}"
        tally.sent.append(mid)
        try:
            answer = await http.post(
                f"{emulator}/emulator/customer/says",
                json={"text": text, "userId": user, "botId": BOT},
            )
            turn = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            tally.driver_errors[type(exc).__name__] += 1
            tally.not_forwarded.add(mid)
            continue
        call = turn.get("webhookCall")
        if call is None:
            tally.webhook_outcomes["no call"] += 1
            tally.not_forwarded.add(mid)
        else:
            tally.webhook_outcomes[call["outcome"]] += 1
            tally.slowest = max(tally.slowest, float(call["elapsed"]))
            tally.elapsed.append(float(call["elapsed"]))
            if call["outcome"] != "replied":
                tally.not_forwarded.add(mid)
        on_sent()


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    """Run the soak; the figures as a dict."""
    emulator_port, proxy_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    relay = Relay(("127.0.0.1", emulator_port), args.drop_before, args.drop_after, args.seed)
    relay_server = await asyncio.start_server(relay.handle, "127.0.0.1", 0)
    relay_port = relay_server.sockets[0].getsockname()[1]
    env = {
        **os.environ,
        "BOTCOPY_ACCESS_TOKEN": TOKEN,
        "BOTCOPY_API_KEY": API_KEY,
        "BOTCOPY_BASE_URL": f"http://127.0.0.1:{relay_port}",
        "PYTHONUNBUFFERED": "1",
    }
    logs = Path(tempfile.mkdtemp(prefix="botcopy-soak-"))
    emulator = start(
        [sys.executable, "-m", "botcopy_handover", "emulate", "--port", str(emulator_port),
         "--webhook-url", f"{proxy_url}/botcopy", "--access-token", TOKEN, "--api-key", API_KEY],
        env,
        logs / "emulator.log",
    )  # fmt: skip
    proxy = start(
        [sys.executable, str(ROOT / "scripts" / "soak_proxy.py"), "--port", str(proxy_port)],
        env,
        logs / "proxy.log",
    )
    print(f"soak: emulator pid {emulator.pid}, proxy pid {proxy.pid}, relay :{relay_port}, "
          f"logs in {logs}", flush=True)  # fmt: skip
    started = time.monotonic()
    tally = Tally()
    report: dict[str, Any] = {"messages": args.messages, "logs": str(logs)}
    try:
        async with httpx.AsyncClient(timeout=30) as http:

            async def ready() -> bool:
                health = await http.get(f"{emulator_url}/emulator/health")
                status = await http.get(f"{proxy_url}/soak/status")
                return health.status_code == 200 and status.status_code == 200

            if not await wait_until(ready, 120):
                raise RuntimeError(f"the emulator or the proxy did not start; see {logs}")
            for fault in EMULATOR_FAULTS if args.faults else []:
                (await http.post(f"{emulator_url}/emulator/faults", json=fault)).raise_for_status()
            if not args.faults:
                relay.drop_before = relay.drop_after = 0.0
            rss = {"start": rss_mb(proxy.pid)}
            warmup = min(500, args.messages // 10)

            def on_sent() -> None:
                if "warm" not in rss and len(tally.sent) >= warmup:
                    rss["warm"] = rss_mb(proxy.pid)

            per_customer = math.ceil(args.messages / args.customers)
            counts = [per_customer] * (args.messages // per_customer)
            if args.messages % per_customer:
                counts.append(args.messages % per_customer)
            deadline = started + args.max_seconds
            await asyncio.gather(
                *(
                    customer(http, emulator_url, f"c{n}", count, tally, deadline, on_sent)
                    for n, count in enumerate(counts)
                )
            )
            sending = time.monotonic() - started

            async def idle() -> bool:
                status = (await http.get(f"{proxy_url}/soak/status")).json()
                return bool(status["busy"] == 0)

            settled = await wait_until(idle, 60)
            rss["end"] = rss_mb(proxy.pid)
            cpu = {
                "emulator": round(cpu_seconds(emulator.pid), 1),
                "proxy": round(cpu_seconds(proxy.pid), 1),
                "driver": round(time.process_time(), 1),
            }
            events = (await http.get(f"{emulator_url}/emulator/events")).json()
            failures = (await http.get(f"{proxy_url}/soak/failures")).json()
            status = (await http.get(f"{proxy_url}/soak/status")).json()
    finally:
        stop(proxy)
        stop(emulator)
        relay_server.close()
        relay.close_all()
        await relay_server.wait_closed()
    shown: Counter[str] = Counter()
    for received in events:
        event = received["event"]
        match = _ID.search(event.get("text") or "") if event["eventType"] == "message" else None
        if match:
            shown[match.group(1)] += 1
    reported = {_id(f["text"]) for f in failures}
    # The SDK said "surely not delivered" (maybe_delivered=False), yet it was shown.
    said_not = {_id(f["text"]) for f in failures if f.get("maybeDelivered") is False}
    unexpected = [f for f in failures if not f.get("sdkError")]
    once = twice = lost_reported = lost_silently = once_but_reported = 0
    for mid in tally.sent:
        seen = shown[mid]
        if seen == 1:
            once += 1
            once_but_reported += mid in reported
        elif seen > 1:
            twice += 1
        elif mid in reported or mid in tally.not_forwarded:
            lost_reported += 1
        else:
            lost_silently += 1
    growth = rss["end"] - rss.get("warm", rss["start"])
    report.update(
        {
            "sent": len(tally.sent),
            "deliveredOnce": once,
            "deliveredOnceThoughReportedFailed": once_but_reported,
            "deliveredThoughSdkSaidNot": sum(1 for mid in said_not if shown[mid]),
            "deliveredTwice": twice,
            "lostAndReported": lost_reported,
            "lostSilently": lost_silently,
            "slowestWebhookAnswer": round(tally.slowest, 3),
            "slowestWebhookAnswerInProxyApp": status.get("slowestInApp"),
            "webhookAnswersOver5sInProxyApp": status.get("inAppOver5s"),
            "webhookAnswersOver5s": sum(1 for e in tally.elapsed if e >= GOAL_SLOWEST),
            "webhookAnswerP50": _percentile(tally.elapsed, 0.5),
            "webhookAnswerP99": _percentile(tally.elapsed, 0.99),
            "webhookOutcomes": dict(tally.webhook_outcomes),
            "proxyRssMb": {k: round(v, 1) for k, v in rss.items()},
            "proxyRssGrowthMb": round(growth, 1),
            "sdkErrors": dict(Counter(f["error"] for f in failures if f.get("sdkError"))),
            "maybeDelivered": dict(
                Counter(str(f.get("maybeDelivered")) for f in failures if f.get("sdkError"))
            ),
            "unexpectedErrors": dict(Counter(f["error"] for f in unexpected)),
            "relayFaults": dict(relay.counts),
            "relayErrors": dict(relay.errors),
            "driverErrors": dict(tally.driver_errors),
            "proxyPushed": status["pushed"],
            "proxySettled": settled,
            "cpuSeconds": cpu,
            "sendingSeconds": round(sending, 1),
            "totalSeconds": round(time.monotonic() - started, 1),
            "faults": EMULATOR_FAULTS if args.faults else [],
            "command": " ".join(["python", "scripts/soak.py", *sys.argv[1:]]),
        }
    )
    report["goalsMet"] = (
        report["sent"] == args.messages
        and twice == 0
        and lost_silently == 0
        and not unexpected
        and report["deliveredThoughSdkSaidNot"] == 0
        and tally.slowest < GOAL_SLOWEST
        and growth < GOAL_GROWTH_MB
        and settled
    )
    return report


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 4)


def _id(text: str) -> str:
    match = _ID.search(text)
    return match.group(1) if match else text


def show(report: dict[str, Any]) -> None:
    """Print the figures as a short table."""
    rss = report["proxyRssMb"]
    rows = [
        ("messages sent", f"{report['sent']:,} of {report['messages']:,}"),
        ("delivered once", f"{report['deliveredOnce']:,} "
         f"({report['deliveredOnceThoughReportedFailed']} of them reported as failed)"),
        ("delivered twice", f"{report['deliveredTwice']:,}   (goal: 0)"),
        ("shown, SDK said not sent", f"{report['deliveredThoughSdkSaidNot']}   (goal: 0; "
         "maybe_delivered=False on a push the customer saw)"),
        ("lost and reported", f"{report['lostAndReported']:,}"),
        ("lost silently", f"{report['lostSilently']:,}   (goal: 0)"),
        ("slowest webhook answer", f"{report['slowestWebhookAnswer']:.3f} s   (goal: < 5 s; "
         f"p50 {report['webhookAnswerP50']} s, p99 {report['webhookAnswerP99']} s)"),
        ("proxy memory growth", f"{report['proxyRssGrowthMb']:+.1f} MB   (goal: < 10 MB; RSS "
         f"{rss['start']} MB at start, {rss.get('warm', '-')} after warm-up, {rss['end']} at end)"),
        ("  ... inside the proxy", f"{report['slowestWebhookAnswerInProxyApp']} s from the call "
         f"reaching the app to its answer; {report['webhookAnswersOver5sInProxyApp']} over 5 s "
         f"(Botcopy's clock: {report['webhookAnswersOver5s']} over 5 s)"),
        ("webhook outcomes", json.dumps(report["webhookOutcomes"])),
        ("SDK errors (pushes)", json.dumps(report["sdkErrors"])),
        ("errors outside the SDK", json.dumps(report["unexpectedErrors"])),
        ("relay faults", json.dumps(report["relayFaults"])),
        ("time", f"{report['sendingSeconds']} s sending, {report['totalSeconds']} s in all; "
         f"CPU s {json.dumps(report['cpuSeconds'])}"),
    ]  # fmt: skip
    for name, value in rows:
        print(f"  {name:<24} {value}")
    print("soak: goals met" if report["goalsMet"] else "soak: GOALS MISSED", flush=True)


def _interrupted(signum: int, frame: object) -> None:
    # SIGTERM as Ctrl-C: the run unwinds and stops its processes by pid.
    raise KeyboardInterrupt


def main() -> int:
    """Parse the arguments, run the soak, print and optionally save the figures."""
    signal.signal(signal.SIGTERM, _interrupted)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=20, help="talking at the same time")
    parser.add_argument("--drop-before", type=float, default=0.005)
    parser.add_argument("--drop-after", type=float, default=0.005)
    parser.add_argument("--no-faults", dest="faults", action="store_false")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="stop sending after")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    try:
        report = asyncio.run(soak(args))
    except KeyboardInterrupt:
        print("soak: interrupted; the emulator and the proxy are stopped", file=sys.stderr)
        return 130
    show(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["goalsMet"] else 1


if __name__ == "__main__":
    sys.exit(main())
