"""Validation of user options shared by datasets, backbones and noise kinds.

Options arrive from Python calls and from ``--option k=v`` / ``--backbone-option k=v``
strings, so each check accepts the string form and names the option in its one-line error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from noisyprobe.errors import NoisyProbeError


def check_option_names(func: Callable[..., Any], options: dict[str, Any], where: str) -> None:
    """Refuse options that ``func`` does not take as keywords, naming the ones it does.

    Example:
        >>> def load(*, path=None, seed=0): ...
        >>> check_option_names(load, {"seed": 1}, "dataset 'x'")
    """
    params = inspect.signature(func).parameters
    allowed = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        known = ", ".join(allowed) or "none"
        raise NoisyProbeError(f"{where} has no option {unknown[0]!r}; expected one of: {known}")


def as_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """An integer option (bools and floats with a fraction are refused).

    Example:
        >>> as_int("8", "num_classes", minimum=2)
        8
    """
    if isinstance(value, bool):
        raise NoisyProbeError(f"option {name}: expected an integer, got {value!r}")
    try:
        number = int(value.strip()) if isinstance(value, str) else int(value)
        if not isinstance(value, str) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        raise NoisyProbeError(f"option {name}: expected an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
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
    """A boolean option; ``"true"/"false"/"1"/"0"/"yes"/"no"/"on"/"off"`` are accepted.

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
