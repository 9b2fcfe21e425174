"""Asymmetric (pair) label noise: a corrupted label y becomes map(y).

The default map is y -> (y + 1) mod C (Co-Teaching's pair flipping); a dataset can pass its
own map of confusable classes. Classes that map to themselves never change and are not
counted as eligible, so ``exact`` counting selects round(r * N_eligible) samples and each
eligible class flips at rate r.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise.base import register_kind, select


def pair_map_array(pair_map: object, num_classes: int) -> np.ndarray:
    """Turn ``None`` (y -> y+1 mod C), a dict {src: dst} or an array of length C into an array.

    Example:
        >>> pair_map_array({0: 2}, 3).tolist()
        [2, 1, 2]
    """
    if pair_map is None:
        return (np.arange(num_classes) + 1) % num_classes
    if isinstance(pair_map, Mapping):
        out = np.arange(num_classes)
        for src, dst in pair_map.items():
            for name, value in (("source", src), ("target", dst)):
                if not isinstance(value, (int, np.integer)) or not 0 <= value < num_classes:
                    raise NoisyProbeError(
                        f"pair_map {name} class {value!r} must be an integer in [0, {num_classes})"
                    )
            out[int(src)] = int(dst)
        return out
    arr = np.asarray(pair_map)
    if arr.shape != (num_classes,) or not np.issubdtype(arr.dtype, np.integer):
        raise NoisyProbeError(
            f"pair_map must be a dict {{source: target}} or an integer array of length "
            f"{num_classes}, got shape {arr.shape} and dtype {arr.dtype}"
        )
    if arr.min() < 0 or arr.max() >= num_classes:
        raise NoisyProbeError(f"pair_map targets must lie in [0, {num_classes})")
    return arr.astype(np.int64)


@register_kind("asymmetric", convention="with probability r, y -> pair_map(y) (default y+1 mod C)")
def asymmetric(
    y: np.ndarray,
    *,
    num_classes: int,
    rate: float,
    rng: np.random.Generator,
    counting: str,
    pair_map: object = None,
) -> np.ndarray:
    """Flip each selected eligible label to its pair class.

    Example:
        >>> import numpy as np
        >>> y = np.array([0, 0, 1, 1, 2, 2])
        >>> asymmetric(y, num_classes=3, rate=1.0, rng=np.random.default_rng(0),
        ...            counting="exact").tolist()
        [1, 1, 2, 2, 0, 0]
    """
    mapping = pair_map_array(pair_map, num_classes)
    eligible = np.flatnonzero(mapping[y] != y)
    chosen = eligible[select(eligible.size, rate, counting, rng)]
    new = y.copy()
    new[chosen] = mapping[y[chosen]]
    return new
