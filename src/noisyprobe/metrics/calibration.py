"""Expected calibration error with equal-width confidence bins (Guo et al., 2017)."""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.metrics._validate import as_labels, as_probs, check_num_classes, check_same_length


def ece(probs: object, y_true: object, *, n_bins: int = 15) -> float:
    """Expected calibration error of the top-1 prediction.

    The top-1 confidence ``max_k p_k`` of each sample falls in one of ``n_bins`` equal-width
    bins ``(b_i, b_{i+1}]`` on [0, 1] (a confidence of exactly 0 joins the first bin);
    ECE = Σ_bins (n_bin / N) · |accuracy_bin − mean confidence_bin|. Ties in the argmax go to
    the lowest class index.

    Example:
        >>> import numpy as np
        >>> ece(np.array([[0.9, 0.1], [0.6, 0.4]]), [0, 1], n_bins=10)
        0.35
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise NoisyProbeError(f"n_bins must be a positive integer, got {n_bins!r}")
    p = as_probs(probs)
    t = as_labels(y_true, "y_true")
    check_same_length(t, p.T, ("y_true", "probs"))
    check_num_classes(p.shape[1], t, names=("y_true",))
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == t).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.bincount(bins, weights=correct, minlength=n_bins) - np.bincount(
        bins, weights=conf, minlength=n_bins
    )
    return float(np.abs(gap).sum() / count.sum())
