"""The selector's training table, read from a benchmark ledger.

One row per condition that has regime features and a result for every method: its regime
features, and each method's regret (best − method, in percentage points, after averaging
seeds) under the ledger's metric.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.regime import REGIME_FEATURES

VALIDATION_SCORES = ("noisy", "corrected", "clean")
"""What :attr:`TrainingTable.validation` holds per run before seeds are averaged:

- ``noisy``: the metric on the val split's noisy labels, as recorded;
- ``corrected``: that score corrected with the condition's estimated noise transition
  (:func:`noisyprobe.select.corrected.corrected_score`; needs the recorded confusion counts
  and the regime's ``transition``);
- ``clean``: the same predictions on the val rows' clean labels (``metrics.clean_val``):
  the ceiling of any selector that picks on validation scores, for measuring selectors only.
"""


@dataclass(frozen=True)
class TrainingTable:
    """Benchmark conditions as selector training data.

    Attributes:
        conditions: DataFrame (``condition_key``, ``name``, ``dataset``, ``featureset``,
            ``noise``, ``rate``) in row order.
        regimes: [n, f] regime features in the order of :data:`REGIME_FEATURES`.
        regrets: [n, m] regret of each method (pp).
        methods: the m method labels.
        metric: the metric the regret is measured in.
        validation: [n, m] each method's mean score (seeds averaged) on the condition's
            *noisy* validation labels (``metrics.noisy_val``), the evidence a user holds
            without clean labels (or a score derived from it: ``validation_score``);
            NaN rows for conditions without one (no labelled val split in their label
            column, e.g. PadChest's ``rnn`` rows are all training rows), ``None`` when no
            run of the ledger recorded it.
        validation_score: which score ``validation`` holds (:data:`VALIDATION_SCORES`).
    """

    conditions: Any
    regimes: np.ndarray
    regrets: np.ndarray
    methods: list[str]
    metric: str
    validation: np.ndarray | None = None
    validation_score: str = "noisy"

    def subset(self, rows: np.ndarray) -> TrainingTable:
        """The table restricted to ``rows`` (a boolean mask or indices), in that order."""
        return TrainingTable(
            conditions=self.conditions.iloc[
                np.flatnonzero(rows) if rows.dtype == bool else rows
            ].reset_index(drop=True),
            regimes=self.regimes[rows],
            regrets=self.regrets[rows],
            methods=list(self.methods),
            metric=self.metric,
            validation=None if self.validation is None else self.validation[rows],
            validation_score=self.validation_score,
        )

    def validated(self) -> TrainingTable:
        """The conditions that have every method's noisy-validation score.

        Raises:
            NoisyProbeError: no condition has them.

        Example:
            >>> import pandas as pd
            >>> t = TrainingTable(pd.DataFrame({"name": ["a", "b"]}), np.zeros((2, 1)),
            ...                   np.zeros((2, 2)), ["lp", "elr"], "balanced_accuracy",
            ...                   validation=np.array([[0.8, np.nan], [0.7, 0.9]]))
            >>> t.validated().conditions["name"].tolist()
            ['b']
        """
        complete = (
            np.zeros(len(self.regrets), dtype=bool)
            if self.validation is None
            else ~np.isnan(self.validation).any(axis=1)
        )
        if not complete.any():
            raise NoisyProbeError(
                "no condition has every run's noisy-validation score (metrics.noisy_val): "
                "re-run the grid with this noisyprobe, on data with a labelled val split"
            )
        return self.subset(complete)


def training_table(
    ledger_path: str | os.PathLike[str],
    *,
    metric: str | None = None,
    methods: Sequence[str] | None = None,
    validation_score: str = "noisy",
) -> TrainingTable:
    """Build the selector's training table from a ledger (see the module docstring).

    ``validation_score``: one of :data:`VALIDATION_SCORES`.

    Raises:
        NoisyProbeError: no condition has both regime features and every method's result,
            or ``validation_score`` is unknown.
    """
    if validation_score not in VALIDATION_SCORES:
        raise NoisyProbeError(
            f"validation score: expected one of {', '.join(VALIDATION_SCORES)}, "
            f"got {validation_score!r}"
        )
    from noisyprobe.bench.ledger import Ledger
    from noisyprobe.bench.summary import regret_matrix, score_matrix

    with Ledger(ledger_path, readonly=True) as ledger:
        metric = metric or ledger.get_meta("metric", "balanced_accuracy")
        runs = ledger.runs()
        conds = ledger.conditions()
    matrix = score_matrix(runs, metric=metric, methods=methods)
    regimes = {k: r for k, r in zip(conds["key"], conds["regime"]) if r is not None}
    have = matrix.conditions["condition_key"].isin(list(regimes)).to_numpy()
    if not have.any():
        raise NoisyProbeError(
            f"{ledger_path}: no condition has regime features; run `noisyprobe bench` without "
            "--no-regime"
        )
    info = matrix.conditions[have].reset_index(drop=True)
    x = np.array(
        [
            [np.nan if regimes[k].get(f) is None else float(regimes[k][f]) for f in REGIME_FEATURES]
            for k in info["condition_key"]
        ],
        dtype=np.float64,
    )
    return TrainingTable(
        conditions=info,
        regimes=x,
        regrets=regret_matrix(matrix)[have],
        methods=list(matrix.methods),
        metric=metric,
        validation=_validation_matrix(
            runs,
            info["condition_key"],
            list(matrix.methods),
            metric,
            score=validation_score,
            transitions={k: regimes[k].get("transition") for k in info["condition_key"]},
        ),
        validation_score=validation_score,
    )


def _validation_matrix(
    runs,
    condition_keys,
    methods: list[str],
    metric: str,
    *,
    score: str = "noisy",
    transitions: dict[str, Any] | None = None,
):
    """[conditions, methods] mean validation ``metric`` (NaN where missing), or ``None``.

    ``score`` as in :data:`VALIDATION_SCORES`; ``transitions``: condition key -> its
    estimated T (for ``corrected``). ``None`` when no run has one (a ledger from before
    ``metrics.noisy_val``, or from before the confusion counts for ``corrected``).
    """
    import json

    from noisyprobe.bench.summary import method_labels
    from noisyprobe.select.corrected import corrected_score

    transitions = transitions or {}

    def value(raw, condition_key: str) -> float:
        recorded = json.loads(raw) if isinstance(raw, str) else raw or {}
        if score == "clean":
            found = (recorded.get("clean_val") or {}).get(metric)
            return np.nan if found is None else float(found)
        held_out = recorded.get("noisy_val") or {}
        if score == "noisy":
            found = held_out.get(metric)
            return np.nan if found is None else float(found)
        transition = transitions.get(condition_key)
        if held_out.get("confusion") is None or transition is None:
            return np.nan
        return corrected_score(held_out["confusion"], transition, metric=metric)

    df = runs.assign(
        method_label=method_labels(runs),
        noisy_val=[value(m, k) for m, k in zip(runs["metrics"], runs["condition_key"])],
    )
    table = df.pivot_table(
        index="condition_key", columns="method_label", values="noisy_val", aggfunc="mean"
    )
    table = table.reindex(index=list(condition_keys), columns=methods)
    values = table.to_numpy(dtype=np.float64)
    return None if np.isnan(values).all() else values
