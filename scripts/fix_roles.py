"""Turn Sphinx roles in the package's docstrings into mkdocstrings cross-references.

    .venv/bin/python scripts/fix_roles.py            # rewrite botcopy_handover/ in place
    .venv/bin/python scripts/fix_roles.py --check    # list what it would change; exit 1 if any

A development tool, not shipped. mkdocs renders ``:class:`Client``` literally;
this rewrites it as ``[`Client`][botcopy_handover.Client]`` when the target is
an object the API reference renders (read from the built site's
``objects.inv``, so every link it writes resolves under ``mkdocs --strict``),
and as plain code (```Client```) when it is not (private helpers, modules
without a page). It also renames a Google-style ``Example:`` section whose
body is a ``>>>`` session to ``Examples:``, which mkdocstrings renders as
code rather than as nested quotes. Only docstring and comment text changes;
running it again changes nothing.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "botcopy_handover"
ROLE = re.compile(
    r":(?P<role>class|meth|func|attr|data|mod|exc|obj|const|py:\w+):`(?P<body>[^`]+)`"
)


def inventory(site: Path | None) -> set[str]:
    """The identifiers the built docs render (built into a temporary directory if not given)."""
    if site is None:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(  # noqa: S603 - the project's own mkdocs
                [str(ROOT / ".venv" / "bin" / "mkdocs"), "build", "--quiet", "--site-dir", tmp],
                cwd=ROOT,
                check=True,
                env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
            )
            return _read_inventory(Path(tmp) / "objects.inv")
    return _read_inventory(site / "objects.inv")


def _read_inventory(path: Path) -> set[str]:
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):  # four header lines, then the zlib-compressed entries
        header_end = data.index(b"\n", header_end) + 1
    entries = zlib.decompress(data[header_end:]).decode("utf-8").splitlines()
    return {line.split(" ", 1)[0] for line in entries if line.startswith("botcopy_handover")}


def _classes_by_line(source: str) -> list[tuple[int, int, str]]:
    """``(first line, last line, class name)`` of every class, to resolve bare member names."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
            spans.append((node.lineno, node.end_lineno, node.name))
    return spans


def resolve(target: str, enclosing: list[str], known: set[str]) -> str | None:
    """The rendered identifier ``target`` names, or ``None``."""
    target = target.lstrip(".")
    candidates = [target, f"botcopy_handover.{target}"]
    for scope in enclosing:  # a bare name: a member of the class, or of the module
        if scope.startswith("botcopy_handover"):
            # a private module's names are rendered under its public package: that first
            public = ".".join(part for part in scope.split(".") if not part.startswith("_"))
            candidates += [f"{public}.{target}", f"{scope}.{target}"]
        else:
            candidates += sorted(k + "." + target for k in known if k.endswith("." + scope))
    for candidate in candidates:
        if candidate in known:
            return candidate
    suffix = [k for k in known if k.endswith("." + target)]
    if len(suffix) == 1:
        return suffix[0]
    # The same object rendered twice (a re-export): prefer the shortest public path.
    if suffix and len({k.rsplit(".", 1)[-1] for k in suffix}) == 1:
        return min(suffix, key=lambda k: (k.count("."), k))
    return None


MAX_LINE = 100
"""ruff's line length: a link is longer than the role it replaces."""

ENTRY = re.compile(r"^\s*[\w.*]+(?: \([^)]*\))?: ")
"""An entry of a Google-style section (``name: text``, ``Error: text``)."""


def _wrap(line: str, following: str) -> list[str]:
    """``line`` split before ``MAX_LINE``, the rest continued at the indentation it needs."""
    indent = line[: len(line) - len(line.lstrip())]
    next_indent = following[: len(following) - len(following.lstrip())]
    if following.strip() and len(next_indent) > len(indent):
        carry = next_indent  # the entry already has continuation lines: align with them
    elif ENTRY.match(line):
        carry = indent + "    "  # a section entry continues one level deeper
    else:
        carry = indent
    body = line.rstrip("\n")
    parts = []
    while len(body) > MAX_LINE:
        cut = body.rfind(" ", len(carry) + 1, MAX_LINE + 1)
        if cut <= len(carry.rstrip()):
            break  # one unbreakable word: leave it long
        parts.append(body[:cut] + "\n")
        body = carry + body[cut + 1 :]
    parts.append(body + "\n")
    return parts


def _shown(body: str) -> str:
    """The text a role displays: its title, or its target (the last part with ``~``)."""
    title, sep, explicit = body.partition(" <")
    if sep and explicit.endswith(">"):
        return title
    return body[1:].rsplit(".", 1)[-1] if body.startswith("~") else body


def _sessions_as_examples(text: str) -> str:
    """Put each ``>>>`` session outside an ``Examples:`` section into one.

    Google-style docstrings render a bare ``>>>`` paragraph as nested quotes;
    under ``Examples:`` mkdocstrings renders it as code. doctest finds the
    session at any indentation, so it still runs.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        starts = line.lstrip().startswith(">>>") and i > 0 and not lines[i - 1].strip()
        previous = next((p for p in reversed(out) if p.strip()), "")
        before = previous.strip()
        indent = line[: len(line) - len(line.lstrip())]
        # Under a section already, or indented past its paragraph (a Markdown
        # code block already, as after "text::"): it renders as code as it is.
        as_code = len(indent) > len(previous) - len(previous.lstrip())
        if not starts or before in ("Examples:", "Example:") or as_code:
            out.append(line)
            i += 1
            continue
        out.append(f"{indent}Examples:\n")
        while i < len(lines) and lines[i].strip() and lines[i].strip() != '"""':
            out.append("    " + lines[i])
            i += 1
        if i < len(lines) and lines[i].strip() == '"""':
            out.append("\n")  # a blank line closes the last section (pydocstyle)
    return "".join(out)


def rewrite(source: str, known: set[str], module: str = "") -> str:
    """``source`` with its roles turned into links or code, and ``>>>`` examples fixed."""
    spans = _classes_by_line(source)
    lines = source.splitlines(keepends=True)
    out = []
    for number, line in enumerate(lines, start=1):
        enclosing = [name for first, last, name in sorted(spans) if first <= number <= last]
        enclosing.reverse()  # innermost first

        def replace(match: re.Match[str], enclosing: list[str] = enclosing) -> str:
            body = match["body"]
            _, sep, explicit = body.partition(" <")
            target = explicit[:-1] if sep and explicit.endswith(">") else body
            shown = _shown(body)
            identifier = resolve(target.lstrip("~"), [*enclosing, module], known)
            if identifier is None:
                return f"`{shown}`"
            return f"[`{shown}`][{identifier}]"

        new = ROLE.sub(replace, line)
        summary = new.lstrip().startswith(('"""', 'r"""'))
        if new != line and len(new.rstrip("\n")) > MAX_LINE and summary:
            # A docstring's summary stays one line (pydocstyle); a one-line
            # docstring can carry ruff's exemption, a longer one is reported.
            if new.rstrip().endswith('"""'):
                new = new.rstrip("\n") + "  # noqa: E501 - a link in the summary\n"
            else:  # the summary of a longer docstring: code, not a link, keeps it short
                new = ROLE.sub(lambda m: f"`{_shown(m['body'])}`", line)
            out.append(new)
        elif new != line and len(new.rstrip("\n")) > MAX_LINE:
            following = lines[number] if number < len(lines) else ""
            out.extend(_wrap(new, following))
        else:
            out.append(new)
    text = _sessions_as_examples("".join(out))
    return re.sub(
        r"^(?P<indent>[ \t]*)Example:(?P<end>[ \t]*\n(?:[ \t]*\n)*[ \t]*>>>)",
        r"\g<indent>Examples:\g<end>",
        text,
        flags=re.MULTILINE,
    )


def main() -> int:
    """Rewrite (or with ``--check``, list) every module of the package that has a role left."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    parser.add_argument("--site", type=Path, help="an already built site to read objects.inv from")
    args = parser.parse_args()
    known = inventory(args.site)
    changed = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        new = rewrite(source, known, module)
        if new != source:
            changed.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in changed:
        print(f"{'would rewrite' if args.check else 'rewrote'} {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
