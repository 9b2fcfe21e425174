"""Validation scores on noisy labels, corrected with an estimated noise transition.

Under class-conditional noise that is independent of the prediction given the true class,
the joint of (prediction k, given label j) on a validation split is

    P(pred k, given j) = sum_i P(pred k, true i) T[i, j],   T[i, j] = P(given j | true i),

so with the counts N[j, k] (given label j, prediction k) the clean joint is recovered as
M = (N / n)^T T^-1 (Natarajan et al., NeurIPS 2013, use the same inversion for unbiased
losses). The balanced accuracy of M is an estimate of the clean balanced accuracy, which
the noisy score is not: with missed findings (present -> absent) the noisy labels reward a
head that predicts "absent" too often. Negative entries (sampling error, an imperfect T) are
clipped at 0 before the recalls are taken.

Measured on the medical grid (benchmarks/results/bench-medical.md, 118 conditions): picking
the best corrected score with the confident-learning T of the training labels is *worse*
than picking the best noisy score (mean regret 2.22 vs 1.67 pp), because T is badly
estimated on rare classes; even the T realised by the injected noise helps only where the
noise is class-conditional (asymmetric) and hurts on the IU reports' real, report-dependent
noise. The noisy score stays the default (``--validation-score noisy``); this one is for
data whose T is known or well estimated.
"""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError

MAX_CONDITION = 1e3
"""Largest condition number of T that is inverted; beyond it the noisy score is returned
(T close to singular: every true class looks alike in the given labels)."""


def clean_joint(confusion: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """Estimated clean joint M[pred, true] from counts [given, pred] and T[true, given].

    Example:
        >>> t = np.array([[1.0, 0.0], [0.4, 0.6]])  # 40% of positives labelled negative
        >>> m = np.array([[0.45, 0.1], [0.05, 0.4]])  # clean joint [pred, true]
        >>> counts = 1000 * (m @ t).T  # expected counts [given, pred]
        >>> clean_joint(counts, t).round(3).tolist()
        [[0.45, 0.1], [0.05, 0.4]]
    """
    n = np.asarray(confusion, dtype=np.float64)
    t = np.asarray(transition, dtype=np.float64)
    c = n.shape[0]
    if n.shape != (c, c) or t.shape != (c, c):
        raise NoisyProbeError(
            f"confusion and transition: expected two [C, C] matrices, got {n.shape} and {t.shape}"
        )
    if (n < 0).any() or n.sum() <= 0:
        raise NoisyProbeError("confusion: expected non-negative counts with a positive total")
    if not np.isfinite(t).all() or (t < 0).any() or not np.allclose(t.sum(axis=1), 1.0):
        raise NoisyProbeError("transition: expected rows that are probability distributions")
    return np.linalg.solve(t.T, (n / n.sum())).T


def _clipped_joint(confusion: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """:func:`clean_joint` clipped at 0; the noisy joint when T is too close to singular."""
    t = np.asarray(transition, dtype=np.float64)
    if np.linalg.cond(t) > MAX_CONDITION:
        t = np.eye(t.shape[0])
    return np.clip(clean_joint(confusion, t), 0.0, None)


def corrected_balanced_accuracy(confusion: np.ndarray, transition: np.ndarray) -> float:
    """Balanced accuracy on the clean labels, estimated from noisy-label counts and T.

    Args:
        confusion: counts [given label, prediction] on the validation split.
        transition: T[true, given] = P(given | true), e.g. from confident learning
            (:func:`noisyprobe.select.regime.regime_and_transition`).

    Returns:
        The estimate in [0, 1]; the plain noisy balanced accuracy when T is too close to
        singular (condition number above :data:`MAX_CONDITION`) to be inverted.

    Example:
        >>> t = np.array([[1.0, 0.0], [0.4, 0.6]])
        >>> m = np.array([[0.45, 0.1], [0.05, 0.4]])  # recalls 0.9 and 0.8
        >>> round(corrected_balanced_accuracy(1000 * (m @ t).T, t), 4)
        0.85
        >>> round(corrected_balanced_accuracy(1000 * (m @ t).T, np.eye(2)), 4)  # noisy BA
        0.75
    """
    m = _clipped_joint(confusion, transition)
    support = m.sum(axis=0)  # per true class
    present = support > 0
    if not present.any():
        return 0.0
    return float(np.mean(np.diag(m)[present] / support[present]))


def corrected_accuracy(confusion: np.ndarray, transition: np.ndarray) -> float:
    """Accuracy on the clean labels, estimated from noisy-label counts and T.

    The trace of the clipped clean joint, renormalised; the noisy accuracy when T is too
    close to singular (as :func:`corrected_balanced_accuracy`).

    Example:
        >>> t = np.array([[1.0, 0.0], [0.4, 0.6]])
        >>> m = np.array([[0.45, 0.1], [0.05, 0.4]])
        >>> round(corrected_accuracy(1000 * (m @ t).T, t), 4)
        0.85
    """
    m = _clipped_joint(confusion, transition)
    total = m.sum()
    return float(np.trace(m) / total) if total > 0 else 0.0


CORRECTED = {"balanced_accuracy": corrected_balanced_accuracy, "accuracy": corrected_accuracy}
"""Metrics that :func:`corrected_score` can correct."""


def corrected_score(confusion, transition, *, metric: str = "balanced_accuracy") -> float:
    """``metric`` (a key of :data:`CORRECTED`) corrected for the noise T describes.

    Example:
        >>> round(corrected_score([[8, 2], [1, 9]], np.eye(2), metric="accuracy"), 4)
        0.85
    """
    if metric not in CORRECTED:
        raise NoisyProbeError(
            f"corrected validation: metric {metric!r} cannot be corrected; expected one of "
            f"{', '.join(CORRECTED)}"
        )
    return CORRECTED[metric](np.asarray(confusion), np.asarray(transition))
