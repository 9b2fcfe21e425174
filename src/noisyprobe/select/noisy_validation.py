"""Every benchmark method scored on the user's own noisy validation labels.

What the held-out selectors (``validation``, ``blend``) need on new data: each method of the
ledger, trained as the grid trained it (its hyperparameters and ``train`` settings, read
from the ledger's run specs) on the FeatureSet's training split, and scored by balanced
accuracy on the validation split's labels of the same column. Those labels are as noisy as
the training labels; no clean label is used, as in the grid's ``metrics.noisy_val``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError


@dataclass(frozen=True)
class LedgerMethods:
    """How a ledger's grid trained its methods.

    Attributes:
        methods: method label (as in the selector's table) -> (method name, hyperparameters).
        train: the grid's ``train`` settings (``TrainConfig`` keyword arguments).
    """

    methods: dict[str, tuple[str, dict[str, Any]]]
    train: dict[str, Any]


def ledger_methods(ledger_path: str | os.PathLike[str]) -> LedgerMethods:
    """Read each method's hyperparameters and the grid's training settings from a ledger.

    Raises:
        NoisyProbeError: the ledger has no finished run.
    """
    from noisyprobe.bench.ledger import Ledger
    from noisyprobe.bench.summary import method_labels

    with Ledger(ledger_path, readonly=True) as ledger:
        runs = ledger.runs()
    if runs.empty:
        raise NoisyProbeError(f"{ledger_path}: no finished run to read the methods from")
    specs = [json.loads(s) if isinstance(s, str) else s for s in runs["spec"]]
    methods: dict[str, tuple[str, dict[str, Any]]] = {}
    for label, spec in zip(method_labels(runs), specs):
        methods.setdefault(label, (spec["method"], dict(spec.get("params") or {})))
    trains = Counter(json.dumps(spec.get("train") or {}, sort_keys=True) for spec in specs)
    return LedgerMethods(methods=methods, train=json.loads(trains.most_common(1)[0][0]))


def noisy_validation_scores(
    fs: Any,
    methods: Mapping[str, tuple[str, Mapping[str, Any]]],
    *,
    labels: str | None = None,
    train: Mapping[str, Any] | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    progress: bool = False,
    transition: np.ndarray | None = None,
) -> dict[str, float]:
    """Mean balanced accuracy of each method on ``fs``'s validation labels (column ``labels``).

    Args:
        fs: a :class:`~noisyprobe.features.store.FeatureSet` with labelled train and val
            splits in column ``labels``.
        methods: label -> (method name, hyperparameters), e.g. from :func:`ledger_methods`.
        labels: the label column (default: the main labels).
        train: ``TrainConfig`` keyword arguments (default: ``TrainConfig()``).
        seeds: training seeds; the scores are averaged over them.
        progress: per-epoch progress bars.
        transition: an estimate of the noise, T[true, given]; with it each score is
            corrected towards the clean balanced accuracy
            (:func:`~noisyprobe.select.corrected.corrected_balanced_accuracy`).

    Raises:
        NoisyProbeError: the column has no labelled train or val rows.

    Example:
        >>> from noisyprobe.features.store import FeatureSet
        >>> rng = np.random.default_rng(0)
        >>> y = np.arange(120) % 2
        >>> x = (rng.normal(size=(120, 4)) + 2 * y[:, None]).astype(np.float32)
        >>> fs = FeatureSet(x, y, splits=["train"] * 80 + ["val"] * 40)
        >>> s = noisy_validation_scores(fs, {"lp": ("lp", {})}, seeds=[0])  # default budget
        >>> s["lp"] > 0.9
        True
    """
    from noisyprobe.metrics import balanced_accuracy, confusion_matrix
    from noisyprobe.select.corrected import corrected_balanced_accuracy
    from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs

    train_idx = fs.indices("train", column=labels)
    val_idx = fs.indices("val", column=labels)
    column = fs.label_column(labels)
    y_train, y_val = column[train_idx], column[val_idx]
    x_train = np.asarray(fs.features[train_idx], dtype=np.float32)
    x_val = np.asarray(fs.features[val_idx], dtype=np.float32)
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(train or {}).items()}
    config = TrainConfig(**settings)
    runs = [
        RunSpec(name, int(seed), y_train, dict(params), tag=label)
        for label, (name, params) in methods.items()
        for seed in seeds
    ]
    trained = train_runs(
        x_train, runs, num_classes=fs.num_classes, config=config, progress=progress
    )
    c = fs.num_classes
    scores: dict[str, list[float]] = {label: [] for label in methods}
    for spec, probs in zip(runs, predict_proba_runs(trained, x_val)):
        pred = probs.argmax(axis=1)
        if transition is None:
            scores[spec.tag].append(balanced_accuracy(y_val, pred, num_classes=c))
        else:
            counts = confusion_matrix(y_val, pred, num_classes=c)
            scores[spec.tag].append(corrected_balanced_accuracy(counts, transition))
    return {label: float(np.mean(values)) for label, values in scores.items()}
