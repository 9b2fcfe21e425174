"""Which samples to flag, given a joint Q̂ of (given, true) labels and out-of-sample probabilities.

Pruning by noise rate (Northcutt et al., confident learning): for every given label i and
every other class j, the joint says ``round(N · Q̂[i, j])`` samples labelled i are really j;
those are the samples labelled i with the largest pair margin p_j − p_i. A sample may be
picked for several j and counts once. Only ``eligible`` samples are kept (the audit asks for
every ensemble member to predict another class than the label).
"""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError


def pair_counts(joint: np.ndarray, num_samples: int) -> np.ndarray:
    """Integer off-diagonal counts [C, C] ``round(N · Q̂[i, j])``; zero diagonal.

    Example:
        >>> pair_counts(np.array([[0.5, 0.1], [0.04, 0.36]]), 100).tolist()
        [[0, 10], [4, 0]]
    """
    q = np.asarray(joint, dtype=np.float64)
    counts = np.rint(q * int(num_samples)).astype(np.int64)
    np.fill_diagonal(counts, 0)
    return counts


def prune_by_noise_rate(
    labels: np.ndarray, probs: np.ndarray, counts: np.ndarray, eligible: np.ndarray
) -> np.ndarray:
    """Flag [N] bool: per (given i, true j), the ``counts[i, j]`` largest margins p_j − p_i.

    Args:
        labels: given labels [N].
        probs: out-of-sample probabilities [N, C].
        counts: [C, C] how many samples of given label i to take towards class j
            (:func:`pair_counts`; the diagonal is ignored).
        eligible: [N] bool, samples that may be flagged (applied after the ranking).

    Example:
        >>> p = np.array([[0.9, 0.1], [0.3, 0.7], [0.45, 0.55], [0.2, 0.8]])
        >>> prune_by_noise_rate(np.array([0, 0, 0, 1]), p, np.array([[0, 1], [0, 0]]),
        ...                     np.ones(4, bool)).tolist()
        [False, True, False, False]
    """
    labels = np.asarray(labels, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    n, c = probs.shape
    if labels.shape != (n,) or counts.shape != (c, c) or np.asarray(eligible).shape != (n,):
        raise NoisyProbeError(
            f"labels [N], probs [N, C], counts [C, C], eligible [N] expected, got "
            f"{labels.shape}, {probs.shape}, {counts.shape}, {np.asarray(eligible).shape}"
        )
    flagged = np.zeros(n, dtype=bool)
    for i in range(c):
        idx = np.flatnonzero(labels == i)
        for j in range(c):
            if j == i or counts[i, j] <= 0 or idx.size == 0:
                continue
            gap = probs[idx, j] - probs[idx, i]
            flagged[idx[np.argsort(-gap, kind="stable")[: counts[i, j]]]] = True
    return flagged & np.asarray(eligible, dtype=bool)
