"""The ``botcopy-handover`` command as a whole: help, version, exit statuses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from botcopy_handover import __version__
from botcopy_handover.cli import COMMANDS, build_parser, main
from tests.helpers import run_cli as cli


def process(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The command as its own process: ``python -m botcopy_handover ARGS``."""
    return subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "botcopy_handover", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command_with_a_summary() -> None:
    result = cli("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: botcopy-handover [-h] [--version] COMMAND ...")
    for name in ("parse", "push"):
        if any(m.__name__.endswith(f"_{name}") for m in COMMANDS):
            assert f"\n    {name} " in result.stdout
    assert "Exit status: 0 done, 1 error, 2 wrong usage, 130 interrupted." in result.stdout


def test_version_prints_the_package_version() -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout == f"botcopy-handover {__version__}\n"


def test_the_module_runs_as_a_process_with_its_exit_statuses() -> None:
    # The one process-level run: `python -m botcopy_handover` reaches main()
    # and hands its status to the shell; the other cases call main() in process.
    assert process("--version").stdout == f"botcopy-handover {__version__}\n"
    result = process("parse", "-", stdin="not json")
    assert result.returncode == 1
    assert result.stderr.startswith("error: Request body is not valid JSON")
    assert process().returncode == 2


def test_no_command_is_a_usage_error() -> None:
    result = cli()
    assert result.returncode == 2
    assert "the following arguments are required: COMMAND" in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    result = cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_sdk_errors_print_one_line_and_exit_1() -> None:
    result = cli("parse", "-", stdin="not json")
    assert result.returncode == 1
    assert result.stderr.startswith("error: Request body is not valid JSON")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_every_command_module_registers_a_handler() -> None:
    parser = build_parser()
    for module in COMMANDS:
        name = module.__name__.rsplit("._", 1)[1]
        help_ = parser.format_help()
        assert name in help_
        assert callable(module.run)


def test_main_returns_the_usage_status_instead_of_exiting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["parse", "--no-such-option"]) == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_main_returns_0_for_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "usage: botcopy-handover" in capsys.readouterr().out


def test_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "botcopy-handover"]
    assert script.value == "botcopy_handover.cli:main"


def test_unknown_options_are_named_without_their_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from botcopy_handover.cli import main

    status = main(["parse", "--token=sk-secret-value", "body.json", "sk-other-secret"])
    assert status == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --token and 2 values (not shown)" in err
    assert "sk-" not in err
