"""Argument helpers shared by the CLI commands."""

from __future__ import annotations

from collections.abc import Sequence
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


def parse_seeds(text: str) -> list[int]:
    """Parse ``"0-4"``, ``"0,2,5"`` or ``"3"`` into a sorted list of distinct seeds.

    Example:
        >>> parse_seeds("0-2,7")
        [0, 1, 2, 7]
    """
    seeds: set[int] = set()
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                lo, hi = part.split("-", 1) if not part.startswith("-") else (part, "")
                lo_i, hi_i = int(lo), int(hi)
                if hi_i < lo_i:
                    raise ValueError
                seeds.update(range(lo_i, hi_i + 1))
            else:
                seeds.add(int(part))
    except ValueError:
        raise NoisyProbeError(f"--seeds {text!r}: expected e.g. 0-4 or 0,1,2") from None
    if any(s < 0 for s in seeds):
        raise NoisyProbeError(f"--seeds {text!r}: seeds must be non-negative")
    return sorted(seeds)
