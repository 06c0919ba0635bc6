"""Benchmark: the CPU time of importing the SDK against importing httpx and pydantic.

A proxy on a serverless platform pays the import on every cold start. Each
contender is a fresh ``python -c`` process; its whole-process CPU time (user +
system, from ``resource.getrusage(RUSAGE_CHILDREN)``) is taken, and the
contenders are interleaved round by round so load on this shared machine falls
on all of them. The table shows the median of the rounds and each one's ratio
to the reference, ``import httpx, pydantic; from pydantic import BaseModel``.

It also times the first ``parse_webhook`` call in a fresh process (the models'
validators are built on first use, not at import), and, as its reference,
the first validation of the same body by the equivalent hand-written models
of ``benchmarks/parse.py`` in a fresh process. Both include what pydantic does
before the first validator any program builds: importing
``importlib.metadata`` and reading every installed distribution's entry
points (plugin discovery).

Run: ``.venv/bin/python benchmarks/imports.py [--rounds 10]``; ``--quick`` for a
smoke run. Goal: at most 1.2x for both SDK imports, first parse under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys

REFERENCE = "import httpx, pydantic; from pydantic import BaseModel"
CONTENDERS = {
    "reference: import httpx, pydantic; from pydantic import BaseModel": REFERENCE,
    "import botcopy_handover": "import botcopy_handover",
    "from botcopy_handover import parse_webhook, Webhook, Pause": (
        "from botcopy_handover import parse_webhook, Webhook, Pause"
    ),
    "python -c pass (interpreter start-up)": "pass",
}

FIRST_PARSE = """
import json, time
from botcopy_handover import parse_webhook
item = {"direction": "in", "botPlatform": "dialogflowES", "createdAt": "2024-01-01T00:00:00Z",
        "payload": {"query": "hi"}}
body = json.dumps({"userId": "u", "botId": "b", "dialogflowResponse": {"queryResult": {}},
                   "messageHistory": [item]})
start = time.perf_counter()
event = parse_webhook(body)
event.history
event.dialogflow.texts
print((time.perf_counter() - start) * 1000)
"""

FIRST_REFERENCE = """
import json, sys, time
sys.path.insert(0, "benchmarks")
from parse import EQUIVALENT  # models defined, validators deferred as the SDK's are
item = {"direction": "in", "botPlatform": "dialogflowES", "createdAt": "2024-01-01T00:00:00Z",
        "payload": {"query": "hi"}}
body = json.dumps({"userId": "u", "botId": "b", "dialogflowResponse": {"queryResult": {}},
                   "messageHistory": [item]})
start = time.perf_counter()
event = EQUIVALENT.validate_json(body)
(event.dialogflowResponse.get("queryResult") or {}).get("fulfillmentMessages")
print((time.perf_counter() - start) * 1000)
"""


# As after ``pip install``: bytecode written once and reused. (Some shells set
# PYTHONDONTWRITEBYTECODE, which would measure compiling instead of importing.)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu_seconds(code: str) -> float:
    """Whole-process CPU time of ``python -c code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], check=True, env=ENV)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def first_parse_ms(code: str = FIRST_PARSE) -> float:
    """Milliseconds of the first parse (and history, and texts) in a fresh process."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=ENV, cwd=root
    )
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="three rounds, for a smoke test")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds

    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    parses: list[float] = []
    references: list[float] = []
    for code in CONTENDERS.values():  # a first run writes the bytecode; not counted
        cpu_seconds(code)
    first_parse_ms()
    for _ in range(rounds):
        for name, code in CONTENDERS.items():
            times[name].append(cpu_seconds(code))
        parses.append(first_parse_ms())
        references.append(first_parse_ms(FIRST_REFERENCE))

    reference = statistics.median(times[next(iter(CONTENDERS))])
    print(f"Import CPU time, median of {rounds} interleaved rounds ({sys.version.split()[0]})\n")
    print("| import | CPU ms | vs reference |")
    print("|---|---:|---:|")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"| `{name}` | {median * 1000:.0f} | {median / reference:.2f}x |")
    parse, reference_parse = statistics.median(parses), statistics.median(references)
    print(
        f"\nfirst parse_webhook + history + dialogflow.texts: {parse:.1f} ms (goal: under 50 ms); "
        f"first validation by the equivalent hand-written models: {reference_parse:.1f} ms "
        f"({parse / reference_parse:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
