"""Ridge selector: per-method ridge regression of regret on standardised regime features."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.recommender import KNNSelector
from noisyprobe.select.regime import REGIME_FEATURES


class RidgeSelector(KNNSelector):
    """Predict each method's regret by ridge regression on the regime features.

    The intercept is the method's mean training regret (not penalised), so a large
    ``alpha`` shrinks every prediction to the best fixed method's choice.

    Args:
        alpha: ridge penalty (> 0) on the standardised features.
        k: neighbours still reported in the recommendation.
        features: regime features used.

    Example:
        >>> regimes = np.array([[0.0], [0.1], [0.4], [0.5]])
        >>> regrets = np.array([[0.0, 3.0], [0.5, 2.0], [6.0, 0.0], [5.0, 1.0]])
        >>> sel = RidgeSelector(alpha=0.1, features=["noise_rate"])
        >>> sel.fit(regimes, regrets, ["lp", "elr"]).recommend({"noise_rate": 0.45}).method
        'elr'
    """

    def __init__(
        self, *, alpha: float = 1.0, k: int = 5, features: Sequence[str] = REGIME_FEATURES
    ) -> None:
        super().__init__(k=k, features=features)
        if not isinstance(alpha, (int, float)) or not alpha > 0:
            raise NoisyProbeError(f"alpha: expected a positive number, got {alpha!r}")
        self.alpha = float(alpha)

    def fit(self, regimes, regrets, methods, names=None) -> RidgeSelector:  # noqa: D102
        super().fit(regimes, regrets, methods, names)
        x, y = self.x_, self.regrets_
        self.intercept_ = y.mean(axis=0)
        gram = x.T @ x + self.alpha * np.eye(x.shape[1])
        self.coef_ = np.linalg.solve(gram, x.T @ (y - self.intercept_))
        return self

    def predict(self, regime: Mapping[str, float]) -> np.ndarray:
        """Predicted regret [m] of every method."""
        z = self._standardise(self._vector(regime)[None, :])[0]
        return self.intercept_ + z @ self.coef_


class MeanRegretSelector(RidgeSelector):
    """Predict each method's regret as its mean regret over the benchmark conditions.

    The regime features are ignored (ridge with an infinite penalty): the prediction is the
    ranking of the best fixed method. As the prior of the blended selector
    (:class:`~noisyprobe.select.held_out.BlendedSelector`, model ``blend-mean``) it breaks
    the noisy-validation scores' near-ties with what works on average, where the ridge
    prior also moves with the regime features, which do not carry over between data sets
    here (benchmarks/results/bench-medical.md).

    Example:
        >>> regrets = np.array([[0.0, 3.0], [4.0, 2.0]])
        >>> sel = MeanRegretSelector(features=["noise_rate"])
        >>> sel.fit(np.array([[0.0], [0.4]]), regrets, ["lp", "elr"]).predict({"noise_rate": 0.4})
        array([2. , 2.5])
    """

    def fit(self, regimes, regrets, methods, names=None) -> MeanRegretSelector:  # noqa: D102
        KNNSelector.fit(self, regimes, regrets, methods, names)
        self.intercept_ = self.regrets_.mean(axis=0)
        self.coef_ = np.zeros((self.x_.shape[1], self.regrets_.shape[1]))
        return self
