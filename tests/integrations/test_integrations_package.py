"""The integrations package imports no framework until a framework's module is imported."""

from __future__ import annotations

import subprocess
import sys

FRAMEWORKS = ("aiohttp", "django", "fastapi", "flask", "starlette")


def imported_frameworks(statement: str) -> list[str]:
    code = f"{statement}; import sys; print(*[m for m in {FRAMEWORKS!r} if m in sys.modules])"
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.split()


def test_importing_the_package_imports_no_framework() -> None:
    assert imported_frameworks("import botcopy_handover.integrations") == []


def test_each_module_imports_only_its_framework() -> None:
    assert imported_frameworks("import botcopy_handover.integrations.flask") == ["flask"]
    assert imported_frameworks("import botcopy_handover.integrations.django") == ["django"]
    assert imported_frameworks("import botcopy_handover.integrations.aiohttp") == ["aiohttp"]
