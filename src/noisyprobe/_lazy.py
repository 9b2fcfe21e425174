"""Lazy public names of a package: submodules load on first attribute access.

Keeps ``import noisyprobe.<package>`` light (no torch, pandas or scipy until a name is used).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, names: Mapping[str, str], namespace: Mapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``names`` (public name -> submodule).

    Example:
        >>> getattr_, dir_ = lazy_exports("noisyprobe.bench", {"nemenyi_cd": "stats"}, {})
        >>> round(getattr_("nemenyi_cd")(8, 150), 3), dir_()
        (0.857, ['nemenyi_cd'])
    """

    def __getattr__(name: str) -> Any:
        if name in names:
            module = importlib.import_module(f"{package}.{names[name]}")
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
