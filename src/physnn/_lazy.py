"""Lazy exports for a package: names load from their modules on first use.

Keeps ``import physnn.<pkg>`` cheap (torch, Pythia, ASE load only when needed).
A package's ``__init__`` writes::

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"fit": "physnn.train.loop", ...})

    >>> getattr_, dir_, all_ = lazy_exports("demo", {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0), all_
    (3.0, ['sqrt'])
    >>> getattr_("nope")
    Traceback (most recent call last):
    ...
    AttributeError: module 'demo' has no attribute 'nope'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: dict[str, str], extra: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Return ``(__getattr__, __dir__, __all__)`` for ``package`` exporting ``table``'s names.

    ``table`` maps each exported name to the module that defines it (absolute,
    e.g. ``"physnn.train.loop"``); ``extra`` lists names defined eagerly in the
    package itself, for ``__all__``.
    """
    names = [*extra, *table]

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        return sorted(names)

    return __getattr__, __dir__, names
