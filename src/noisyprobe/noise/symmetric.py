"""Symmetric (uniform) label noise, in its two conventions.

``symmetric`` moves a corrupted label to a uniformly drawn *other* class, so the realized
rate is r. ``symmetric-inclusive`` re-draws it uniformly over *all* classes, as NMTune's and
ELR's code do, so a re-drawn label keeps its class with probability 1/C and the realized
rate is about r(C-1)/C. With ``exact`` counting, exactly round(rN) samples are *selected*;
for the inclusive kind the number that actually change is then random.
"""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise.base import register_kind, select


@register_kind("symmetric", convention="with probability r, to a uniformly drawn other class")
def symmetric(
    y: np.ndarray, *, num_classes: int, rate: float, rng: np.random.Generator, counting: str
) -> np.ndarray:
    """Move each selected label to one of the C-1 other classes, uniformly.

    Example:
        >>> import numpy as np
        >>> y = np.zeros(10, dtype=np.int64)
        >>> new = symmetric(y, num_classes=3, rate=0.5, rng=np.random.default_rng(0),
        ...                 counting="exact")
        >>> int((new != y).sum())
        5
    """
    mask = select(y.size, rate, counting, rng)
    if mask.any() and num_classes < 2:
        raise NoisyProbeError("symmetric noise needs at least 2 classes")
    new = y.copy()
    new[mask] = (y[mask] + rng.integers(1, max(num_classes, 2), size=int(mask.sum()))) % num_classes
    return new


@register_kind(
    "symmetric-inclusive",
    convention="with probability r, re-drawn uniformly over all classes (may keep its class)",
)
def symmetric_inclusive(
    y: np.ndarray, *, num_classes: int, rate: float, rng: np.random.Generator, counting: str
) -> np.ndarray:
    """Re-draw each selected label uniformly over all C classes (NMTune/ELR convention).

    Example:
        >>> import numpy as np
        >>> y = np.zeros(1000, dtype=np.int64)
        >>> new = symmetric_inclusive(y, num_classes=2, rate=1.0,
        ...                           rng=np.random.default_rng(0), counting="exact")
        >>> 400 < int((new != y).sum()) < 600
        True
    """
    mask = select(y.size, rate, counting, rng)
    new = y.copy()
    new[mask] = rng.integers(0, num_classes, size=int(mask.sum()))
    return new
