"""``scripts/fix_roles.py``: Sphinx roles become links, ``>>>`` sessions render as code."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def load() -> Any:
    spec = importlib.util.spec_from_file_location("fix_roles", ROOT / "scripts" / "fix_roles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fix_roles = load()
KNOWN = {
    "botcopy_handover.Client",
    "botcopy_handover.Client.pause",
    "botcopy_handover.HandoverRequest",
    "botcopy_handover.testing.LoopbackServer",
    "botcopy_handover.testing.LoopbackServer.stop",
    "botcopy_handover.integrations.flask.WEBHOOK_METHODS",
}


def rewrite(source: str, module: str = "botcopy_handover.x") -> str:
    result: str = fix_roles.rewrite(source, KNOWN, module)
    return result


def test_a_role_to_a_rendered_object_becomes_a_link() -> None:
    assert rewrite('"""See :class:`~botcopy_handover.Client`."""\n') == (
        '"""See [`Client`][botcopy_handover.Client]."""\n'
    )
    assert rewrite('"""Call :meth:`Client.pause` first."""\n') == (
        '"""Call [`Client.pause`][botcopy_handover.Client.pause] first."""\n'
    )


def test_an_explicit_title_is_kept() -> None:
    assert rewrite('"""The :meth:`pause <botcopy_handover.Client.pause>` push."""\n') == (
        '"""The [`pause`][botcopy_handover.Client.pause] push."""\n'
    )


def test_a_bare_member_name_resolves_in_its_class_and_a_bare_name_in_its_module() -> None:
    source = 'class LoopbackServer:\n    """Stopped by :meth:`stop`."""\n'
    assert "[`stop`][botcopy_handover.testing.LoopbackServer.stop]" in rewrite(source)
    flask = rewrite(
        '"""Route it for :data:`WEBHOOK_METHODS`."""\n', "botcopy_handover.integrations.flask"
    )
    assert "[`WEBHOOK_METHODS`][botcopy_handover.integrations.flask.WEBHOOK_METHODS]" in flask


def test_a_role_to_an_object_without_a_page_becomes_plain_code() -> None:
    assert rewrite('"""Uses :mod:`._retry` and :func:`_helper`."""\n') == (
        '"""Uses `._retry` and `_helper`."""\n'
    )


def test_a_long_line_is_wrapped_at_the_indentation_an_entry_needs() -> None:
    source = (
        "def f():\n"
        '    """Do it.\n\n'
        "    Args:\n"
        "        request: The parsed request, a :class:`~botcopy_handover.HandoverRequest` "
        "for Step One.\n"
        '    """\n'
    )
    lines = rewrite(source).splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert lines[4].startswith("        request: The parsed request, a [`HandoverRequest`]")
    assert lines[5].startswith("            ")


def test_a_bare_session_goes_under_examples_and_example_becomes_examples() -> None:
    bare = 'class Pause:\n    """Pause.\n\n    >>> Pause().to_dict()\n    {}\n    """\n'
    assert rewrite(bare) == (
        'class Pause:\n    """Pause.\n\n'
        "    Examples:\n        >>> Pause().to_dict()\n        {}\n\n"
        '    """\n'
    )
    singular = (
        'def build():\n    """Build.\n\n    Example:\n        >>> build()\n        1\n    """\n'
    )
    assert "    Examples:\n        >>> build()" in rewrite(singular)


def test_an_indented_code_block_is_left_alone() -> None:
    source = '"""Views::\n\n    >>> view.texts\n    ()\n"""\n'
    assert rewrite(source) == source


def test_running_it_twice_changes_nothing() -> None:
    source = (
        'class LoopbackServer:\n    """Stopped by :meth:`stop`, see :class:`Client`.\n\n'
        '    >>> 1 + 1\n    2\n    """\n'
    )
    once = rewrite(source)
    assert rewrite(once) == once
