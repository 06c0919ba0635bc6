"""Names a package imports on first use (PEP 562), written once for every lazy package.

A package lists where each lazy name lives and calls `install` from its
``__init__.py``; the first look-up of a name imports its module and binds the
name in the package, so later look-ups are plain attribute reads. Keeping a
package's heavy names lazy is what lets ``import botcopy_handover`` load neither
asyncio, redis-py nor a web framework.

The ``__getattr__`` is set at run time, so type checkers never see it: for
them a misspelt name is an error, not ``Any`` (they read the package's
``if TYPE_CHECKING:`` imports instead).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["install"]


def install(namespace: dict[str, Any], sources: Mapping[str, str]) -> None:
    """Give the package whose globals are ``namespace`` a lazy ``__getattr__`` and a ``__dir__``.

    Args:
        namespace: The package's ``globals()``; it must define ``__all__``.
        sources: Each lazy name and the module it is imported from.

    """
    package: str = namespace["__name__"]

    def load(name: str) -> object:
        module = sources.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    def listing() -> list[str]:
        return sorted({*namespace, *namespace["__all__"]})

    hooks: dict[str, Callable[..., object]] = {"__getattr__": load, "__dir__": listing}
    namespace.update(hooks)
