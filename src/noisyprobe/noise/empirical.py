"""``empirical`` label noise: a confusion measured between real medical labellers.

The measured matrices (``measured()``; sources in ``_empirical_measure``) are binary: T[i, j]
= P(noisy = j | reference = i) with 0 = absent, 1 = present. :func:`task_transition` maps
one onto a task with C classes and its ``positive`` class:

- C = 2: the measured matrix, with ``positive`` as "present";
- C > 2 (one-vs-rest): the ``positive`` class keeps its label with T[1, 1] and otherwise
  moves uniformly to the other classes; every other class moves to ``positive`` with
  T[0, 1] and otherwise stays.

The noise is then injected by the ``transition`` kind, so ``exact`` counting reproduces the
measured rates up to rounding. The strength comes from the matrix: ``rate=None``.

Example:
    >>> from noisyprobe.noise import inject
    >>> nl = inject([0] * 50 + [1] * 50, "empirical", None, 2, seed=0,
    ...             source="nih-google", finding="pneumothorax")
    >>> nl.transition[1].round(2).tolist()
    [0.54, 0.46]
"""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise._empirical_table import TABLE
from noisyprobe.noise.base import register_kind
from noisyprobe.noise.transition import transition_noise


def measured(source: str, finding: str) -> np.ndarray:
    """The measured 2 x 2 transition of ``finding`` in ``source`` (float64).

    Example:
        >>> measured("vindr-readers", "cardiomegaly").round(3).tolist()
        [[0.987, 0.013], [0.118, 0.882]]
    """
    if source not in TABLE:
        raise NoisyProbeError(
            f"empirical noise: source must be one of {', '.join(TABLE)}, got {source!r}"
        )
    if finding not in TABLE[source]:
        raise NoisyProbeError(
            f"empirical noise: finding for {source!r} must be one of "
            f"{', '.join(TABLE[source])}, got {finding!r}"
        )
    t = np.asarray(TABLE[source][finding]["transition"], dtype=np.float64)
    return t / t.sum(axis=1, keepdims=True)


def task_transition(binary: object, num_classes: int, *, positive: int = 1) -> np.ndarray:
    """Map a binary absent/present transition onto C classes (see the module docstring).

    Example:
        >>> task_transition([[0.9, 0.1], [0.4, 0.6]], 3, positive=0).tolist()
        [[0.6, 0.2, 0.2], [0.1, 0.9, 0.0], [0.1, 0.0, 0.9]]
    """
    b = np.asarray(binary, dtype=np.float64)
    if b.shape != (2, 2):
        raise NoisyProbeError(f"empirical noise: expected a 2 x 2 matrix, got shape {b.shape}")
    if isinstance(positive, bool) or not isinstance(positive, (int, np.integer)):
        raise NoisyProbeError(f"positive must be a class index, got {positive!r}")
    if not 0 <= positive < num_classes or num_classes < 2:
        raise NoisyProbeError(
            f"positive must be a class index in [0, {num_classes}), got {positive!r}"
        )
    if num_classes == 2:
        return b if positive == 1 else b[::-1, ::-1].copy()
    t = np.eye(num_classes) * b[0, 0]
    t[:, positive] = b[0, 1]
    t[positive] = b[1, 0] / (num_classes - 1)
    t[positive, positive] = b[1, 1]
    return t


def _matrix(num_classes: int, source: str, finding: str, positive: int) -> np.ndarray:
    return task_transition(measured(source, finding), num_classes, positive=positive)


def _implied(y: np.ndarray, *, source: str, finding: str, positive: int = 1) -> float:
    """Expected changed share: 1 - T[1, 1] on ``positive``, 1 - T[0, 0] elsewhere (any C)."""
    b = measured(source, finding)
    return float(np.mean(np.where(y == positive, 1.0 - b[1, 1], 1.0 - b[0, 0])))


@register_kind(
    "empirical",
    convention="a measured absent/present confusion of real labellers (source, finding) "
    "mapped onto the task's positive class",
    uses_rate=False,
    implied_rate=_implied,
)
def empirical_noise(
    y: np.ndarray,
    *,
    num_classes: int,
    rate: None,
    rng: np.random.Generator,
    counting: str,
    source: str,
    finding: str,
    positive: int = 1,
) -> np.ndarray:
    """Re-draw labels from the measured matrix of ``finding`` in ``source``.

    Example:
        >>> import numpy as np
        >>> new = empirical_noise(np.array([1] * 100), num_classes=2, rate=None,
        ...     rng=np.random.default_rng(0), counting="exact", source="iu-automatic",
        ...     finding="cardiomegaly")
        >>> int((new == 0).sum())
        26
    """
    t = _matrix(num_classes, source, finding, positive)
    return transition_noise(
        y, num_classes=num_classes, rate=None, rng=rng, counting=counting, transition=t
    )
