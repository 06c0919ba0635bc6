"""``make demo``: a whole live-chat handover, end to end, on this machine, no account needed.

Starts two processes on loopback — the local Botcopy emulator
(``botcopy-handover emulate``) and the example proxy (``demo_proxy.py``:
``Webhook`` in, ``AsyncClient`` out, a scripted agent) — and plays a
conversation through the emulator's control API:

1. the customer asks the bot a question, then asks for a human;
2. Botcopy calls the proxy's webhook with the history; the proxy pauses the bot;
3. the agent joins with her name and avatar, types, and answers;
4. the customer replies while the bot is paused; the agent answers and hands
   the chat back to the bot without a goodbye line (``unpauseChatEvent: none``).

It prints the conversation as the customer saw it and as the agent saw it,
checks every step, stops both processes by pid, and exits 0 only if every
step happened.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
TOKEN = "demo-access-token"
API_KEY = "demo-api-key"
USER, BOT = "user-1", "bot-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(what: str, check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    print(f"  gave up waiting: {what}", file=sys.stderr)
    return False


class Demo:
    def __init__(self, emulator: str, proxy: str) -> None:
        self.emulator = httpx.Client(base_url=emulator, timeout=10)
        self.proxy = httpx.Client(base_url=proxy, timeout=10)
        self.steps: list[tuple[str, bool]] = []

    def check(self, step: str, ok: bool) -> None:
        self.steps.append((step, ok))
        print(f"  [{'ok' if ok else 'FAILED'}] {step}")

    def says(self, text: str) -> dict[str, Any]:
        print(f"customer types: {text}")
        turn: dict[str, Any] = self.emulator.post(
            "/emulator/customer/says", json={"text": text, "userId": USER, "botId": BOT}
        ).json()
        return turn

    def conversation(self) -> dict[str, Any]:
        data: dict[str, Any] = self.emulator.get(f"/emulator/conversations/{BOT}/{USER}").json()
        return data

    def events(self) -> list[str]:
        events = self.emulator.get("/emulator/events").json()
        return [
            e["event"]["eventType"] + ("" if e["event"]["paused"] else ":resume") for e in events
        ]

    def agent_lines(self) -> list[str]:
        return [
            line["text"] for line in self.conversation()["transcript"] if line["sender"] == "agent"
        ]

    def desk(self) -> dict[str, Any]:
        data: dict[str, Any] = self.proxy.get("/desk").json()
        return data

    def play(self) -> None:
        turn = self.says("Where is my order?")
        self.check(
            "the bot answers a plain question", bool(turn["botSaid"]) and not turn["webhookCall"]
        )

        turn = self.says("I want to talk to a human")
        call = turn["webhookCall"] or {}
        self.check(
            "Botcopy calls the proxy (Step One, with history) and the proxy pauses the bot",
            call.get("outcome") == "replied" and call.get("reply", {}).get("paused") is True,
        )
        self.check(
            "the agent joins with her name and avatar, types, and answers",
            wait_until("the agent's first message", lambda: len(self.agent_lines()) >= 1)
            and self.conversation()["agentProfile"]["name"] == "Dana"
            and bool(self.conversation()["agentProfile"]["avatarUrl"])
            and self.events()[:3] == ["channel_update", "user_typing", "message"],
        )

        turn = self.says("It's order 1042")
        call = turn["webhookCall"] or {}
        self.check(
            "the customer's reply reaches the proxy while paused (Step Two)",
            call.get("kind") == "customer_message" and call.get("outcome") == "replied",
        )
        self.check(
            "the agent answers and hands the chat back to the bot with no goodbye line",
            wait_until("the hand-back", lambda: not self.conversation()["paused"])
            and len(self.agent_lines()) == 2
            and self.events()[-1] == "channel_update:resume"
            and not any("has left" in line["text"] for line in self.conversation()["transcript"]),
        )
        self.check(
            "the desk saw the history, the customer's reply and its own answers",
            wait_until("the desk to finish", lambda: self.desk()["busy"] == 0)
            and any("Where is my order?" in line for line in self.desk()["seen"])
            and "customer: It's order 1042" in self.desk()["seen"],
        )

    def show(self) -> None:
        print("\nAs the customer saw it:")
        for line in self.conversation()["transcript"]:
            print(f"  {line['sender']:>8}: {line['text']}")
        print("\nAs the agent saw it:")
        for line in self.desk()["seen"]:
            print(f"  {line}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def main() -> int:
    emulator_port, proxy_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    env = {
        **os.environ,
        "BOTCOPY_ACCESS_TOKEN": TOKEN,
        "BOTCOPY_API_KEY": API_KEY,
        "BOTCOPY_BASE_URL": emulator_url,
        "PYTHONUNBUFFERED": "1",
    }
    logs = Path(tempfile.mkdtemp(prefix="botcopy-demo-"))
    emulator = start(
        [sys.executable, "-m", "botcopy_handover", "emulate", "--port", str(emulator_port),
         "--webhook-url", f"{proxy_url}/botcopy", "--access-token", TOKEN, "--api-key", API_KEY,
         "--variant", "plain"],  # the story shows the desk the history: ask for it
        env,
        logs / "emulator.log",
    )  # fmt: skip
    proxy = start(
        [sys.executable, str(HERE / "demo_proxy.py"), "--port", str(proxy_port)],
        env,
        logs / "proxy.log",
    )
    print(f"emulator pid {emulator.pid} on {emulator_url}; proxy pid {proxy.pid} on {proxy_url}\n")
    demo = Demo(emulator_url, proxy_url)
    try:
        # Generous: two fresh interpreters import uvicorn and Starlette, which
        # takes seconds on a slow or busy machine.
        ready = wait_until(
            "both servers to start",
            lambda: (
                demo.emulator.get("/emulator/health").status_code == 200
                and demo.proxy.get("/desk").status_code == 200
            ),
            timeout=60.0,
        )
        if ready:
            demo.play()
            demo.show()
        else:
            demo.check("the emulator and the proxy start", False)
    finally:
        stop(proxy)
        stop(emulator)
    failed = [step for step, ok in demo.steps if not ok]
    if failed:
        for name in ("emulator.log", "proxy.log"):
            print(f"\n--- {name}\n{(logs / name).read_text(errors='replace')}", file=sys.stderr)
        print(f"\ndemo FAILED: {len(failed)} of {len(demo.steps)} steps", file=sys.stderr)
        print(f"(the servers' logs are kept in {logs})", file=sys.stderr)
        return 1
    shutil.rmtree(logs, ignore_errors=True)  # kept only when a step failed
    print(f"\ndemo passed: all {len(demo.steps)} steps happened (processes stopped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
