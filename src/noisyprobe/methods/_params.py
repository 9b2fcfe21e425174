"""Validation of method hyperparameters: one-line NoisyProbeError messages naming the field."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from noisyprobe.errors import NoisyProbeError


def check_float(
    method: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number within [low, high] (bounds open when asked).

    Example:
        >>> check_float("gce", "q", 0.7, low=0, high=1, low_open=True)
        0.7
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise NoisyProbeError(f"{method}: {name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise NoisyProbeError(f"{method}: {name} must be finite, got {value!r}")
    lo_bad = low is not None and (v <= low if low_open else v < low)
    hi_bad = high is not None and (v >= high if high_open else v > high)
    if lo_bad or hi_bad:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        interval = f"{left}{lo}, {hi}{right}"
        raise NoisyProbeError(f"{method}: {name} must be in {interval}, got {value!r}")
    return v


def check_int(method: str, name: str, value: Any, *, low: int | None = None) -> int:
    """An integer (not a bool) of at least ``low``.

    Example:
        >>> check_int("coteaching", "num_gradual", 10, low=1)
        10
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise NoisyProbeError(f"{method}: {name} must be an integer, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise NoisyProbeError(f"{method}: {name} must be >= {low}, got {value!r}")
    return v


def check_optional_int(method: str, name: str, value: Any, *, low: int | None = None) -> int | None:
    return None if value is None else check_int(method, name, value, low=low)


def check_choice(method: str, name: str, value: Any, choices: Sequence[str]) -> str:
    """One of a fixed set of strings.

    Example:
        >>> check_choice("cufit", "head", "mlp", ("linear", "mlp"))
        'mlp'
    """
    if value not in choices:
        raise NoisyProbeError(
            f"{method}: {name} must be one of {', '.join(choices)}; got {value!r}"
        )
    return str(value)


def check_bool(method: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise NoisyProbeError(f"{method}: {name} must be true or false, got {value!r}")
    return value
