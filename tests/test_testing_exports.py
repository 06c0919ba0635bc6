"""``botcopy_handover.testing``: one import for the test tools, each on the reference page."""

from __future__ import annotations

from pathlib import Path

import botcopy_handover.testing
import botcopy_handover.testing.emulator
import botcopy_handover.testing.pytest_plugin

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference-testing.md"


def test_the_emulator_imports_from_the_testing_package() -> None:
    from botcopy_handover.testing import BotcopyEmulator, Fault, ScriptedBot

    assert BotcopyEmulator is botcopy_handover.testing.emulator.BotcopyEmulator
    assert Fault is botcopy_handover.testing.emulator.Fault
    assert ScriptedBot is botcopy_handover.testing.emulator.ScriptedBot


def test_every_exported_name_exists() -> None:
    for name in botcopy_handover.testing.__all__:
        assert hasattr(botcopy_handover.testing, name), name


def test_the_reference_page_documents_every_test_tool_and_fixture() -> None:
    page = REFERENCE.read_text()
    documented = {
        line.removeprefix(":::").strip().rsplit(".", 1)[-1]
        for line in page.splitlines()
        if line.startswith(":::")
    }
    emulator_api = set(botcopy_handover.testing.emulator.__all__)
    missing = (set(botcopy_handover.testing.__all__) | emulator_api) - documented
    assert missing == set()
    fixtures = [
        name
        for name in botcopy_handover.testing.pytest_plugin.__all__
        if name != "pytest_configure"
    ]
    for fixture in fixtures:
        assert f"        - {fixture}\n" in page, fixture
