"""Nested symmetric label flips: the flip set at rate r is a subset of the one at r' > r."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise.base import exact_count


def nested_symmetric(
    labels: Sequence[int] | np.ndarray, rate: float, *, num_classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric noise (to a uniformly drawn *other* class) with nested flip sets.

    One permutation and one class offset per sample are drawn from ``seed`` alone; the
    first ``round(rate * N)`` samples of the permutation are flipped. So for one seed the
    flipped samples at 10% are among those at 20%, with the same wrong labels.

    Args:
        labels: clean labels [N] in [0, num_classes).
        rate: share of samples to flip, in [0, 1].
        num_classes: C >= 2.
        seed: non-negative seed.

    Returns:
        (noisy labels [N], boolean mask of flipped samples [N]).

    Example:
        >>> y = np.zeros(10, dtype=np.int64)
        >>> a, ma = nested_symmetric(y, 0.2, num_classes=3, seed=0)
        >>> b, mb = nested_symmetric(y, 0.5, num_classes=3, seed=0)
        >>> int(ma.sum()), int(mb.sum()), bool((mb[ma]).all()), bool((a[ma] == b[ma]).all())
        (2, 5, True, True)
    """
    y = np.asarray(labels, dtype=np.int64)
    if not 0.0 <= float(rate) <= 1.0:
        raise NoisyProbeError(f"rate must be in [0, 1], got {rate!r}")
    if num_classes < 2 or y.size == 0 or y.min() < 0 or y.max() >= num_classes:
        raise NoisyProbeError(f"labels must lie in [0, {num_classes}) with num_classes >= 2")
    rng = np.random.default_rng([int(seed), 104729])
    order = rng.permutation(y.size)
    offsets = rng.integers(1, num_classes, size=y.size)
    mask = np.zeros(y.size, dtype=bool)
    mask[order[: exact_count(float(rate), y.size)]] = True
    noisy = y.copy()
    noisy[mask] = (y[mask] + offsets[mask]) % num_classes
    return noisy, mask
