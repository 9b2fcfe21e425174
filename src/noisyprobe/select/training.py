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
            without clean labels; ``None`` when the ledger's runs did not record it.
    """

    conditions: Any
    regimes: np.ndarray
    regrets: np.ndarray
    methods: list[str]
    metric: str
    validation: np.ndarray | None = None


def training_table(
    ledger_path: str | os.PathLike[str],
    *,
    metric: str | None = None,
    methods: Sequence[str] | None = None,
) -> TrainingTable:
    """Build the selector's training table from a ledger (see the module docstring).

    Raises:
        NoisyProbeError: no condition has both regime features and every method's result.
    """
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
        validation=_validation_matrix(runs, info["condition_key"], list(matrix.methods), metric),
    )


def _validation_matrix(runs, condition_keys, methods: list[str], metric: str):
    """[conditions, methods] mean noisy-validation ``metric``, or ``None`` if any is missing."""
    import json

    from noisyprobe.bench.summary import method_labels

    def score(raw) -> float:
        held_out = (json.loads(raw) if isinstance(raw, str) else raw or {}).get("noisy_val")
        value = (held_out or {}).get(metric)
        return np.nan if value is None else float(value)

    df = runs.assign(
        method_label=method_labels(runs), noisy_val=[score(m) for m in runs["metrics"]]
    )
    table = df.pivot_table(
        index="condition_key", columns="method_label", values="noisy_val", aggfunc="mean"
    )
    table = table.reindex(index=list(condition_keys), columns=methods)
    values = table.to_numpy(dtype=np.float64)
    return None if np.isnan(values).any() else values
