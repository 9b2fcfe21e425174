"""The evaluation protocol shared by ``fit`` and the demo.

Train heads on the train split with the labels of one column, optionally corrupted by
injected noise (its own noisy labels per seed), early-stop on the val split if asked, and
score on the test split with the main (clean) labels.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet


@dataclass(frozen=True)
class Condition:
    """Which training labels a run sees.

    Attributes:
        label_column: label column to train on (``None``: the main labels); e.g. ``"rnn"``.
        noise_kind: injected noise kind (``None``: none), see :func:`noisyprobe.noise.inject`.
        rate: injected noise rate.
        counting: ``"exact"`` or ``"bernoulli"``.
        train_size: if set, each seed trains on its own random subset of this many samples.
        noise_options: options of the noise kind (``empirical``: source, finding, positive).
            A kind without a rate (``empirical``) ignores ``rate``: its matrix sets it.
    """

    label_column: str | None = None
    noise_kind: str | None = None
    rate: float = 0.0
    counting: str = "exact"
    train_size: int | None = None
    noise_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        base = self.label_column or "labels"
        if self.noise_kind:
            base += f"+{self.noise_kind}@{self.rate:g}"
        if self.train_size:
            base += f"[n={self.train_size}]"
        return base


def training_labels(
    fs: FeatureSet, condition: Condition, seed: int
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Indices, labels and the noise record (or ``None``) of one seed's training set.

    Example:
        >>> import numpy as np
        >>> fs = FeatureSet(np.eye(4, dtype=np.float32), [0, 1, 0, 1])
        >>> idx, y, noise = training_labels(fs, Condition(), seed=0)
        >>> idx.tolist(), y.tolist(), noise is None
        ([0, 1, 2, 3], [0, 1, 0, 1], True)
    """
    idx = fs.indices("train", column=condition.label_column)
    if condition.train_size is not None:
        if not 0 < condition.train_size <= idx.size:
            raise NoisyProbeError(
                f"train_size {condition.train_size} must be in 1..{idx.size} "
                f"(labelled training samples in column {condition.label_column or 'labels'!r})"
            )
        rng = np.random.default_rng([seed, 7919])
        idx = np.sort(rng.choice(idx, size=condition.train_size, replace=False))
    labels, noisy = _corrupted(fs, condition, idx, seed)
    return idx, labels, noisy


VALIDATION_SEED_OFFSET = 104729
"""Added to a run's seed to draw its validation labels' noise (independent of training's)."""


def validation_labels(
    fs: FeatureSet, condition: Condition, seed: int, *, split: str = "val"
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and labels of ``split`` as a user of this condition would see them: noisy.

    A user who picks a method on held-out data holds the same kind of labels there as in
    training: the condition's label column (a real noisy labeller) and its injected noise,
    drawn independently of the training labels' (seed + ``VALIDATION_SEED_OFFSET``). Model
    selection on these labels is what :mod:`noisyprobe.select` compares regime-based
    recommendations against; the clean test labels stay for scoring only.

    Example:
        >>> import numpy as np
        >>> splits = ["train"] * 2 + ["val"] * 4
        >>> fs = FeatureSet(np.eye(6, dtype=np.float32), [0, 1] * 3, splits=splits)
        >>> idx, y = validation_labels(fs, Condition(noise_kind="symmetric", rate=0.5), seed=0)
        >>> idx.tolist(), int((y != fs.labels[idx]).sum())
        ([2, 3, 4, 5], 2)
    """
    idx = fs.indices(split, column=condition.label_column)
    labels, _ = _corrupted(fs, condition, idx, seed + VALIDATION_SEED_OFFSET)
    return idx, labels


def _corrupted(
    fs: FeatureSet, condition: Condition, idx: np.ndarray, seed: int
) -> tuple[np.ndarray, Any]:
    """The labels of rows ``idx`` in the condition's column, with its noise injected."""
    labels = fs.label_column(condition.label_column)[idx]
    if not condition.noise_kind:
        return labels, None
    from noisyprobe.noise import inject, uses_rate

    noisy = inject(
        labels,
        condition.noise_kind,
        condition.rate if uses_rate(condition.noise_kind) else None,
        fs.num_classes,
        seed,
        counting=condition.counting,
        features=np.asarray(fs.features[idx]) if condition.noise_kind == "instance" else None,
        **{**_pair_map(fs, condition.noise_kind), **dict(condition.noise_options)},
    )
    return noisy.labels, noisy


@dataclass(frozen=True)
class ConditionRun:
    """One run trained by :func:`train_condition`.

    Attributes:
        spec: its :class:`~noisyprobe.train.RunSpec` (method, seed, training labels).
        run: the :class:`~noisyprobe.train.TrainedRun` (``predict_proba``, ``history``, ...).
        rows: FeatureSet rows it trained on.
        noise: the injected :class:`~noisyprobe.noise.NoisyLabels` (``None`` for none).
    """

    spec: Any
    run: Any
    rows: np.ndarray
    noise: Any


def train_condition(
    fs: FeatureSet,
    methods: Mapping[str, Mapping[str, Any]],
    condition: Condition,
    seeds: Sequence[int],
    *,
    config: Any = None,
    record_history: bool = False,
    progress: bool = True,
    order_seed: int | None = None,
) -> Iterator[ConditionRun]:
    """Train every (method, seed) under one condition in vectorised stacks.

    Each seed draws its own training labels (:func:`training_labels`); seeds that train on
    the same rows (no ``train_size`` subset) share one stack with every method. With
    ``order_seed`` every run uses that seed's data order (``RunSpec.order_seed``): one
    gathered batch and one wide GEMM for the whole stack.

    Yields:
        A :class:`ConditionRun` per (method, seed), stack by stack.
    """
    from noisyprobe.train import RunSpec, TrainConfig, train_runs

    draws = {seed: training_labels(fs, condition, seed) for seed in seeds}
    groups: dict[bytes, list[int]] = {}
    for seed, (idx, _, _) in draws.items():
        groups.setdefault(idx.tobytes(), []).append(seed)
    for group in groups.values():
        idx = draws[group[0]][0]
        specs = [
            RunSpec(
                method=m,
                seed=s,
                labels=draws[s][1],
                params=_known_noise(m, p, condition, draws[s][2]),
                order_seed=order_seed,
            )
            for m, p in methods.items()
            for s in group
        ]
        trained = train_runs(
            np.asarray(fs.features[idx]),
            specs,
            num_classes=fs.num_classes,
            config=config or TrainConfig(),
            record_history=record_history,
            progress=progress,
        )
        for spec, run in zip(specs, trained):
            yield ConditionRun(spec=spec, run=run, rows=idx, noise=draws[spec.seed][2])


def run_methods(
    fs: FeatureSet,
    methods: Mapping[str, Mapping[str, Any]],
    condition: Condition,
    seeds: Sequence[int],
    *,
    config: Any = None,
    eval_split: str = "test",
    progress: bool = True,
    order_seed: int | None = None,
) -> list[dict[str, Any]]:
    """Train every (method, seed) under one condition in vectorised stacks and score them.

    Args:
        fs: the FeatureSet (needs ``train`` and ``eval_split`` splits).
        methods: method name -> hyperparameters.
        condition: which training labels (column, injected noise, subset size).
        seeds: one run per seed and method; each seed has its own noisy labels.
        config: a :class:`noisyprobe.train.TrainConfig` (default: its defaults).
        eval_split: split scored with the main labels.
        progress: show the trainer's progress bar.
        order_seed: one data order for every run (see :func:`train_condition`).

    Returns:
        One record per run: method, seed, condition name, realized noise rate and every
        metric of :func:`noisyprobe.metrics.evaluate`.
    """
    from noisyprobe.metrics import evaluate
    from noisyprobe.train.result import predict_proba_runs

    if not seeds:
        raise NoisyProbeError("at least one seed is needed")
    test_idx = fs.indices(eval_split)
    x_test = np.asarray(fs.features[test_idx])
    y_test = fs.labels[test_idx]
    records: list[dict[str, Any]] = []
    runs = train_condition(
        fs, methods, condition, seeds, config=config, progress=progress, order_seed=order_seed
    )
    trained_runs = list(runs)
    # One batched evaluation per stack (a wide GEMM) instead of one predict_proba per run.
    probs = predict_proba_runs([t.run for t in trained_runs], x_test)
    for trained, prob in zip(trained_runs, probs):
        metrics = evaluate(y_test, prob, num_classes=fs.num_classes)
        noise = trained.noise
        records.append(
            {
                "method": trained.spec.method,
                "seed": trained.spec.seed,
                "condition": condition.name,
                "train_size": int(trained.rows.size),
                "realized_noise_rate": None if noise is None else float(noise.realized_rate),
                "C": trained.run.C,  # the heads' inverse L2 strength (chosen per run for "cv")
                **metrics,
            }
        )
    records.sort(key=lambda r: (list(methods).index(r["method"]), r["seed"]))
    return records


def _pair_map(fs: FeatureSet, kind: str) -> dict[str, Any]:
    mapping = fs.metadata.get("asymmetric_map")
    if kind != "asymmetric" or not mapping:
        return {}
    return {"pair_map": {int(k): int(v) for k, v in mapping.items()}}


def _known_noise(
    method: str, params: Mapping[str, Any], condition: Condition, noise: Any = None
) -> dict:
    """The method's params plus what it takes from the injected (hence known) noise.

    The known rate is the share of training labels the injection changed: equal to the
    nominal rate when every class can flip, smaller when some cannot (a pair map that keeps
    a class, as for missed findings 1 -> 0 on a binary task) or when a matrix sets it.
    """
    from noisyprobe.methods.base import known_noise_params

    rate = condition.rate if noise is None else float(noise.realized_rate)
    return known_noise_params(method, params, kind=condition.noise_kind, rate=rate)
