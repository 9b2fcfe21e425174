"""Label noise from any row-stochastic transition matrix T[i, j] = P(noisy = j | clean = i).

The matrix alone sets the noise strength, so ``inject`` requires ``rate=None`` for this kind
(two sources for one quantity would disagree silently). ``bernoulli`` counting draws each
sample's new label from its row; ``exact`` counting moves, within each class i with n_i
samples, exactly n_i·T[i, j] of them to class j (largest-remainder rounding, ties broken at
random), so the empirical matrix equals T up to rounding.
"""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise.base import register_kind


def check_transition(matrix: object, num_classes: int) -> np.ndarray:
    """Validate a C x C row-stochastic matrix (non-negative, rows sum to 1 within 1e-6).

    Example:
        >>> check_transition([[0.9, 0.1], [0.2, 0.8]], 2).shape
        (2, 2)
    """
    t = np.asarray(matrix, dtype=np.float64)
    if t.shape != (num_classes, num_classes):
        raise NoisyProbeError(
            f"transition must be a square {num_classes} x {num_classes} matrix, got shape {t.shape}"
        )
    if not np.all(np.isfinite(t)) or t.min() < 0:
        raise NoisyProbeError("transition must hold finite, non-negative probabilities")
    sums = t.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-6):
        bad = int(np.argmax(np.abs(sums - 1)))
        raise NoisyProbeError(
            f"transition rows must sum to 1 (within 1e-6); row {bad} sums to {sums[bad]!r}"
        )
    return t


def expected_rate(y: np.ndarray, *, transition: object) -> float:
    """Expected fraction of changed labels: mean over samples of 1 - T[y_i, y_i]."""
    t = np.asarray(transition, dtype=np.float64)
    return float(np.mean(1.0 - np.diag(t)[y]))


def _largest_remainder(n: int, probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    share = n * probs
    counts = np.floor(share).astype(np.int64)
    missing = n - int(counts.sum())
    if missing > 0:
        order = np.lexsort((rng.random(probs.size), -(share - counts)))
        counts[order[:missing]] += 1
    return counts


@register_kind(
    "transition",
    convention="each label re-drawn from its row of a given transition matrix",
    uses_rate=False,
    implied_rate=expected_rate,
)
def transition_noise(
    y: np.ndarray,
    *,
    num_classes: int,
    rate: None,
    rng: np.random.Generator,
    counting: str,
    transition: object,
) -> np.ndarray:
    """Re-draw labels from the rows of ``transition``.

    Example:
        >>> import numpy as np
        >>> t = np.array([[0.5, 0.5], [0.0, 1.0]])
        >>> transition_noise(np.array([0, 0, 1, 1]), num_classes=2, rate=None,
        ...                  rng=np.random.default_rng(0), counting="exact", transition=t
        ...                  ).tolist().count(1)
        3
    """
    t = check_transition(transition, num_classes)
    new = y.copy()
    u = rng.random(y.size) if counting == "bernoulli" else None
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        if counting == "bernoulli":
            cdf = np.cumsum(t[cls])
            # Scaling by cdf[-1] keeps draws below the total so zero-probability classes,
            # trailing ones included, are never chosen despite rounding in the cumsum.
            new[idx] = np.searchsorted(cdf, u[idx] * cdf[-1], side="right")
        else:
            counts = _largest_remainder(idx.size, t[cls], rng)
            new[rng.permutation(idx)] = np.repeat(np.arange(num_classes), counts)
    return new
