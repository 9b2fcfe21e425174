"""One call from a FeatureSet and a ledger to a recommendation."""

from __future__ import annotations

import os
from dataclasses import dataclass

from noisyprobe.select.recommender import KNNSelector, Recommendation


@dataclass(frozen=True)
class Selection:
    """The regime of the user's data and the selector's recommendation for it.

    Attributes:
        regime: regime feature name -> value.
        recommendation: the :class:`Recommendation`.
        conditions: how many benchmark conditions the selector learned from.
        metric: the metric regret is measured in.
        samples: labelled training samples the regime was estimated on.
    """

    regime: dict[str, float]
    recommendation: Recommendation
    conditions: int
    metric: str
    samples: int


def recommend(
    features: str | os.PathLike[str],
    ledger: str | os.PathLike[str],
    *,
    labels: str | None = None,
    split: str = "train",
    k: int = 5,
    metric: str | None = None,
    seed: int = 0,
) -> Selection:
    """Estimate the regime of a FeatureSet's labelled split and recommend a method.

    Args:
        features: FeatureSet folder.
        ledger: a benchmark ledger with regime features (``noisyprobe bench``).
        labels: label column holding the given labels (default: the main labels).
        split: split whose labelled samples describe the data.
        k: neighbours of the selector.
        metric: metric of the regret (default: the ledger's).
        seed: seeds the regime estimate.

    Example:
        >>> # sel = recommend("features/padchest-minilm", "bench.sqlite", labels="rnn")
    """
    from noisyprobe.features.store import FeatureSet
    from noisyprobe.select.regime import REGIME_FEATURES, estimate_regime
    from noisyprobe.select.training import training_table

    table = training_table(ledger, metric=metric)
    fs = FeatureSet.load(features)
    idx = fs.indices(split, column=labels)
    regime = estimate_regime(
        fs.features[idx], fs.label_column(labels)[idx], fs.num_classes, seed=seed
    )
    selector = KNNSelector(k=k).fit(
        table.regimes, table.regrets, table.methods, list(table.conditions["name"])
    )
    return Selection(
        regime={f: regime[f] for f in REGIME_FEATURES},
        recommendation=selector.recommend(regime),
        conditions=len(table.regimes),
        metric=table.metric,
        samples=int(idx.size),
    )
