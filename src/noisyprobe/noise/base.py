"""What every noise kind shares: the result type, the kind registry, counting, estimation.

A noise kind is a function ``apply(y, *, num_classes, rate, rng, counting, **options)`` that
receives the labelled samples only (class indices >= 0) and returns their new labels.
:func:`noisyprobe.noise.inject` handles validation, unlabelled samples (-1) and bookkeeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from noisyprobe._registry import Registry
from noisyprobe.errors import NoisyProbeError

COUNTINGS = ("exact", "bernoulli")

NOISE_KINDS: Registry[np.ndarray] = Registry("noise kind")


def register_kind(
    name: str,
    *,
    convention: str,
    uses_rate: bool = True,
    implied_rate: Callable[..., float] | None = None,
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register a noise kind; ``convention`` is the one-line description reports print.

    ``uses_rate=False`` marks kinds whose strength comes from an option (``transition``);
    ``implied_rate(y, **options)`` then gives the expected fraction of changed labels.
    """

    def decorator(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        fn.convention = convention  # type: ignore[attr-defined]
        fn.uses_rate = uses_rate  # type: ignore[attr-defined]
        fn.implied_rate = implied_rate  # type: ignore[attr-defined]
        return NOISE_KINDS.register(name)(fn)

    return decorator


@dataclass(frozen=True)
class NoisyLabels:
    """Labels after noise injection, with what was actually injected.

    Attributes:
        labels: int64 [N] noisy labels; unlabelled samples (-1) stay -1.
        is_noisy: bool [N], True where the label changed.
        realized_rate: fraction of labelled samples whose label changed.
        transition: float64 [C, C] empirical clean -> noisy matrix (rows sum to 1); the row
            of a class absent from the clean labels is the identity row.
        kind, counting, seed: how the noise was drawn.
        rate: the requested rate; for ``transition`` the expected rate implied by the
            matrix and the class frequencies, mean_i (1 - T[y_i, y_i]).
    """

    labels: np.ndarray
    is_noisy: np.ndarray
    realized_rate: float
    transition: np.ndarray
    kind: str
    rate: float
    counting: str
    seed: int

    @property
    def num_changed(self) -> int:
        """Number of labels that changed."""
        return int(self.is_noisy.sum())


def exact_count(rate: float, n: int) -> int:
    """Number of samples ``exact`` counting selects: ``rate * n`` rounded half up.

    Example:
        >>> exact_count(0.25, 10), exact_count(0.2, 7)
        (3, 1)
    """
    return int(math.floor(rate * n + 0.5))


def select(n: int, rate: float, counting: str, rng: np.random.Generator) -> np.ndarray:
    """Mask of the samples chosen for corruption among ``n``.

    ``exact``: exactly :func:`exact_count` samples, uniformly without replacement;
    ``bernoulli``: each sample independently with probability ``rate``.

    Example:
        >>> int(select(10, 0.3, "exact", np.random.default_rng(0)).sum())
        3
    """
    if counting == "exact":
        mask = np.zeros(n, dtype=bool)
        mask[rng.choice(n, size=exact_count(rate, n), replace=False)] = True
        return mask
    return rng.random(n) < rate


def _label_vector(values: object, name: str, num_classes: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise NoisyProbeError(f"{name} must be a 1-D array of class indices, got shape {arr.shape}")
    integral = np.issubdtype(arr.dtype, np.integer) or (
        np.issubdtype(arr.dtype, np.floating)
        and bool(np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))
    )
    if arr.size and not integral:
        raise NoisyProbeError(f"{name} must hold integer class indices, got dtype {arr.dtype}")
    out = arr.astype(np.int64)
    if out.size and (out.min() < -1 or out.max() >= num_classes):
        bad = int(out.min()) if out.min() < -1 else int(out.max())
        raise NoisyProbeError(
            f"{name} holds {bad}, outside [0, {num_classes}) (or -1 for unlabelled) "
            f"for num_classes={num_classes}"
        )
    return out


def estimate_transition(clean: object, noisy: object, num_classes: int) -> np.ndarray:
    """Empirical clean -> noisy transition matrix T[i, j] = P(noisy = j | clean = i).

    Pairs where either label is -1 are ignored. A class absent from ``clean`` gets the
    identity row, so the result is always row-stochastic (usable for forward correction).

    Example:
        >>> estimate_transition([0, 0, 1, 1], [0, 1, 1, 1], 3).tolist()
        [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise NoisyProbeError(f"num_classes must be a positive integer, got {num_classes!r}")
    if num_classes < 1:
        raise NoisyProbeError(f"num_classes must be a positive integer, got {num_classes}")
    c = _label_vector(clean, "clean", num_classes)
    z = _label_vector(noisy, "noisy", num_classes)
    if c.shape != z.shape:
        raise NoisyProbeError(
            f"clean and noisy must have the same length, got {c.size} and {z.size}"
        )
    both = (c >= 0) & (z >= 0)
    counts = np.bincount(c[both] * num_classes + z[both], minlength=num_classes**2)
    counts = counts.reshape(num_classes, num_classes).astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    eye = np.eye(num_classes)
    return np.where(totals > 0, counts / np.maximum(totals, 1), eye)
