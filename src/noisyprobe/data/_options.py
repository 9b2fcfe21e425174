"""Validation of dataset options (they arrive from Python calls and from ``--option k=v``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from noisyprobe._options import as_bool, as_int, check_option_names
from noisyprobe.errors import NoisyProbeError

__all__ = [
    "SPLITS",
    "as_bool",
    "as_existing_path",
    "as_fraction",
    "as_fractions",
    "as_int",
    "as_names",
    "as_optional_int",
    "check_option_names",
    "split_name",
]

SPLITS = ("train", "val", "test")


def as_optional_int(value: Any, name: str, *, minimum: int | None = None) -> int | None:
    """``None`` (or ``"none"``/``"null"``/``""``) or an integer option.

    Example:
        >>> as_optional_int("none", "rnn_limit") is None
        True
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "null")):
        return None
    return as_int(value, name, minimum=minimum)


def as_fraction(value: Any, name: str, *, low: float = 0.0, high: float = 1.0) -> float:
    """A float option in ``[low, high)``.

    Example:
        >>> as_fraction("0.1", "val_fraction")
        0.1
    """
    try:
        number = float(value)
        if isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise NoisyProbeError(f"option {name}: expected a number, got {value!r}") from None
    if not low <= number < high:
        raise NoisyProbeError(f"option {name}: expected a number in [{low}, {high}), got {number}")
    return number


def as_fractions(value: Any, name: str = "fractions") -> tuple[float, float, float]:
    """Train/val/test fractions: three non-negative numbers summing to 1, train > 0.

    Accepts a sequence or a comma-separated string such as ``"0.7,0.1,0.2"``.

    Example:
        >>> as_fractions("0.8, 0.1, 0.1")
        (0.8, 0.1, 0.1)
    """
    parts: Sequence[Any] = value.split(",") if isinstance(value, str) else value
    try:
        numbers = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        numbers = ()
    expected = "three numbers train,val,test that are >= 0 and sum to 1, e.g. 0.7,0.1,0.2"
    if (
        len(numbers) != 3
        or any(not n >= 0 for n in numbers)
        or abs(sum(numbers) - 1.0) > 1e-6
        or numbers[0] <= 0
    ):
        raise NoisyProbeError(f"option {name}: expected {expected}; got {value!r}")
    return numbers  # type: ignore[return-value]


def as_names(value: Any, name: str) -> list[str]:
    """A list of distinct non-empty names, from a sequence or a comma-separated string.

    Example:
        >>> as_names("benign, malignant", "classes")
        ['benign', 'malignant']
    """
    parts = value.split(",") if isinstance(value, str) else value
    try:
        names = [str(p).strip() for p in parts]
    except TypeError:
        raise NoisyProbeError(f"option {name}: expected a list of names, got {value!r}") from None
    if not names or any(not n for n in names):
        raise NoisyProbeError(f"option {name}: expected non-empty names, got {value!r}")
    if len(set(names)) != len(names):
        raise NoisyProbeError(f"option {name}: names must be distinct, got {names}")
    return names


def as_existing_path(value: Any, name: str, *, kind: str = "any") -> Path:
    """A path option that must exist (``kind`` = ``"file"``, ``"dir"`` or ``"any"``).

    Example:
        >>> as_existing_path(".", "path", kind="dir").is_dir()
        True
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise NoisyProbeError(f"option {name}: a path is required")
    path = Path(os.path.expanduser(str(value)))
    if not path.exists():
        raise NoisyProbeError(f"option {name}: {path} does not exist")
    if kind == "file" and not path.is_file():
        raise NoisyProbeError(f"option {name}: {path} is not a file")
    if kind == "dir" and not path.is_dir():
        raise NoisyProbeError(f"option {name}: {path} is not a directory")
    return path


def split_name(value: Any) -> str | None:
    """Map a split label (``train``, ``val``/``valid``/``validation``, ``test``) to its name."""
    text = str(value).strip().lower()
    aliases = {"valid": "val", "validation": "val", "dev": "val"}
    text = aliases.get(text, text)
    return text if text in SPLITS else None
