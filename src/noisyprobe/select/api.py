"""One call from a FeatureSet and a ledger to a recommendation."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from noisyprobe.select.recommender import Recommendation


@dataclass(frozen=True)
class Selection:
    """The regime of the user's data and the selector's recommendation for it.

    Attributes:
        regime: regime feature name -> value.
        recommendation: the :class:`Recommendation`.
        conditions: how many benchmark conditions the selector learned from.
        metric: the metric regret is measured in.
        samples: labelled training samples the regime was estimated on.
        model: the selector (:data:`~noisyprobe.select.validate.MODELS`).
        validation: for ``validation``/``blend``, each method's mean balanced accuracy on
            the val split's (noisy) labels.
        weight: for ``blend``, the regime prior's weight fitted on the ledger.
    """

    regime: dict[str, float]
    recommendation: Recommendation
    conditions: int
    metric: str
    samples: int
    model: str = "knn"
    validation: dict[str, float] | None = None
    weight: float | None = None


def recommend(
    features: str | os.PathLike[str],
    ledger: str | os.PathLike[str],
    *,
    labels: str | None = None,
    split: str = "train",
    k: int = 5,
    metric: str | None = None,
    seed: int = 0,
    model: str = "knn",
    progress: bool = False,
    validation_score: str = "noisy",
    methods: Sequence[str] | None = None,
) -> Selection:
    """Estimate the regime of a FeatureSet's labelled split and recommend a method.

    Args:
        features: FeatureSet folder.
        ledger: a benchmark ledger with regime features (``noisyprobe bench``).
        labels: label column holding the given labels (default: the main labels).
        split: split whose labelled samples describe the data.
        k: neighbours of the k-nearest selector (and of ridge's fallback).
        metric: metric of the regret (default: the ledger's).
        seed: seeds the regime estimate.
        model: ``knn`` or ``ridge`` read the regime only; ``validation`` and ``blend`` also
            train every ledger method on the train split as the grid did and score it on
            the val split's labels (:mod:`noisyprobe.select.noisy_validation`); ``blend``
            mixes that with ridge's predicted regret and ``blend-mean`` with each method's
            mean regret on the ledger, weighted as leave-one-dataset-out on the ledger's
            conditions found best (:func:`~noisyprobe.select.held_out.fit_weight`).
        progress: progress bars while training (``validation`` and the blends).
        validation_score: ``noisy`` (the val labels' balanced accuracy) or ``corrected``
            (corrected with the noise transition estimated on the training labels,
            :mod:`noisyprobe.select.corrected`); the ledger's scores are read the same way.
        methods: only these ledger methods (default: all; the conditions where all of
            them finished are used).

    Example:
        >>> # sel = recommend("features/iu-normal", "bench.sqlite", labels="automatic",
        >>> #                 model="blend")
    """
    from noisyprobe.errors import NoisyProbeError
    from noisyprobe.features.store import FeatureSet
    from noisyprobe.select.held_out import BlendedSelector, fit_weight
    from noisyprobe.select.regime import REGIME_FEATURES, regime_and_transition
    from noisyprobe.select.training import training_table
    from noisyprobe.select.validate import BLENDS, HELD_OUT, MODELS, prior_class

    if model not in MODELS:
        raise NoisyProbeError(f"model: expected one of {', '.join(MODELS)}, got {model!r}")
    if validation_score not in ("noisy", "corrected"):
        raise NoisyProbeError(
            f"validation score: expected noisy or corrected, got {validation_score!r}"
        )
    table = training_table(
        ledger, metric=metric, methods=methods, validation_score=validation_score
    )
    if model in HELD_OUT:
        table = table.validated()
    fs = FeatureSet.load(features)
    idx = fs.indices(split, column=labels)
    regime, transition = regime_and_transition(
        fs.features[idx], fs.label_column(labels)[idx], fs.num_classes, seed=seed
    )
    names = list(table.conditions["name"])

    def make_prior(x: np.ndarray, regrets: np.ndarray, rows: list[str] | None = None):
        return prior_class(model)(k=k).fit(x, regrets, table.methods, rows)

    prior = make_prior(table.regimes, table.regrets, names)
    scores = weight = None
    if model in ("knn", "ridge"):
        rec = prior.recommend(regime)
    else:
        from noisyprobe.select.noisy_validation import ledger_methods, noisy_validation_scores

        grid = ledger_methods(ledger)
        scores = noisy_validation_scores(
            fs,
            {m: grid.methods[m] for m in table.methods},
            labels=labels,
            train=grid.train,
            progress=progress,
            transition=transition if validation_score == "corrected" else None,
        )
        weight = 0.0
        if model in BLENDS:
            weight = fit_weight(
                table.regimes,
                table.regrets,
                table.validation,
                table.conditions["dataset"].to_numpy(),
                make_prior,
            )
        selector = BlendedSelector(prior if weight else None, weight=weight)
        rec = selector.recommend(regime, [scores[m] for m in table.methods], methods=table.methods)
    return Selection(
        regime={f: regime[f] for f in REGIME_FEATURES},
        recommendation=rec,
        conditions=len(table.regimes),
        metric=table.metric,
        samples=int(idx.size),
        model=model,
        validation=scores,
        weight=weight,
    )
