"""Leave-one-dataset-out validation of the selector against every fixed choice.

For each dataset of the ledger, the selector is fitted on the conditions of the *other*
datasets and picks a method for each held-out condition; its regret there is best − picked.
The comparison: each fixed method's regret on the same conditions, the fixed method that
looked best on the training datasets (the honest no-selector baseline, chosen per fold),
and the oracle (0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.held_out import BlendedSelector, fit_weight
from noisyprobe.select.recommender import KNNSelector
from noisyprobe.select.regime import REGIME_FEATURES
from noisyprobe.select.regression import MeanRegretSelector, RidgeSelector
from noisyprobe.select.training import TrainingTable

MODELS = ("knn", "ridge", "validation", "blend", "blend-mean")
"""Selectors :func:`leave_one_dataset_out` validates: k-nearest conditions and ridge read
the regime features only; ``validation`` picks each condition's best noisy-validation score;
``blend`` mixes ridge's predicted regret with that score, ``blend-mean`` each method's mean
regret over the benchmark (weight fitted on the training datasets,
:mod:`noisyprobe.select.held_out`)."""

BLENDS = ("blend", "blend-mean")
"""Models that blend a prior with the noisy-validation scores."""

HELD_OUT = ("validation", *BLENDS)
"""Models that need each method's noisy-validation score."""


def prior_class(model: str) -> type[KNNSelector]:
    """The regime selector a model uses on its own or as its prior.

    Example:
        >>> prior_class("blend-mean").__name__
        'MeanRegretSelector'
    """
    if model == "knn":
        return KNNSelector
    return MeanRegretSelector if model == "blend-mean" else RidgeSelector


@dataclass(frozen=True)
class Validation:
    """Result of :func:`leave_one_dataset_out`.

    Attributes:
        picks: DataFrame, one row per held-out condition: ``dataset``, ``name``, ``picked``,
            ``selector_regret``, ``best_on_train``, ``best_on_train_regret``, ``oracle``.
        selector: mean regret of the selector.
        best_on_train: mean regret of the per-fold best fixed method.
        fixed: mean regret of each fixed method.
        fixed_max: worst regret of each fixed method.
        selector_max: worst regret of the selector.
        methods: method labels.
        metric: metric of the regret.
        model: the selector (:data:`MODELS`).
        weights: for ``blend``, the prior's weight chosen per held-out dataset.
        validation_score: what the held-out models picked on
            (:data:`~noisyprobe.select.training.VALIDATION_SCORES`).
    """

    picks: Any
    selector: float
    selector_max: float
    best_on_train: float
    fixed: dict[str, float]
    fixed_max: dict[str, float]
    methods: list[str]
    metric: str
    model: str = "knn"
    weights: dict[str, float] = field(default_factory=dict)
    validation_score: str = "noisy"


def leave_one_dataset_out(
    table: TrainingTable,
    *,
    k: int = 5,
    features: Sequence[str] = REGIME_FEATURES,
    model: str = "knn",
) -> Validation:
    """Validate the selector by holding out one dataset at a time.

    The held-out models (``validation``, ``blend``) are validated on the conditions that
    have every method's noisy-validation score (:meth:`TrainingTable.validated`), and so are
    the fixed choices they are compared with in the result.

    Raises:
        NoisyProbeError: the table holds fewer than two datasets (with scores, for the
            held-out models).

    Example:
        >>> import pandas as pd
        >>> conds = pd.DataFrame({"dataset": ["a", "a", "b", "b"], "name": list("wxyz")})
        >>> x = np.zeros((4, len(REGIME_FEATURES))); x[:, 0] = [0.0, 0.4, 0.0, 0.4]
        >>> reg = np.array([[0.0, 2.0], [3.0, 0.0], [0.0, 1.0], [4.0, 0.0]])
        >>> t = TrainingTable(conds, x, reg, ["lp", "elr"], "balanced_accuracy")
        >>> v = leave_one_dataset_out(t, k=1)
        >>> v.selector, v.fixed
        (0.0, {'lp': 1.75, 'elr': 0.75})
    """
    import pandas as pd

    if model not in MODELS:
        raise NoisyProbeError(f"model: expected one of {', '.join(MODELS)}, got {model!r}")
    held_out = model in HELD_OUT
    if held_out:
        if table.validation is None:
            raise NoisyProbeError(
                f"model {model!r} needs each run's noisy-validation score (metrics.noisy_val); "
                "this ledger's runs did not record it: re-run its grid with this noisyprobe"
            )
        table = table.validated()
    datasets = list(dict.fromkeys(table.conditions["dataset"]))
    if len(datasets) < 2:
        raise NoisyProbeError(
            "leave-one-dataset-out needs conditions from at least two datasets; "
            f"the ledger has: {', '.join(datasets) or 'none'}"
        )
    cols = [REGIME_FEATURES.index(f) for f in features]
    ds = table.conditions["dataset"].to_numpy()
    names = table.conditions["name"].to_numpy()

    def make_prior(x: np.ndarray, regrets: np.ndarray, chosen: np.ndarray | None = None):
        selector = prior_class(model)(k=k, features=features)
        return selector.fit(x, regrets, table.methods, None if chosen is None else names[chosen])

    rows = []
    order: list[int] = []
    weights: dict[str, float] = {}
    for held in datasets:
        test = ds == held
        train = ~test
        x_train = table.regimes[train][:, cols]
        prior = None if model == "validation" else make_prior(x_train, table.regrets[train], train)
        if held_out:
            weight = 0.0
            if model in BLENDS:
                weight = fit_weight(
                    x_train, table.regrets[train], table.validation[train], ds[train], make_prior
                )
            weights[held] = weight
            selector = BlendedSelector(prior, weight=weight)
        fallback = int(np.argmin(table.regrets[train].mean(axis=0)))
        for i in np.flatnonzero(test):
            regime = dict(zip(features, table.regimes[i, cols]))
            if held_out:
                rec = selector.recommend(regime, table.validation[i], methods=table.methods)
            else:
                rec = prior.recommend(regime)
            j = table.methods.index(rec.method)
            order.append(int(i))
            rows.append(
                {
                    "dataset": held,
                    "name": names[i],
                    "picked": rec.method,
                    "expected_regret": rec.expected_regret,
                    "selector_regret": float(table.regrets[i, j]),
                    "best_on_train": table.methods[fallback],
                    "best_on_train_regret": float(table.regrets[i, fallback]),
                    "oracle": table.methods[int(np.argmin(table.regrets[i]))],
                }
            )
    picks = pd.DataFrame(rows)
    held_regrets = table.regrets[order]
    return Validation(
        picks=picks,
        selector=float(picks["selector_regret"].mean()),
        selector_max=float(picks["selector_regret"].max()),
        best_on_train=float(picks["best_on_train_regret"].mean()),
        fixed={m: float(v) for m, v in zip(table.methods, held_regrets.mean(axis=0))},
        fixed_max={m: float(v) for m, v in zip(table.methods, held_regrets.max(axis=0))},
        methods=list(table.methods),
        metric=table.metric,
        model=model,
        weights=weights,
        validation_score=table.validation_score if held_out else "noisy",
    )


MODEL_NAMES = {
    "knn": "k-nearest conditions",
    "ridge": "ridge on regime",
    "validation": "best noisy-validation score",
    "blend": "ridge on regime + noisy validation",
    "blend-mean": "benchmark mean regret + noisy validation",
}


def validation_markdown(v: Validation) -> str:
    """The validation as markdown: every choice's mean and max regret, and per-dataset means."""
    from noisyprobe.bench.summary import markdown_table

    n = len(v.picks)
    name = MODEL_NAMES[v.model]
    if v.validation_score != "noisy":
        label = "clean val labels, a ceiling" if v.validation_score == "clean" else "corrected"
        name = f"{name}; {label}"
    rows = [
        [
            f"selector ({name})",
            f"{v.selector:.2f}",
            f"{v.selector_max:.2f}",
        ],
        [
            "best fixed method on the training datasets",
            f"{v.best_on_train:.2f}",
            f"{v.picks['best_on_train_regret'].max():.2f}",
        ],
    ]
    for m in sorted(v.methods, key=lambda m: v.fixed[m]):
        rows.append([f"always {m}", f"{v.fixed[m]:.2f}", f"{v.fixed_max[m]:.2f}"])
    rows.append(["oracle", "0.00", "0.00"])
    datasets = list(dict.fromkeys(v.picks["dataset"]))
    out = [
        "## Selector validation (leave one dataset out)",
        "",
        f"{n} held-out conditions from {len(datasets)} datasets; regret = best − chosen "
        f"{v.metric}, in percentage points.",
        "",
        markdown_table(["choice", "mean regret (pp)", "max regret (pp)"], rows),
        "",
    ]
    per = []
    for d in datasets:
        sub = v.picks[v.picks["dataset"] == d]
        per.append(
            [
                d,
                len(sub),
                f"{sub['selector_regret'].mean():.2f}",
                f"{sub['best_on_train_regret'].mean():.2f}",
                ", ".join(f"{m}:{c}" for m, c in sub["picked"].value_counts().items()),
            ]
        )
    out.append(
        markdown_table(["held-out dataset", "N", "selector", "best fixed on train", "picks"], per)
    )
    if v.weights and v.model in BLENDS:
        out += [
            "",
            "Prior weight chosen on the training datasets, per held-out dataset: "
            + ", ".join(f"{d} {w:.1f}" for d, w in v.weights.items()),
        ]
    out.append("")
    return "\n".join(out)


def _band(rate: float) -> str:
    if not rate > 0:
        return "0"
    return "<=0.25" if rate <= 0.25 else ">0.25"


def guidance_markdown(table: TrainingTable) -> str:
    """Per-regime guidance: noise kind x rate band -> lowest-mean-regret method.

    Example:
        >>> import pandas as pd
        >>> conds = pd.DataFrame({"noise": ["symmetric"] * 2, "rate": [0.2, 0.4]})
        >>> t = TrainingTable(conds, np.zeros((2, 1)), np.array([[0.0, 1.0], [2.0, 0.0]]),
        ...                   ["lp", "elr"], "balanced_accuracy")
        >>> "| symmetric | >0.25 | 1 | elr | 0.00 |" in guidance_markdown(t)
        True
    """
    noise = table.conditions["noise"].astype(str).to_numpy()
    bands = np.array([_band(float(r)) for r in table.conditions["rate"].fillna(0.0)])
    lines = [
        "## Per-regime guidance (all ledger conditions)",
        "",
        "| noise | rate | N | best method | mean regret (pp) | runner-up |",
        "|---|---|--:|---|--:|---|",
    ]
    for kind, band in sorted(set(zip(noise, bands))):
        rows = (noise == kind) & (bands == band)
        mean = table.regrets[rows].mean(axis=0)
        order = np.argsort(mean, kind="stable")
        second = f"{table.methods[order[1]]} ({mean[order[1]]:.2f})" if len(order) > 1 else "-"
        lines.append(
            f"| {kind} | {band} | {int(rows.sum())} | {table.methods[order[0]]} "
            f"| {mean[order[0]]:.2f} | {second} |"
        )
    return "\n".join(lines)
