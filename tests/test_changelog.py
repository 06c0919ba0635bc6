"""CHANGELOG.md follows Keep a Changelog."""

from __future__ import annotations

import re
from pathlib import Path

CHANGELOG = (Path(__file__).parent.parent / "CHANGELOG.md").read_text(encoding="utf-8")
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_has_an_unreleased_section_first() -> None:
    releases = re.findall(r"^## \[(.+?)\]", CHANGELOG, flags=re.MULTILINE)
    assert releases
    assert releases[0] == "Unreleased"


def test_releases_are_versions_with_dates() -> None:
    for line in re.findall(r"^## .*$", CHANGELOG, flags=re.MULTILINE):
        assert re.fullmatch(r"## \[(Unreleased|\d+\.\d+\.\d+)\]( - \d{4}-\d{2}-\d{2})?", line), line


def test_change_groups_are_the_standard_ones() -> None:
    groups = re.findall(r"^### (.+)$", CHANGELOG, flags=re.MULTILINE)
    assert groups
    assert set(groups) <= SECTIONS


def test_every_entry_is_a_list_item_under_a_group() -> None:
    current_group = None
    for line in CHANGELOG.splitlines():
        if line.startswith("## "):
            current_group = None
        elif line.startswith("### "):
            current_group = line
        elif line.startswith("- "):
            assert current_group is not None, line
