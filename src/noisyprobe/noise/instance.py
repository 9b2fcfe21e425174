"""Instance-dependent label noise (after Xia et al., NeurIPS 2020, "Part-dependent label noise").

Each sample gets its own flip rate q_i ~ N(r, std²) truncated to [0, 1] (std 0.1 by
default; rate 0 gives q = 0 and rate 1 gives q = 1 exactly). The direction of a flip depends
on the features: with standardised features x_i and a seeded Gaussian projection W (D x C),
the scores x_i W / (sqrt(D) · temperature), own class excluded, pass through a softmax over
the other classes. ``bernoulli`` counting flips sample i with probability q_i (so the mean
rate is E[q], pulled inward from r near 0 or 1 by the truncation); ``exact`` counting flips
exactly round(rN) samples drawn without replacement with probability proportional to q_i
(Efraimidis–Spirakis keys). A flip never lands on the own class.
"""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise.base import exact_count, register_kind

_CHUNK_ROWS = 65536


def flip_rates(n: int, rate: float, std: float, rng: np.random.Generator) -> np.ndarray:
    """Per-sample flip rates: N(rate, std²) truncated to [0, 1]; constant at rate 0 or 1.

    Example:
        >>> q = flip_rates(1000, 0.3, 0.1, np.random.default_rng(0))
        >>> bool(q.min() >= 0 and q.max() <= 1 and abs(q.mean() - 0.3) < 0.02)
        True
    """
    if rate in (0.0, 1.0) or std == 0:
        return np.full(n, float(rate))
    from scipy.stats import truncnorm  # scipy.stats is slow to import; load it on use

    a, b = (0.0 - rate) / std, (1.0 - rate) / std
    return np.clip(truncnorm.rvs(a, b, loc=rate, scale=std, size=n, random_state=rng), 0.0, 1.0)


def _column_moments(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (1 where constant), in chunks of rows."""
    mean = features.mean(axis=0, dtype=np.float64)
    sq = np.zeros_like(mean)
    for lo in range(0, features.shape[0], _CHUNK_ROWS):
        sq += ((features[lo : lo + _CHUNK_ROWS] - mean) ** 2).sum(axis=0)
    std = np.sqrt(sq / features.shape[0])
    return mean, np.where(std > 0, std, 1.0)


def _draw_other_class(scores: np.ndarray, own: np.ndarray, u: np.ndarray) -> np.ndarray:
    scores = scores.copy()
    scores[np.arange(own.size), own] = -np.inf
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    cdf = np.cumsum(probs, axis=1)
    # Drawing below the row total means the own class (zero mass) is never chosen.
    target = (u * cdf[:, -1])[:, None]
    return (cdf <= target).sum(axis=1)


@register_kind(
    "instance",
    convention="per-sample rate around r, direction from a random projection of the features",
)
def instance(
    y: np.ndarray,
    *,
    num_classes: int,
    rate: float,
    rng: np.random.Generator,
    counting: str,
    features: object,
    rate_std: float = 0.1,
    temperature: float = 1.0,
) -> np.ndarray:
    """Flip labels with per-sample rates in feature-dependent directions.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(100, 4))
        >>> y = np.arange(100) % 3
        >>> new = instance(y, num_classes=3, rate=0.2, rng=np.random.default_rng(1),
        ...                counting="exact", features=x)
        >>> int((new != y).sum())
        20
    """
    x = np.asarray(features)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise NoisyProbeError(
            f"features must be a 2-D [samples, dims] array with one row per label, "
            f"got shape {x.shape} for {y.size} labelled samples"
        )
    if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
        raise NoisyProbeError("features must be finite numbers (no NaN or Inf)")
    if not (np.isfinite(rate_std) and rate_std >= 0):
        raise NoisyProbeError(f"rate_std must be a non-negative number, got {rate_std!r}")
    if not (np.isfinite(temperature) and temperature > 0):
        raise NoisyProbeError(f"temperature must be a positive number, got {temperature!r}")
    projection = rng.standard_normal((x.shape[1], num_classes))
    q = flip_rates(y.size, rate, rate_std, rng)
    if counting == "exact":
        k = exact_count(rate, y.size)
        if k and num_classes < 2:
            raise NoisyProbeError("instance noise needs at least 2 classes")
        with np.errstate(divide="ignore"):
            keys = np.log(rng.random(y.size)) / q  # q = 0 gives -inf: chosen last
        chosen = np.sort(np.argsort(-keys, kind="stable")[:k])
    else:
        chosen = np.flatnonzero(rng.random(y.size) < q)
        if chosen.size and num_classes < 2:
            raise NoisyProbeError("instance noise needs at least 2 classes")
    new = y.copy()
    if chosen.size == 0:
        return new
    mean, std = _column_moments(x)
    u = rng.random(chosen.size)
    scale = 1.0 / (np.sqrt(x.shape[1]) * temperature)
    for lo in range(0, chosen.size, _CHUNK_ROWS):
        rows = chosen[lo : lo + _CHUNK_ROWS]
        scores = (((x[rows] - mean) / std) @ projection) * scale
        new[rows] = _draw_other_class(scores, y[rows], u[lo : lo + _CHUNK_ROWS])
    return new
