"""Every public package's ``__all__`` and namespace agree, both ways (as httpx checks its own).

A package's public attributes are the names not starting with ``_`` that are
not its own submodules. Each must be in ``__all__``, and each name in
``__all__`` must be there; so an import helper (``Any``, ``TYPE_CHECKING``,
``annotations``, ``os``) left in a package's namespace fails here as a name
nobody exported.
"""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing

import pytest
import typing_extensions

import botcopy_handover

_TYPING_NAMES = frozenset(typing.__all__) | frozenset(typing_extensions.__all__) | {"annotations"}


def _public_packages() -> list[str]:
    found = ["botcopy_handover"]
    for info in pkgutil.walk_packages(botcopy_handover.__path__, "botcopy_handover."):
        parts = info.name.split(".")
        if info.ispkg and not any(part.startswith("_") for part in parts):
            found.append(info.name)
    return found


PACKAGES = _public_packages()


def _load(name: str) -> types.ModuleType:
    module = importlib.import_module(name)
    for exported in module.__all__:  # lazy packages bind their names on first use
        getattr(module, exported)
    return module


def _is_own_submodule(module: types.ModuleType, name: str, value: object) -> bool:
    return isinstance(value, types.ModuleType) and value.__name__ == f"{module.__name__}.{name}"


def test_the_walk_finds_every_public_package() -> None:
    # If a package is renamed, this list changes on purpose, not by accident.
    assert sorted(PACKAGES) == [
        "botcopy_handover",
        "botcopy_handover.cli",
        "botcopy_handover.client",
        "botcopy_handover.console",
        "botcopy_handover.integrations",
        "botcopy_handover.models",
        "botcopy_handover.models.dialogflow",
        "botcopy_handover.outbox",
        "botcopy_handover.state",
        "botcopy_handover.testing",
        "botcopy_handover.testing.emulator",
        "botcopy_handover.webhook",
    ]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_listed_name_is_present(name: str) -> None:
    module = importlib.import_module(name)
    missing = [exported for exported in module.__all__ if not hasattr(module, exported)]
    assert missing == []
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_attribute_is_listed(name: str) -> None:
    module = _load(name)
    unlisted = [
        attr
        for attr, value in vars(module).items()
        if attr.isidentifier()  # pytest's assertion rewriting adds "@py_builtins"
        and not attr.startswith("_")
        and not _is_own_submodule(module, attr, value)
        and attr not in module.__all__
    ]
    assert unlisted == []


@pytest.mark.parametrize("name", PACKAGES)
def test_no_typing_helper_leaks_into_the_namespace(name: str) -> None:
    module = _load(name)
    leaked = sorted(_TYPING_NAMES & {*vars(module), *module.__all__})
    assert leaked == []


@pytest.mark.parametrize("name", PACKAGES)
def test_no_foreign_module_sits_in_the_namespace(name: str) -> None:
    module = _load(name)
    foreign = [
        attr
        for attr, value in vars(module).items()
        if attr.isidentifier()
        and not attr.startswith("__")
        and isinstance(value, types.ModuleType)
        and not value.__name__.startswith(f"{module.__name__}.")
        and attr != "_typing"  # the lazy packages' one alias, private by name
    ]
    assert foreign == []


@pytest.mark.parametrize("name", PACKAGES)
def test_dir_lists_every_exported_name(name: str) -> None:
    module = importlib.import_module(name)
    assert set(module.__all__) <= set(dir(module))


# The machinery that left the root, and where it lives now (see CHANGELOG.md).
MOVED = {
    "botcopy_handover.webhook": [
        "WebhookEndpoint",
        "WebhookResponse",
        "ASGIApp",
        "WSGIApp",
        "HandlerError",
        "LengthRequiredError",
        "MethodNotAllowedError",
        "UnsupportedMediaTypeError",
    ],
    "botcopy_handover.client": [
        "PushResult",
        "RetryPolicy",
        "RedactingFilter",
        "TypingKeepalive",
        "AsyncTypingKeepalive",
    ],
    "botcopy_handover.state": [
        "ConversationState",
        "ConversationStore",
        "AsyncConversationStore",
        "ExpiryWatcher",
        "AsyncExpiryWatcher",
        "ExpiryNotice",
        "Deduplicator",
        "AsyncDeduplicator",
        "body_fingerprint",
    ],
    "botcopy_handover.outbox": [
        "OutboxFailure",
        "OutboxReceipt",
        "OutboxError",
        "ChatEndedError",
        "DeliveryExpiredError",
        "PushInterruptedError",
    ],
    "botcopy_handover.models": ["parse_reply", "parse_push_event", "DEFAULT_MINUTES_PAUSED"],
    "botcopy_handover.testing": ["EmulatorTimeoutError"],
}


@pytest.mark.parametrize(("home", "names"), MOVED.items())
def test_the_machinery_lives_in_its_subpackage_not_at_the_root(home: str, names: list[str]) -> None:
    module = importlib.import_module(home)
    assert [n for n in names if n not in module.__all__] == []
    assert [n for n in names if n in botcopy_handover.__all__] == []
    for moved in names:
        with pytest.raises(AttributeError):
            getattr(botcopy_handover, moved)


def test_every_dialogflow_message_kind_is_importable_from_the_root_to_match_on() -> None:
    members = typing.get_args(botcopy_handover.DialogflowMessage)
    assert {member.__name__ for member in members} == {
        "TextMessage",
        "QuickRepliesMessage",
        "CardMessage",
        "PayloadMessage",
        "UnknownMessage",
    }
    for member in members:
        assert getattr(botcopy_handover, member.__name__) is member
        assert member.__name__ in botcopy_handover.__all__


def test_no_two_public_objects_share_a_name_across_packages() -> None:
    # The client's Conversation and the emulator's were two classes of one name.
    homes: dict[str, dict[int, str]] = {}
    for package in PACKAGES:
        module = _load(package)
        for exported in module.__all__:
            homes.setdefault(exported, {})[id(getattr(module, exported))] = package
    clashes = {name: sorted(found.values()) for name, found in homes.items() if len(found) > 1}
    assert clashes == {}
