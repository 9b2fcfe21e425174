"""Per-sample evidence that a label is wrong, from an ensemble of out-of-sample heads.

- ``disagreement``: share of ensemble members whose prediction differs from the given label
  (prediction agreement: the signal the frozen-feature benchmark found stable under
  asymmetric noise, where loss ranking is not);
- ``margin``: normalised margin of the ensemble mean, max_{j≠ỹ} p̄_j − p̄_ỹ in [−1, 1];
- ``issue_score`` = disagreement + (1 + margin)/2, in [0, 2]; higher is more likely wrong.
"""

from __future__ import annotations

import numpy as np


def disagreement(members: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Share [N] of members [M, N, C] whose argmax is not the given label.

    Example:
        >>> m = np.array([[[0.9, 0.1], [0.4, 0.6]], [[0.2, 0.8], [0.3, 0.7]]])
        >>> disagreement(m, np.array([0, 1])).tolist()
        [0.5, 0.0]
    """
    labels = np.asarray(labels, dtype=np.int64)
    return (np.asarray(members).argmax(axis=2) != labels[None, :]).mean(axis=0)


def margin(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """max_{j≠ỹ} p_j − p_ỹ per sample [N].

    Example:
        >>> margin(np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]]), np.array([0, 0])).round(2).tolist()
        [-0.5, 0.5]
    """
    probs = np.asarray(probs, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    rows = np.arange(labels.shape[0])
    own = probs[rows, labels]
    other = probs.copy()
    other[rows, labels] = -np.inf
    return other.max(axis=1) - own


def issue_score(members: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Disagreement plus the mean's rescaled margin [N], in [0, 2].

    Example:
        >>> m = np.array([[[0.9, 0.1], [0.4, 0.6]], [[0.2, 0.8], [0.3, 0.7]]])
        >>> issue_score(m, np.array([0, 1])).round(3).tolist()
        [0.95, 0.35]
    """
    members = np.asarray(members, dtype=np.float64)
    mean = members.mean(axis=0)
    return disagreement(members, labels) + (1.0 + margin(mean, labels)) / 2.0
