"""Leave-one-dataset-out validation of the selector against every fixed choice.

For each dataset of the ledger, the selector is fitted on the conditions of the *other*
datasets and picks a method for each held-out condition; its regret there is best − picked.
The comparison: each fixed method's regret on the same conditions, the fixed method that
looked best on the training datasets (the honest no-selector baseline, chosen per fold),
and the oracle (0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.recommender import KNNSelector
from noisyprobe.select.regime import REGIME_FEATURES
from noisyprobe.select.training import TrainingTable


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


def leave_one_dataset_out(
    table: TrainingTable,
    *,
    k: int = 5,
    features: Sequence[str] = REGIME_FEATURES,
    model: str = "knn",
) -> Validation:
    """Validate the selector by holding out one dataset at a time.

    Raises:
        NoisyProbeError: the table holds fewer than two datasets.

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

    if model not in ("knn", "ridge"):
        raise NoisyProbeError(f"model: expected knn or ridge, got {model!r}")
    datasets = list(dict.fromkeys(table.conditions["dataset"]))
    if len(datasets) < 2:
        raise NoisyProbeError(
            "leave-one-dataset-out needs conditions from at least two datasets; "
            f"the ledger has: {', '.join(datasets) or 'none'}"
        )
    cols = [REGIME_FEATURES.index(f) for f in features]
    ds = table.conditions["dataset"].to_numpy()
    names = table.conditions["name"].to_numpy()
    rows = []
    order: list[int] = []
    for held in datasets:
        test = ds == held
        train = ~test
        if model == "ridge":
            from noisyprobe.select.regression import RidgeSelector

            selector: KNNSelector = RidgeSelector(k=k, features=features)
        else:
            selector = KNNSelector(k=k, features=features)
        selector = selector.fit(
            table.regimes[train][:, cols], table.regrets[train], table.methods, names[train]
        )
        fallback = int(np.argmin(table.regrets[train].mean(axis=0)))
        for i in np.flatnonzero(test):
            regime = dict(zip(features, table.regimes[i, cols]))
            rec = selector.recommend(regime)
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
    )


def validation_markdown(v: Validation) -> str:
    """The validation as markdown: every choice's mean and max regret, and per-dataset means."""
    from noisyprobe.bench.summary import markdown_table

    n = len(v.picks)
    rows = [
        [
            "selector (k-nearest conditions)" if v.model == "knn" else "selector (ridge on regime)",
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
