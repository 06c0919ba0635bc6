"""The built site reads well: cross-references are links, not Sphinx roles; ``>>>`` is code."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Built with the dev environment's mkdocs whichever Python runs the suite.
pytestmark = pytest.mark.python_independent
ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj|const):`")
LITERAL_ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj|const):(?:`|<code>)")


def _mkdocs_python() -> str:
    """An interpreter with mkdocs: this one, or the dev environment `make` builds.

    `make test` runs the suite on each Python in an environment without the
    docs tools (`.[all,test]`); the site is built with the dev environment's.
    """
    if importlib.util.find_spec("mkdocs") is not None:
        return sys.executable
    dev = ROOT / ".venv" / "bin" / "python"
    if not dev.exists():
        pytest.skip("mkdocs is not installed here (the dev extra), nor in .venv")
    return str(dev)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    subprocess.run(  # noqa: S603 - the project's own mkdocs
        [_mkdocs_python(), "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        check=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return out


def test_no_docstring_uses_a_sphinx_role() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "botcopy_handover").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ROLE.search(line)
    ]
    assert found == []


def test_the_built_site_has_no_literal_roles(site: Path) -> None:
    found = {
        str(page.relative_to(site)): len(LITERAL_ROLE.findall(page.read_text(encoding="utf-8")))
        for page in site.rglob("*.html")
    }
    assert {page: count for page, count in found.items() if count} == {}


def test_doctest_sessions_render_as_code_not_quotes(site: Path) -> None:
    quoted = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if re.search(
            r"<blockquote>\s*<blockquote>\s*<blockquote>", page.read_text(encoding="utf-8")
        )
    ]
    assert quoted == []


def test_the_api_reference_links_its_cross_references(site: Path) -> None:
    page = (site / "reference" / "index.html").read_text(encoding="utf-8")
    assert 'href="#botcopy_handover.Client"' in page
