"""Confident learning (Northcutt, Jiang & Chuang, JAIR 2021): the noise of a labelled set.

From out-of-sample probabilities P [N, C] and the given labels ỹ:

1. per-class thresholds t_j = mean of P[i, j] over the samples labelled j (self-confidence);
2. the confident joint C[ỹ, y*]: a sample counts towards (its label, j) for the class j with
   the largest P[i, j] among those with P[i, j] ≥ t_j (samples above no threshold are left out);
3. calibration: each row rescaled to the number of samples with that label, then the whole
   matrix normalised to sum 1, giving Q̂ ≈ the joint of given and true labels.

The noise rate is Q̂'s off-diagonal mass. Asymmetry says how concentrated each given label's
off-diagonal mass is: the largest off-diagonal share of the row, rescaled so that mass spread
evenly over the C − 1 other classes (symmetric noise) gives 0 and mass in a single class
(pair noise) gives 1, averaged over rows weighted by their off-diagonal mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noisyprobe.errors import NoisyProbeError


@dataclass(frozen=True)
class NoiseEstimate:
    """What confident learning estimates of a labelled set.

    Attributes:
        joint: calibrated joint Q̂ [C, C] of (given label, true label), sums to 1.
        confident_joint: raw counts [C, C].
        thresholds: per-class self-confidence thresholds [C].
        noise_rate: 1 − trace(Q̂).
        asymmetry: 0 (symmetric) .. 1 (pair noise); 0 when nothing is off the diagonal.
        issues: [N] bool, samples whose confident class differs from their label.
    """

    joint: np.ndarray
    confident_joint: np.ndarray
    thresholds: np.ndarray
    noise_rate: float
    asymmetry: float
    issues: np.ndarray


def confident_joint(
    labels: np.ndarray, probs: np.ndarray, num_classes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Confident joint counts [C, C], thresholds [C] and each sample's confident class (−1: none).

    Example:
        >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.9, 0.1]])
        >>> cj, t, cls = confident_joint(np.array([0, 0, 1, 1]), p, 2)
        >>> cj.tolist(), t.round(3).tolist(), cls.tolist()
        ([[1, 0], [1, 1]], [0.85, 0.4], [0, -1, 1, 0])
    """
    labels = np.asarray(labels, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    n = labels.shape[0]
    if probs.shape != (n, num_classes):
        raise NoisyProbeError(f"probs: expected shape {(n, num_classes)}, got {probs.shape}")
    if n == 0 or labels.min() < 0 or labels.max() >= num_classes:
        raise NoisyProbeError(f"labels: expected values in 0..{num_classes - 1}")
    counts = np.bincount(labels, minlength=num_classes)
    sums = np.zeros(num_classes)
    np.add.at(sums, labels, probs[np.arange(n), labels])
    thresholds = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    above = probs >= thresholds[None, :] - 1e-12
    masked = np.where(above, probs, -np.inf)
    best = masked.argmax(axis=1)
    best[~above.any(axis=1)] = -1
    cj = np.zeros((num_classes, num_classes), dtype=np.int64)
    ok = best >= 0
    np.add.at(cj, (labels[ok], best[ok]), 1)
    return cj, thresholds, best


def calibrate(cj: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Calibrated joint Q̂: rows rescaled to the label counts, then normalised to sum 1.

    A label whose samples are all below every threshold keeps its mass on the diagonal.

    Example:
        >>> calibrate(np.array([[2, 0], [1, 1]]), np.array([0, 0, 0, 0, 1, 1]), 2).tolist()
        [[0.6666666666666666, 0.0], [0.16666666666666666, 0.16666666666666666]]
    """
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
    cj = np.asarray(cj, dtype=np.float64)
    rows = cj.sum(axis=1)
    q = np.zeros_like(cj)
    for i in range(num_classes):
        if rows[i] > 0:
            q[i] = cj[i] / rows[i] * counts[i]
        else:
            q[i, i] = counts[i]
    return q / q.sum()


def asymmetry(joint: np.ndarray) -> float:
    """Concentration of off-diagonal mass: 0 spread evenly (symmetric), 1 one target (pair).

    Example:
        >>> round(asymmetry(np.array([[8, 1, 1], [1, 8, 1], [1, 1, 8]]) / 30.0), 6)
        0.0
        >>> asymmetry(np.array([[8, 2, 0], [0, 8, 2], [2, 0, 8]]) / 30.0)
        1.0
    """
    q = np.asarray(joint, dtype=np.float64)
    c = q.shape[0]
    if c < 3:
        return 0.0  # with two classes every noise is pair noise and symmetric at once
    off = q * (1.0 - np.eye(c))
    mass = off.sum(axis=1)
    if mass.sum() <= 0:
        return 0.0
    share = np.divide(off.max(axis=1), mass, out=np.zeros(c), where=mass > 0)
    uniform = 1.0 / (c - 1)
    score = (share - uniform) / (1.0 - uniform)
    return float(np.clip((score * mass).sum() / mass.sum(), 0.0, 1.0))


def estimate_noise(labels: np.ndarray, probs: np.ndarray, num_classes: int) -> NoiseEstimate:
    """Confident-learning estimate of the noise rate and its asymmetry.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = rng.integers(0, 3, 3000)
        >>> p = np.full((3000, 3), 0.05); p[np.arange(3000), y] = 0.9
        >>> noisy = y.copy(); flip = rng.random(3000) < 0.2; noisy[flip] = (y[flip] + 1) % 3
        >>> est = estimate_noise(noisy, p, 3)
        >>> round(est.noise_rate, 1), round(est.asymmetry, 1)
        (0.2, 1.0)
    """
    labels = np.asarray(labels, dtype=np.int64)
    cj, thresholds, best = confident_joint(labels, probs, num_classes)
    q = calibrate(cj, labels, num_classes)
    return NoiseEstimate(
        joint=q,
        confident_joint=cj,
        thresholds=thresholds,
        noise_rate=float(1.0 - np.trace(q)),
        asymmetry=asymmetry(q),
        issues=(best >= 0) & (best != labels),
    )
