"""Summaries of the per-feature skewness and kurtosis of a feature matrix.

The SKD seed reports that pretraining noise flattens the feature distributions (skewness
and kurtosis move towards 0); these summaries make that visible for a whole backbone: the
per-feature values from :func:`noisyprobe.diagnostics.moments.skew_kurt` (the one
implementation of the seed's formulas), their mean/median, the share of strongly skewed or
heavy-tailed features, and histogram data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noisyprobe.diagnostics._blocks import as_matrix
from noisyprobe.diagnostics.moments import skew_kurt
from noisyprobe.errors import NoisyProbeError


def moment_summary(
    x: np.ndarray,
    *,
    bins: int = 50,
    skew_threshold: float = 1.0,
    kurt_threshold: float = 3.0,
) -> dict[str, Any]:
    """Per-feature bias-corrected skewness and excess kurtosis of ``x`` [N, D], summarised.

    Constant features have undefined moments (NaN); they are counted in
    ``constant_features`` and left out of every statistic. ``|skew| > 1`` is the usual
    "highly skewed" rule of thumb; ``|excess kurtosis| > 3`` marks clearly non-normal tails
    (a Laplace distribution has 3). The matrix is streamed in row blocks (float64 sums).

    Args:
        x: features [N, D] (N >= 4), any float dtype; memmaps are not copied.
        bins: number of histogram bins for each of the two distributions.
        skew_threshold: report the share of features with ``|skew| > skew_threshold``.
        kurt_threshold: report the share of features with ``|kurt| > kurt_threshold``.

    Returns:
        dict with ``skew``/``kurt`` (float64 [D] arrays), ``n``, ``d``,
        ``constant_features``, ``skew_mean``, ``skew_median``, ``skew_abs_mean``,
        ``share_abs_skew_gt``, ``kurt_mean``, ``kurt_median``, ``kurt_abs_mean``,
        ``share_abs_kurt_gt``, the thresholds, and ``hist_skew``/``hist_kurt`` as
        ``{"counts": int64 [bins], "edges": float64 [bins + 1]}``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> s = moment_summary(rng.exponential(size=(20000, 4)))
        >>> round(s["skew_mean"]), round(s["kurt_mean"]), s["share_abs_skew_gt"]
        (2, 6, 1.0)
    """
    x = as_matrix(x, min_rows=4)
    if not isinstance(bins, (int, np.integer)) or bins < 1:
        raise NoisyProbeError(f"bins: expected a positive integer, got {bins!r}")
    for name, value in (("skew_threshold", skew_threshold), ("kurt_threshold", kurt_threshold)):
        if not np.isfinite(value) or value < 0:
            raise NoisyProbeError(f"{name}: expected a finite number >= 0, got {value!r}")
    skew, kurt = skew_kurt(x)
    defined = np.isfinite(skew) & np.isfinite(kurt)
    s, k = skew[defined], kurt[defined]
    out: dict[str, Any] = {
        "n": int(x.shape[0]),
        "d": int(x.shape[1]),
        "skew": skew,
        "kurt": kurt,
        "constant_features": int((~defined).sum()),
        "skew_threshold": float(skew_threshold),
        "kurt_threshold": float(kurt_threshold),
    }
    for name, values, threshold in (("skew", s, skew_threshold), ("kurt", k, kurt_threshold)):
        empty = values.size == 0
        out[f"{name}_mean"] = float("nan") if empty else float(values.mean())
        out[f"{name}_median"] = float("nan") if empty else float(np.median(values))
        out[f"{name}_abs_mean"] = float("nan") if empty else float(np.abs(values).mean())
        out[f"share_abs_{name}_gt"] = (
            float("nan") if empty else float((np.abs(values) > threshold).mean())
        )
        counts, edges = np.histogram(values, bins=bins)
        out[f"hist_{name}"] = {"counts": counts.astype(np.int64), "edges": edges}
    return out
