"""The public face: everything in __all__ exists, is documented, and nothing private leaks."""

from __future__ import annotations

import inspect
import typing

import botcopy_handover
import botcopy_handover.models


def test_all_names_exist() -> None:
    for name in botcopy_handover.__all__:
        assert hasattr(botcopy_handover, name), name


def test_all_has_no_duplicates() -> None:
    assert len(botcopy_handover.__all__) == len(set(botcopy_handover.__all__))


def test_every_public_name_has_a_docstring() -> None:
    undocumented = []
    for module in (botcopy_handover, botcopy_handover.models):
        for name in module.__all__:
            obj = getattr(module, name)
            if name.startswith("__") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if not inspect.getdoc(obj):
                undocumented.append(name)
    assert undocumented == []


def test_public_methods_and_properties_have_docstrings() -> None:
    undocumented = []
    for name in botcopy_handover.__all__:
        obj = getattr(botcopy_handover, name)
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


def test_every_error_derives_from_the_one_base() -> None:
    for name in botcopy_handover.__all__:
        obj = getattr(botcopy_handover, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, botcopy_handover.BotcopyError), name


def test_type_aliases_are_unions() -> None:
    for alias in (botcopy_handover.Reply, botcopy_handover.PushEvent):
        assert typing.get_args(alias)
