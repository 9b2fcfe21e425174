"""Selection on noisy held-out labels, optionally tempered by a regime-based prior.

On cached features every candidate head is cheap to train, so a user can score all of them
on a validation split. Its labels are as noisy as the training labels, which biases the
score, but under class-conditional noise the ranking it gives usually tracks the clean one.
:class:`BlendedSelector` mixes the two signals in percentage points:

    predicted_m = weight * prior_regret_m + (1 - weight) * (max_j v_j - v_m) * 100

where ``v`` is each method's noisy-validation score and ``prior_regret`` comes from a
regime selector (k-nearest conditions or ridge). ``weight = 0`` picks the best
noisy-validation score; ``weight = 1`` is the regime selector alone.
:func:`fit_weight` chooses the weight by leave-one-dataset-out on the benchmark conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.recommender import KNNSelector, Recommendation

WEIGHTS = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))
"""Weights :func:`fit_weight` tries."""


def validation_gap(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Each method's distance below the best noisy-validation score, in points x 100.

    Example:
        >>> validation_gap([0.80, 0.75, 0.81]).round(2).tolist()
        [1.0, 6.0, 0.0]
    """
    v = np.asarray(scores, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all():
        raise NoisyProbeError(
            f"validation scores: expected a finite 1-d vector, got shape {v.shape}"
        )
    return (v.max() - v) * 100.0


class BlendedSelector:
    """Pick the method that minimises a blend of prior regret and noisy-validation gap.

    Args:
        prior: a fitted regime selector (its ``predict`` gives regret per method); may be
            ``None`` only with ``weight == 0``.
        weight: share of the prior in [0, 1].

    Example:
        >>> regimes = np.array([[0.0], [0.4]])
        >>> prior = KNNSelector(k=1, features=["noise_rate"]).fit(
        ...     regimes, np.array([[0.0, 3.0], [6.0, 0.0]]), ["lp", "elr"])
        >>> BlendedSelector(prior, weight=0.0).recommend({"noise_rate": 0.4}, [0.9, 0.8]).method
        'lp'
        >>> BlendedSelector(prior, weight=1.0).recommend({"noise_rate": 0.4}, [0.9, 0.8]).method
        'elr'
    """

    def __init__(self, prior: KNNSelector | None, *, weight: float) -> None:
        if not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
            raise NoisyProbeError(f"weight: expected a number in [0, 1], got {weight!r}")
        if prior is None and weight > 0:
            raise NoisyProbeError("weight > 0 needs a fitted regime selector as prior")
        self.prior = prior
        self.weight = float(weight)

    def predict(self, regime: Mapping[str, float], validation: Sequence[float]) -> np.ndarray:
        """Blended score [m] of every method (lower is better)."""
        gap = validation_gap(validation)
        if self.prior is None or self.weight == 0:
            return gap
        prior = self.prior.predict(regime)
        if prior.shape != gap.shape:
            raise NoisyProbeError(
                f"validation scores: expected {prior.size} (one per method), got {gap.size}"
            )
        return self.weight * prior + (1.0 - self.weight) * gap

    def recommend(
        self, regime: Mapping[str, float], validation: Sequence[float], methods=None
    ) -> Recommendation:
        """The method with the lowest blended score (first in method order on ties)."""
        names = list(methods if methods is not None else self.prior.methods_)
        pred = self.predict(regime, validation)
        best = int(np.argmin(pred))
        neighbours: list[str] = []
        distances: list[float] = []
        if self.prior is not None:
            idx, dist = self.prior.neighbours(regime)
            neighbours = [self.prior.names_[i] for i in idx]
            distances = [float(d) for d in dist]
        return Recommendation(
            method=names[best],
            expected_regret=float(pred[best]),
            predicted={m: float(v) for m, v in zip(names, pred)},
            neighbours=neighbours,
            distances=distances,
        )


def fit_weight(
    regimes: np.ndarray,
    regrets: np.ndarray,
    validation: np.ndarray,
    datasets: Sequence[str],
    make_prior,
    *,
    weights: Sequence[float] = WEIGHTS,
) -> float:
    """The weight with the lowest mean regret by leave-one-dataset-out on these conditions.

    Args:
        regimes: [n, f] regime features (in the prior's feature order).
        regrets: [n, m] regret of each method (pp).
        validation: [n, m] noisy-validation scores.
        datasets: [n] dataset of each condition (the folds).
        make_prior: ``callable(regimes, regrets) -> fitted selector``.
        weights: candidates; ties go to the smaller weight (more validation evidence).

    Example:
        >>> regimes = np.zeros((4, 1)); datasets = ["a", "a", "b", "b"]
        >>> regrets = np.array([[0.0, 2.0], [0.0, 2.0], [0.0, 2.0], [0.0, 2.0]])
        >>> validation = np.array([[0.7, 0.8], [0.7, 0.8], [0.7, 0.8], [0.7, 0.8]])
        >>> prior = lambda x, r: KNNSelector(k=1, features=["noise_rate"]).fit(x, r, ["a", "b"])
        >>> fit_weight(regimes, regrets, validation, datasets, prior)  # validation misleads
        0.9
    """
    ds = np.asarray(datasets)
    folds = list(dict.fromkeys(ds))
    if len(folds) < 2:
        return float(weights[-1])  # no held-out dataset to learn from: trust the prior
    totals = np.zeros(len(weights))
    for held in folds:
        test, train = ds == held, ds != held
        prior = make_prior(regimes[train], regrets[train])
        for i in np.flatnonzero(test):
            regime = dict(zip(prior.features, regimes[i]))
            prior_regret = prior.predict(regime)
            gap = validation_gap(validation[i])
            for w, weight in enumerate(weights):
                pick = int(np.argmin(weight * prior_regret + (1.0 - weight) * gap))
                totals[w] += regrets[i, pick]
    return float(weights[int(np.argmin(totals))])
