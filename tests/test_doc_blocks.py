"""Every Python block in README.md and docs/ runs as it stands, or is marked as a fragment.

The convention: a block that is only a piece of a program (it uses names
defined elsewhere, needs a live service, or serves forever) is preceded by
an HTML comment on the line just before its fence, which Markdown does not
render::

    <!-- fragment: uses the app from the block above -->
    ```python
    ...
    ```

A block that only includes a file of ``examples/`` (``--8<-- "examples/x.py"``)
is covered by ``tests/test_examples.py``. Every other ```` ```python ````
block is run by this test in a fresh interpreter in an empty directory: a
block that defines ``test_`` functions runs under pytest (with the project's
fixtures), any other one as a script.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAGMENT = re.compile(r"^<!-- fragment: \S.* -->$")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>\w*)\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    code: str
    fragment: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def python_blocks(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        if fence["lang"] not in ("python", "py"):
            continue
        before = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
        code = textwrap.dedent("\n".join(body)) + "\n"
        blocks.append(Block(path, start + 1, code, bool(FRAGMENT.match(before))))
    return blocks


ALL = [block for path in markdown_files() for block in python_blocks(path)]
SNIPPET = re.compile(r'^--8<-- "(?P<file>examples/[^"]+\.py)"\n$')
"""A block that includes a file of examples/: tests/test_examples.py runs those."""
RUNNABLE = [block for block in ALL if not block.fragment and not SNIPPET.match(block.code)]


def test_included_examples_exist() -> None:
    for block in ALL:
        if match := SNIPPET.match(block.code):
            assert (ROOT / match["file"]).is_file(), block.id


def test_there_are_python_blocks_and_some_run() -> None:
    assert len(ALL) > 10
    assert RUNNABLE


def test_every_fragment_marker_sits_right_before_a_python_block() -> None:
    misplaced = []
    for path in markdown_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if line.strip().startswith("<!-- fragment"):
                following = lines[number + 1] if number + 1 < len(lines) else ""
                if not FRAGMENT.match(line.strip()) or not re.match(
                    r"^\s*```py(thon)?\s*$", following
                ):
                    misplaced.append(f"{path.relative_to(ROOT)}:{number + 1}")
    assert misplaced == []


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_block_runs_as_it_stands(block: Block, tmp_path: Path) -> None:
    if re.search(r"^def test_", block.code, re.MULTILINE):
        script = tmp_path / "test_block.py"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
    else:
        script = tmp_path / "block.py"
        command = [sys.executable, str(script)]
    script.write_text(block.code, encoding="utf-8")
    # The configuration every proxy in the docs reads from its environment;
    # nothing listens at that address, and no block pushes while it runs.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCOPY_")}
    env.update(
        BOTCOPY_ACCESS_TOKEN="doc-block-access-token",
        BOTCOPY_API_KEY="doc-block-api-key",
        BOTCOPY_BASE_URL="http://127.0.0.1:9",
    )
    result = subprocess.run(  # noqa: S603 - the docs' own code
        command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert result.returncode == 0, f"{block.id}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
