"""Validation of backbone options (from Python calls and from ``--backbone-option k=v``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from noisyprobe.errors import NoisyProbeError


def check_option_names(factory: Callable[..., Any], options: dict[str, Any], where: str) -> None:
    """Refuse options that ``factory`` does not take, naming the ones it does.

    Example:
        >>> def make(*, batch_size=32): ...
        >>> check_option_names(make, {"batch_size": 8}, "backbone 'x'")
    """
    params = inspect.signature(factory).parameters
    allowed = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        known = ", ".join(allowed) or "none"
        raise NoisyProbeError(f"{where} has no option {unknown[0]!r}; expected one of: {known}")


def as_int(value: Any, name: str, *, minimum: int = 1, allow_none: bool = False) -> int | None:
    """An integer option >= ``minimum``; strings such as ``"8"`` are accepted.

    Example:
        >>> as_int("8", "batch_size")
        8
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool):
        raise NoisyProbeError(f"option {name}: expected an integer, got {value!r}")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
        if not isinstance(value, str) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        raise NoisyProbeError(f"option {name}: expected an integer, got {value!r}") from None
    if number < minimum:
        raise NoisyProbeError(f"option {name}: expected an integer >= {minimum}, got {number}")
    return number


def as_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """One of ``choices`` (case-sensitive).

    Example:
        >>> as_choice("mean", "pooling", ["cls", "mean"])
        'mean'
    """
    if value not in choices:
        raise NoisyProbeError(
            f"option {name}: expected one of {', '.join(map(repr, choices))}, got {value!r}"
        )
    return str(value)


def as_bool(value: Any, name: str) -> bool:
    """A boolean option; ``"true"/"false"/"1"/"0"/"yes"/"no"`` strings are accepted.

    Example:
        >>> as_bool("false", "normalize")
        False
    """
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise NoisyProbeError(f"option {name}: expected true or false, got {value!r}")
