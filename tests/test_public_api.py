"""The public face: every exported name is documented, and the root stays lazy and small.

tests/test_exported_members.py checks each package's ``__all__`` against its
namespace, both ways.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import typing

import pytest

import botcopy_handover
from tests.test_exported_members import PACKAGES


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_has_a_docstring(package: str) -> None:
    module = importlib.import_module(package)
    undocumented = []
    for name in module.__all__:
        obj = getattr(module, name)
        # A type alias such as ``Callable[[], datetime]`` is no class to document,
        # though Python 3.10's inspect.isclass says it is one.
        if typing.get_origin(obj) is not None:
            continue
        if name.startswith("__") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if not inspect.getdoc(obj):
            undocumented.append(name)
    assert undocumented == []


@pytest.mark.parametrize("package", PACKAGES)
def test_public_methods_and_properties_have_docstrings(package: str) -> None:
    module = importlib.import_module(package)
    undocumented = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not inspect.isclass(obj) or obj.__module__.startswith("typing"):
            continue
        for attr, value in vars(obj).items():
            if attr.startswith(("_", "model_")):
                continue
            is_member = inspect.isfunction(value) or isinstance(value, (property, classmethod))
            if is_member and not inspect.getdoc(value):
                undocumented.append(f"{name}.{attr}")
    assert undocumented == []


def test_version_is_a_string() -> None:
    assert isinstance(botcopy_handover.__version__, str)
    assert botcopy_handover.__version__.count(".") == 2


@pytest.mark.parametrize("package", PACKAGES)
def test_every_error_derives_from_the_one_base(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, botcopy_handover.BotcopyError), name


def test_type_aliases_are_unions() -> None:
    for alias in (botcopy_handover.Reply, botcopy_handover.PushEvent):
        assert typing.get_args(alias)


def test_the_lazy_table_and_the_static_imports_name_the_same_sources() -> None:
    # Type checkers read the imports under TYPE_CHECKING; the runtime reads
    # _SOURCES. They must agree, name for name and module for module.
    import ast
    from pathlib import Path

    tree = ast.parse(Path(botcopy_handover.__file__).read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If))
    static = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert static == botcopy_handover._SOURCES


def test_every_lazy_name_is_public_and_every_public_name_is_importable() -> None:
    assert set(botcopy_handover._SOURCES) == set(botcopy_handover.__all__) - {"__version__"}
    assert set(botcopy_handover.__all__) <= set(dir(botcopy_handover))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        botcopy_handover.no_such_name  # type: ignore[attr-defined]  # noqa: B018


def test_the_bare_import_loads_no_asyncio_no_redis_no_framework_and_no_push_client() -> None:
    code = (
        "import sys, botcopy_handover; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {"
        "'asyncio', 'redis', 'starlette', 'fastapi', 'flask', 'django', 'aiohttp', "
        "'uvicorn', 'httpx'} or m.startswith('botcopy_handover.'))))"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()

    assert loaded == ["botcopy_handover._lazy", "botcopy_handover._version"]


def test_receiving_webhooks_loads_no_redis_no_framework_and_no_push_client() -> None:
    code = (
        "import sys; from botcopy_handover import parse_webhook, Webhook, Pause; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {"
        "'redis', 'starlette', 'fastapi', 'flask', 'django', 'aiohttp', 'uvicorn'} "
        "or m.startswith('botcopy_handover.client'))))"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()

    assert loaded == []


def test_verifying_and_parsing_webhooks_loads_no_asyncio_and_no_serving_side() -> None:
    code = (
        "import sys; from botcopy_handover import parse_webhook, Webhook, Pause; "
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {'asyncio', 'httpx'} "
        "or m in {'concurrent.futures', 'botcopy_handover.state', "
        "'botcopy_handover.webhook._endpoint', 'botcopy_handover.webhook._guard'})))"
    )
    loaded = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()

    assert loaded == []
