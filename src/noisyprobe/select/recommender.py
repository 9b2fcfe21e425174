"""A k-nearest-conditions recommender of per-method regret.

Each benchmark condition is a point in regime-feature space (standardised with the training
conditions' mean and standard deviation; a missing value counts as the mean) labelled with the
regret of every method there. For new data, the predicted regret of a method is its mean
regret over the k nearest conditions; the recommendation is the method with the lowest
prediction, and that prediction is its expected regret. Simple on purpose: it has one knob,
needs no training beyond storing the table, and stays honest with a few dozen conditions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.regime import REGIME_FEATURES


@dataclass(frozen=True)
class Recommendation:
    """The selector's answer for one dataset.

    Attributes:
        method: the recommended method.
        expected_regret: its predicted regret (metric points, pp for accuracies).
        predicted: predicted regret of every method.
        neighbours: names of the nearest benchmark conditions, nearest first.
        distances: their distances in standardised regime space.
    """

    method: str
    expected_regret: float
    predicted: dict[str, float]
    neighbours: list[str]
    distances: list[float]


class KNNSelector:
    """Recommend the method with the lowest mean regret among the k nearest conditions.

    Args:
        k: neighbours (capped at the number of training conditions).
        features: regime features used (default: all of :data:`REGIME_FEATURES`).

    Example:
        >>> regimes = np.array([[0.0], [0.1], [0.4], [0.5]])
        >>> regrets = np.array([[0.0, 3.0], [0.5, 2.0], [6.0, 0.0], [5.0, 1.0]])
        >>> sel = KNNSelector(k=2, features=["noise_rate"]).fit(regimes, regrets, ["lp", "elr"])
        >>> r = sel.recommend({"noise_rate": 0.45})
        >>> r.method, r.expected_regret
        ('elr', 0.5)
    """

    def __init__(self, *, k: int = 5, features: Sequence[str] = REGIME_FEATURES) -> None:
        if not isinstance(k, int) or k < 1:
            raise NoisyProbeError(f"k: expected a positive integer, got {k!r}")
        unknown = [f for f in features if f not in REGIME_FEATURES]
        if unknown or not features:
            raise NoisyProbeError(
                f"features: unknown {unknown[0] if unknown else 'empty list'}; "
                f"expected names from: {', '.join(REGIME_FEATURES)}"
            )
        self.k = k
        self.features = list(features)

    def fit(
        self,
        regimes: np.ndarray,
        regrets: np.ndarray,
        methods: Sequence[str],
        names: Sequence[str] | None = None,
    ) -> KNNSelector:
        """Store the training conditions.

        Args:
            regimes: [n, f] regime features in the order of ``features``.
            regrets: [n, m] regret of each method per condition.
            methods: the m method names.
            names: optional condition names (reported as neighbours).
        """
        x = np.asarray(regimes, dtype=np.float64)
        y = np.asarray(regrets, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != len(self.features):
            raise NoisyProbeError(
                f"regimes: expected [n, {len(self.features)}], got shape {x.shape}"
            )
        if y.shape != (x.shape[0], len(methods)) or x.shape[0] == 0:
            raise NoisyProbeError(f"regrets: expected [{x.shape[0]}, {len(methods)}] (n > 0)")
        if not np.isfinite(y).all():
            raise NoisyProbeError("regrets: NaN or Inf present")
        finite = np.where(np.isfinite(x), x, np.nan)
        with warnings.catch_warnings():  # all-NaN columns: handled just below
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(finite, axis=0)
            std = np.nanstd(finite, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        self.mean_, self.std_ = mean, std
        self.x_ = self._standardise(x)
        self.regrets_ = y
        self.methods_ = list(methods)
        self.names_ = list(names) if names is not None else [str(i) for i in range(len(x))]
        return self

    def _standardise(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean_) / self.std_
        return np.where(np.isfinite(z), z, 0.0)

    def _vector(self, regime: Mapping[str, float]) -> np.ndarray:
        return np.array([float(regime.get(f, np.nan)) for f in self.features])

    def neighbours(self, regime: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and distances of the k nearest training conditions (stable on ties)."""
        z = self._standardise(self._vector(regime)[None, :])[0]
        dist = np.sqrt(((self.x_ - z) ** 2).sum(axis=1))
        order = np.argsort(dist, kind="stable")[: min(self.k, len(dist))]
        return order, dist[order]

    def predict(self, regime: Mapping[str, float]) -> np.ndarray:
        """Predicted regret [m] of every method."""
        idx, _ = self.neighbours(regime)
        return self.regrets_[idx].mean(axis=0)

    def recommend(self, regime: Mapping[str, float]) -> Recommendation:
        """The method with the lowest predicted regret (first in method order on ties).

        Subclasses change only :meth:`predict`; the neighbours are still reported.
        """
        if not hasattr(self, "x_"):
            raise NoisyProbeError("the selector is not fitted")
        idx, dist = self.neighbours(regime)
        pred = self.predict(regime)
        best = int(np.argmin(pred))
        return Recommendation(
            method=self.methods_[best],
            expected_regret=float(pred[best]),
            predicted={m: float(v) for m, v in zip(self.methods_, pred)},
            neighbours=[self.names_[i] for i in idx],
            distances=[float(d) for d in dist],
        )
