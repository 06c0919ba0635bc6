"""A missing optional extra is one line naming it, never a traceback.

Each case runs in a fresh interpreter in which an import hook refuses the
extra's packages, as if they were not installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BLOCK = textwrap.dedent(
    """
    import sys

    class NotInstalled:
        def __init__(self, names):
            self.names = set(names)

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.names:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled(sys.argv[1].split(",")))
    """
)


def run(
    blocked: str, code: str, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", BLOCK + textwrap.dedent(code), blocked, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def hint(extra: str) -> str:
    return f'pip install "botcopy-handover[{extra}]"'


@pytest.mark.parametrize(
    ("module", "blocked", "extra", "missing"),
    [
        ("fastapi", "fastapi", "fastapi", "fastapi"),
        ("starlette", "starlette", "starlette", "starlette"),
        ("flask", "flask", "flask", "flask"),
        ("django", "django", "django", "django"),
        ("aiohttp", "aiohttp", "aiohttp", "aiohttp"),
    ],
)
def test_every_integration_names_its_extra(
    module: str, blocked: str, extra: str, missing: str
) -> None:
    result = run(
        blocked,
        f"""
        import json
        try:
            import botcopy_handover.integrations.{module}
        except ImportError as exc:
            from botcopy_handover import MissingDependencyError
            print(json.dumps({{
                "typed": isinstance(exc, MissingDependencyError),
                "message": str(exc),
                "extra": getattr(exc, "extra", None),
                "chained": exc.__cause__ is not None or not exc.__suppress_context__,
            }}))
        """,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == {
        "typed": True,
        "message": f"botcopy_handover.integrations.{module} needs the {extra!r} extra "
        f"({missing} is not installed): {hint(extra)}",
        "extra": extra,
        "chained": False,
    }


def test_the_uncaught_error_ends_in_one_line_naming_the_extra() -> None:
    result = run("flask", "import botcopy_handover.integrations.flask")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "botcopy_handover._errors.MissingDependencyError: botcopy_handover.integrations.flask "
        f"needs the 'flask' extra (flask is not installed): {hint('flask')}"
    )
    assert "During handling of the above exception" not in result.stderr


@pytest.mark.parametrize("blocked", ["uvicorn", "starlette"])
def test_emulate_without_the_testing_extra_is_one_line(blocked: str) -> None:
    result = run(
        blocked,
        """
        from botcopy_handover.cli import main
        sys.exit(main(["emulate", "--port", "0"]))
        """,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: botcopy-handover emulate needs the 'testing' extra "
        f"({blocked} is not installed): {hint('testing')}\n"
    )


def test_the_testing_package_imports_without_the_extra_and_says_so_when_serving() -> None:
    result = run(
        "uvicorn,starlette",
        """
        from botcopy_handover.testing import BotcopyEmulator, build_webhook_request
        try:
            BotcopyEmulator().start()
        except ImportError as exc:
            print(exc)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "the Botcopy emulator needs the 'testing' extra (starlette is not installed): "
        f"{hint('testing')}\n"
    )


def test_the_botcopy_fixture_fails_with_one_line_naming_the_extra(tmp_path: Path) -> None:
    (tmp_path / "test_proxy.py").write_text(
        "def test_uses_the_emulator(botcopy):\n    pass\n\n"
        "def test_serves_a_proxy(botcopy_serve):\n    pass\n"
    )
    result = run(
        "uvicorn,starlette",
        """
        import pytest
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "test_proxy.py"]))
        """,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert (
        "\nthe botcopy pytest fixture needs the 'testing' extra (uvicorn is not installed): "
        f"{hint('testing')}\n"
    ) in out
    assert "the botcopy_serve pytest fixture needs the 'testing' extra" in out
    assert "2 errors" in out
    assert "Traceback" not in out
    assert "During handling" not in out
    assert "import_module" not in out  # no frames of the import machinery
