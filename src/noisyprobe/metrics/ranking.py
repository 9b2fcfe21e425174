"""Area under the ROC curve from ranks (Mann–Whitney U), ties counted as one half."""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError


def auroc(scores: object, is_positive: object) -> float:
    """Probability that a random positive scores above a random negative (ties count 1/2).

    Computed from average ranks: AUROC = (Σ rank_pos − P(P+1)/2) / (P·N), which equals
    ``sklearn.metrics.roc_auc_score(is_positive, scores)``. Returns NaN when only one of the
    two groups is present (e.g. a loss-based noisy-sample detector at noise rate 0), since
    the area is then undefined.

    Example:
        >>> auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
        0.75
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(is_positive)
    if s.ndim != 1 or y.ndim != 1:
        raise NoisyProbeError(
            f"scores and is_positive must be 1-D, got shapes {s.shape} and {y.shape}"
        )
    if s.shape != y.shape:
        raise NoisyProbeError(
            f"scores and is_positive must have the same length, got {s.size} and {y.size}"
        )
    if not np.all(np.isfinite(s)):
        raise NoisyProbeError("scores contain NaN or Inf")
    if y.dtype != bool:
        if not np.all(np.isin(y, (0, 1))):
            raise NoisyProbeError("is_positive must be boolean or 0/1")
        y = y.astype(bool)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata  # scipy.stats is slow to import; load it on use

    ranks = rankdata(s)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))
