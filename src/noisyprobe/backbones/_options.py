"""Validation of backbone options (from Python calls and from ``--backbone-option k=v``).

The checks are the shared ones of :mod:`noisyprobe._options`; backbone integers default to
a minimum of 1 (batch sizes, lengths) and may allow ``None``.
"""

from __future__ import annotations

from typing import Any

from noisyprobe._options import as_bool, as_choice, check_option_names
from noisyprobe._options import as_int as _as_int

__all__ = ["as_bool", "as_choice", "as_int", "check_option_names"]


def as_int(value: Any, name: str, *, minimum: int = 1, allow_none: bool = False) -> int | None:
    """An integer option >= ``minimum``; strings such as ``"8"`` are accepted.

    Example:
        >>> as_int("8", "batch_size")
        8
    """
    if value is None and allow_none:
        return None
    return _as_int(value, name, minimum=minimum)
