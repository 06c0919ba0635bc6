"""``botcopy-handover console`` refuses to start insecurely or half-configured."""

from __future__ import annotations

import os
import subprocess
import sys


def console(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BOTCOPY_")}
    return subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "botcopy_handover", "console", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**clean, **env},
    )


def test_beyond_loopback_the_console_needs_a_shared_secret() -> None:
    done = console("--host", "0.0.0.0", BOTCOPY_ACCESS_TOKEN="t", BOTCOPY_API_KEY="k")
    assert done.returncode == 1
    assert "BOTCOPY_CONSOLE_SECRET" in done.stderr


def test_without_an_api_key_the_console_says_so() -> None:
    done = console(BOTCOPY_ACCESS_TOKEN="t")
    assert done.returncode == 1
    assert "BOTCOPY_API_KEY" in done.stderr


def test_without_an_access_token_the_console_says_so() -> None:
    done = console(BOTCOPY_API_KEY="k")
    assert done.returncode == 1
    assert "BOTCOPY_ACCESS_TOKEN" in done.stderr


def test_help_names_the_environment() -> None:
    done = console("--help")
    assert done.returncode == 0
    assert "--redis-url" in done.stdout and "BOTCOPY_CONSOLE_SECRET" in done.stdout
