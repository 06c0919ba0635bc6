"""``make fuzz``: a long, bounded fuzzing run over the SDK's parsing entry points.

Feeds each input to one of the targets in tests/fuzz/targets.py
(``parse_webhook``, ``Webhook.receive``, the Dialogflow view,
``render_transcript``, ``parse_push_event``; chosen by the input's hash, so
the inputs spread evenly) and checks one promise: a result or a ``BotcopyError``,
nothing else. Coverage-guided with atheris (libFuzzer) when it is installed;
otherwise the hypothesis property tests under a long profile.

It stops after ``--inputs`` inputs or ``--max-seconds``, whichever comes
first, prints the inputs tried, the rate, the known bugs hit and every new
finding (each saved under ``--findings``), and exits 1 when any input raised
outside ``BotcopyError`` (a new finding or a known, still open bug), or when
it could not reach ``--inputs`` and ``--require-inputs`` is set.

    python scripts/fuzz.py --inputs 1000000 --max-seconds 3600
    python scripts/fuzz.py --engine hypothesis --inputs 20000
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_NAMES = ("parse_webhook", "receive", "dialogflow", "render_transcript", "push_event")

# Keys and tokens the SDK looks for, so byte mutation builds real-looking bodies.
DICTIONARY = [
    "userId", "botId", "sessionId", "session", "accessToken", "access_token",
    "messageHistory", "dialogflowResponse", "queryInput", "queryParams", "text",
    "languageCode", "direction", "in", "out", "payload", "query", "queryParameters",
    "event", "name", "data", "createdAt", "botPlatform", "dialogflowES", "dialogFlowCX",
    "queryResult", "fulfillmentMessages", "responseMessages", "outputContexts",
    "parameters", "intent", "displayName", "intentDetectionConfidence", "fields",
    "kind", "stringValue", "numberValue", "boolValue", "structValue", "listValue",
    "values", "nullValue", "message", "quickReplies", "card", "buttons", "postback",
    "simpleResponses", "basicCard", "richContent", "eventType", "paused",
    "minutesPaused", "channel_update", "user_typing", "unpauseChatEvent",
    "agentName", "agentAvatarUrl", "webhookHeaders", "bcHumanHandover",
    "2024-01-01T00:00:00Z", "null", "true", "false", "[]", "{}", "\\ud800", "\\u0000",
    "1e999", "-0", "\":\"", "\",\"", "\":{", "\":[",
]  # fmt: skip


class Run:
    """Counts, findings and the stopping rule of one fuzzing run."""

    def __init__(self, inputs: int, max_seconds: float, findings: Path) -> None:
        self.limit = inputs
        self.deadline = time.monotonic() + max_seconds
        self.started = time.monotonic()
        self.tried = 0
        self.per_target: Counter[str] = Counter()
        self.findings_dir = findings
        self.findings: dict[str, tuple[str, Path]] = {}

    def record(self, data: bytes, target: str, exc: BaseException) -> None:
        """Save a new finding: one per exception type and place."""
        frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f"{frame.filename}:{frame.lineno}" if frame else "?"
        key = f"{target}: {type(exc).__name__} at {where}"
        if key in self.findings:
            return
        self.findings_dir.mkdir(parents=True, exist_ok=True)
        path = self.findings_dir / f"{target}-{hashlib.sha1(data).hexdigest()[:12]}.bin"  # noqa: S324
        path.write_bytes(data)
        self.findings[key] = (f"{type(exc).__name__}: {str(exc)[:200]}", path)
        print(f"\nNEW FINDING {key}\n  {self.findings[key][0]}\n  input: {path}", flush=True)

    def done(self) -> bool:
        """Whether the run has tried enough inputs or used its time."""
        return self.tried >= self.limit or (
            self.tried % 256 == 0 and time.monotonic() > self.deadline
        )

    def report(self, engine: str, require_inputs: bool) -> int:
        """Print the figures; the exit status."""
        from tests.fuzz.targets import KNOWN_BUGS, TARGETS

        elapsed = time.monotonic() - self.started
        print(f"\nfuzz ({engine}): {self.tried:,} inputs in {elapsed:,.0f} s "
              f"({self.tried / max(elapsed, 1e-9):,.0f} inputs/s)")  # fmt: skip
        print("  per target: " + ", ".join(f"{n} {self.per_target[n]:,}" for n in TARGETS))
        for bug, hits in sorted(KNOWN_BUGS.items()):
            print(f"  known bug, {hits:,} inputs: {bug}")
        if not self.findings:
            print("  new findings: none (every input gave a result or a BotcopyError)")
        for key, (message, path) in self.findings.items():
            print(f"  NEW FINDING {key}\n    {message}\n    input: {path}")
        short = require_inputs and self.tried < self.limit
        if short:
            print(f"  FAILED: stopped at {self.tried:,} of {self.limit:,} inputs (time limit)")
        if KNOWN_BUGS:
            print("  FAILED: known bugs are still open (tests/fuzz/test_findings.py)")
        sys.stdout.flush()
        return 1 if self.findings or KNOWN_BUGS or short else 0


def run_one(run: Run, data: bytes) -> None:
    """Feed one input to one target (chosen by its hash); record any non-BotcopyError."""
    from tests.fuzz.targets import TARGETS

    run.tried += 1
    name = _NAMES[zlib.crc32(data) % len(_NAMES)]
    run.per_target[name] += 1
    try:
        TARGETS[name](data)
    except Exception as exc:
        run.record(data, name, exc)


def _dict_entry(word: str) -> str:
    """A libFuzzer dictionary entry: only backslash and quote are escaped."""
    return word.replace("\\", "\\\\").replace('"', '\\"')


def fuzz_atheris(args: argparse.Namespace, run: Run) -> int:
    """Coverage-guided: libFuzzer mutates the seeds, atheris traces the SDK's Python code."""
    import atheris

    with atheris.instrument_imports(include=["botcopy_handover"]):
        import botcopy_handover  # instrumented for coverage
        import botcopy_handover.transcript  # noqa: F401
        from tests.fuzz.targets import seed_bodies

    corpus = Path(tempfile.mkdtemp(prefix="botcopy-fuzz-corpus-"))
    for index, seed in enumerate(seed_bodies()):
        (corpus / f"seed-{index}").write_bytes(seed)
    dictionary = corpus.parent / f"{corpus.name}.dict"
    dictionary.write_text("".join(f'"{_dict_entry(word)}"\n' for word in DICTIONARY))

    def one_input(data: bytes) -> None:
        run_one(run, data)
        if run.done():
            os._exit(run.report("atheris", args.require_inputs))

    argv = [sys.argv[0], str(corpus), f"-dict={dictionary}", "-max_len=8192",
            f"-seed={args.seed}", "-print_final_stats=0", "-rss_limit_mb=3072"]  # fmt: skip
    print(f"atheris: corpus {corpus}, stops after {run.limit:,} inputs or "
          f"{args.max_seconds:,.0f} s", flush=True)  # fmt: skip
    atheris.Setup(argv, one_input)
    atheris.Fuzz()
    return run.report("atheris", args.require_inputs)  # pragma: no cover - Fuzz() exits


def fuzz_hypothesis(args: argparse.Namespace) -> int:
    """The property tests under the long profile: each of the 5 gets ``--inputs`` / 5 examples."""
    env = {
        **os.environ,
        "BOTCOPY_FUZZ_PROFILE": "fuzz",
        "BOTCOPY_FUZZ_EXAMPLES": str(max(1, args.inputs // 5)),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               str(ROOT / "tests" / "fuzz" / "test_properties.py")]  # fmt: skip
    started = time.monotonic()
    try:
        code = subprocess.run(command, env=env, cwd=ROOT, timeout=args.max_seconds).returncode  # noqa: S603
    except subprocess.TimeoutExpired:
        print(f"fuzz (hypothesis): stopped at the time limit of {args.max_seconds:,.0f} s")
        return 1
    print(f"fuzz (hypothesis): {args.inputs:,} examples over 5 properties in "
          f"{time.monotonic() - started:,.0f} s; pytest exit {code}")  # fmt: skip
    return code


def main() -> int:
    """Parse the arguments and run the chosen engine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000, help="stop after this many")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long")
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed")
    parser.add_argument(
        "--findings",
        type=Path,
        default=Path(tempfile.gettempdir()) / "botcopy-fuzz-findings",
        help="where inputs are saved",
    )
    parser.add_argument(
        "--require-inputs", action="store_true", help="fail when the time runs out first"
    )
    args = parser.parse_args()
    # Each refused call logs a warning; a million of them would drown the report.
    logging.disable(logging.WARNING)
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
        except ImportError:
            print("atheris is not installed (pip install atheris): using hypothesis")
            engine = "hypothesis"
        else:
            engine = "atheris"
    if engine == "hypothesis":
        return fuzz_hypothesis(args)
    return fuzz_atheris(args, Run(args.inputs, args.max_seconds, args.findings))


if __name__ == "__main__":
    sys.exit(main())
