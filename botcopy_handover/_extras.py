"""Optional extras: one clear line, not a traceback, when one is missing.

A module that needs an extra imports its third-party names as::

    try:
        from fastapi import APIRouter
    except ImportError as _missing:
        raise missing_extra("fastapi", "botcopy_handover.integrations.fastapi", _missing) from None

and code that needs an extra only at run time (the emulator, the pytest
fixtures) calls ``require_extra("testing", "uvicorn", "starlette", feature=...)``.
"""

from __future__ import annotations

import importlib

from botcopy_handover._errors import MissingDependencyError

__all__ = ["install_hint", "missing_extra", "require_extra"]


def install_hint(extra: str) -> str:
    """The command that installs ``extra``: ``pip install "botcopy-handover[extra]"``."""
    return f'pip install "botcopy-handover[{extra}]"'


def missing_extra(extra: str, feature: str, exc: ImportError) -> MissingDependencyError:
    """The error to raise when ``feature`` could not import a module of ``extra``."""
    module = exc.name or "a module"
    return MissingDependencyError(
        f"{feature} needs the {extra!r} extra ({module} is not installed): {install_hint(extra)}",
        extra=extra,
        module=exc.name,
    )


def require_extra(extra: str, *modules: str, feature: str) -> None:
    """Import each of ``modules``, or raise the one-line `MissingDependencyError` for ``extra``."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            if exc.name is None:
                exc.name = module
            raise missing_extra(extra, feature, exc) from None
