"""Noise rate, joint and transition matrix of a labelled set from out-of-sample probabilities.

The joint Q̂[ỹ, y*] of given and true labels is the confident-learning estimate
(:mod:`noisyprobe.select.confident`: per-class self-confidence thresholds, the confident
joint, each row calibrated to its label count, normalised to sum 1). From it:

- noise rate = 1 − trace(Q̂);
- transition T̂[i, j] = P(given = j | true = i) = Q̂[j, i] / Σ_j Q̂[j, i] (the convention of
  :func:`noisyprobe.noise.estimate_transition`; a true class with no mass gets the identity row);
- per given label i, the number of issues to flag: N · Σ_{j≠i} Q̂[i, j].
"""

from __future__ import annotations

import numpy as np


def estimate_joint(labels: np.ndarray, probs: np.ndarray, num_classes: int) -> np.ndarray:
    """Calibrated joint Q̂ [C, C] of (given label, true label); sums to 1.

    Example:
        >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9], [0.9, 0.1]])
        >>> estimate_joint(np.array([0, 0, 1, 1, 1]), p, 2).round(2).tolist()
        [[0.4, 0.0], [0.2, 0.4]]
    """
    from noisyprobe.select.confident import calibrate, confident_joint

    labels = np.asarray(labels, dtype=np.int64)
    cj, _, _ = confident_joint(labels, probs, num_classes)
    return calibrate(cj, labels, num_classes)


def transition_from_joint(joint: np.ndarray) -> np.ndarray:
    """Row-stochastic T̂[true, given] from a joint Q̂[given, true].

    Example:
        >>> transition_from_joint(np.array([[0.4, 0.0], [0.2, 0.4]])).round(3).tolist()
        [[0.667, 0.333], [0.0, 1.0]]
    """
    q = np.asarray(joint, dtype=np.float64).T  # [true, given]
    totals = q.sum(axis=1, keepdims=True)
    eye = np.eye(q.shape[0])
    return np.where(totals > 0, q / np.where(totals > 0, totals, 1.0), eye)


def issue_counts(joint: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """How many samples of each given label the joint says are mislabelled [C] (int).

    Example:
        >>> issue_counts(np.array([[0.4, 0.0], [0.2, 0.4]]), np.array([0, 0, 1, 1, 1])).tolist()
        [0, 1]
    """
    q = np.asarray(joint, dtype=np.float64)
    n = np.asarray(labels).shape[0]
    off = q.sum(axis=1) - np.diag(q)
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=q.shape[0])
    return np.minimum(np.rint(off * n).astype(np.int64), counts)
