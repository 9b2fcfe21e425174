"""Argument helpers shared by the CLI commands."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from noisyprobe.errors import NoisyProbeError


def parse_key_values(pairs: Sequence[str] | None, *, flag: str = "--option") -> dict[str, Any]:
    """Turn ``["k=v", ...]`` into a dict, reading values as YAML scalars (``3``, ``0.1``, ``true``).

    Example:
        >>> parse_key_values(["q=0.7", "name=abc", "flag=true"])
        {'q': 0.7, 'name': 'abc', 'flag': True}
    """
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise NoisyProbeError(f"{flag} {pair!r}: expected KEY=VALUE")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        out[key.strip().replace("-", "_")] = value
    return out


MAX_SEEDS = 10_000
"""Most distinct seeds one command or grid may name (each seed is a full training run)."""
MAX_SEED = 2**32 - 1
"""Largest seed value (numpy's seed range)."""


def parse_seeds(text: str, *, flag: str = "--seeds") -> list[int]:
    """Parse ``"0-4"``, ``"0,2,5"`` or ``"3"`` into a sorted list of distinct seeds.

    Ranges are checked before they are expanded: at most :data:`MAX_SEEDS` seeds, each
    in ``[0, MAX_SEED]``.

    Example:
        >>> parse_seeds("0-2,7")
        [0, 1, 2, 7]
    """
    seeds: set[int] = set()
    try:
        for part in str(text).split(","):
            part = part.strip()
            if "-" in part[1:]:
                lo, hi = part.split("-", 1) if not part.startswith("-") else (part, "")
                lo_i, hi_i = int(lo), int(hi)
                if hi_i < lo_i:
                    raise ValueError
                check_seeds([lo_i, hi_i], hi_i - lo_i + 1 + len(seeds), what=f"{flag} {text!r}")
                seeds.update(range(lo_i, hi_i + 1))
            else:
                seeds.add(int(part))
    except ValueError:
        raise NoisyProbeError(f"{flag} {text!r}: expected e.g. 0-4 or 0,1,2") from None
    check_seeds(seeds, len(seeds), what=f"{flag} {text!r}")
    return sorted(seeds)


def check_seeds(values, count: int, *, what: str) -> None:
    """Raise unless ``count`` seeds fit :data:`MAX_SEEDS` and every value is in range.

    Example:
        >>> check_seeds([0, 4], 5, what="seeds")
        >>> check_seeds([0, 10**9], 10**9 + 1, what="seeds")
        Traceback (most recent call last):
        noisyprobe.errors.NoisyProbeError: seeds: 1000000001 seeds, at most 10000 allowed ...
    """
    if count > MAX_SEEDS:
        raise NoisyProbeError(
            f"{what}: {count} seeds, at most {MAX_SEEDS} allowed (each seed is a training run)"
        )
    bad = [s for s in values if not 0 <= s <= MAX_SEED]
    if bad:
        raise NoisyProbeError(f"{what}: seed {bad[0]} out of range; expected 0..{MAX_SEED}")


def check_rate(value: object, *, what: str = "--rate") -> float:
    """The one noise-rate validator of the CLI and the grid spec: a number in ``[0, 1)``.

    Example:
        >>> check_rate(0.2)
        0.2
        >>> check_rate(1.0)
        Traceback (most recent call last):
        noisyprobe.errors.NoisyProbeError: --rate: expected a noise rate in [0, 1), got 1.0
    """
    import math

    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not 0.0 <= float(value) < 1.0:
        raise NoisyProbeError(f"{what}: expected a noise rate in [0, 1), got {value!r}")
    return float(value)


def parse_inverse_strength(text: str, *, flag: str = "--C") -> float | str | None:
    """An L2 ``C`` from the command line: a number > 0, ``cv`` or ``none`` (no penalty).

    Example:
        >>> parse_inverse_strength("0.5"), parse_inverse_strength("none")
        (0.5, None)
        >>> parse_inverse_strength("0")
        Traceback (most recent call last):
        noisyprobe.errors.NoisyProbeError: --C: expected a number > 0, cv, auto or none, got '0'
    """
    import math

    word = text.strip().lower()
    if word == "none":
        return None
    if word in ("cv", "auto"):
        return word
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise NoisyProbeError(f"{flag}: expected a number > 0, cv, auto or none, got {text!r}")
    return value


def check_output_file(path: str | os.PathLike[str], *, flag: str = "--out") -> Path:
    """Check, before any work, that ``path`` can be written as a file.

    Example:
        >>> import tempfile
        >>> check_output_file(tempfile.mkdtemp())
        Traceback (most recent call last):
        noisyprobe.errors.NoisyProbeError: --out ...: is a directory; expected a file path
    """
    path = Path(path)
    if path.is_dir():
        raise NoisyProbeError(f"{flag} {path}: is a directory; expected a file path")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise NoisyProbeError(f"{flag} {path}: {parent} is not a directory")
    import tempfile

    try:  # a real probe: os.access says yes to root on a read-only file system
        fd, probe = tempfile.mkstemp(prefix=".noisyprobe-probe-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise NoisyProbeError(f"{flag} {path}: cannot write in {parent} ({exc.strerror})") from None
    return path
