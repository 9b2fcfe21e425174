"""Work functions that executors run: train and score one stack, or estimate one regime.

Both take and return plain JSON-able dicts, so the same function runs in this process, in a
local worker process or in a Ray task. A run's result depends only on its own spec and its
stack: its training labels come from its seed, the trainer keeps runs independent within a
stack (predictions equal; probabilities to ~1e-7), and the plan draws the same stack
boundaries every time, so a restarted grid retrains exactly the stacks it lost and ends
bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError

_CACHE: dict[str, Any] = {}
"""Per-process cache: the last FeatureSet and its training/eval matrices (one at a time;
the plan orders stacks FeatureSet by FeatureSet)."""


def _featureset(path: str, fingerprint: str):
    from noisyprobe.bench.featuresets import describe
    from noisyprobe.features.store import FeatureSet

    if _CACHE.get("fingerprint") != fingerprint:
        _CACHE.clear()
        fs = FeatureSet.load(path, verify=True)
        found = describe("", path).fingerprint
        if found != fingerprint:
            raise NoisyProbeError(
                f"FeatureSet at {path} changed since the grid was planned (fingerprint differs)"
            )
        _CACHE.update(fingerprint=fingerprint, fs=fs, rows={})
    return _CACHE["fs"]


def _rows(fs, key: tuple, idx: np.ndarray) -> np.ndarray:
    """``fs.features[idx]`` as a contiguous array, kept for the next stack on the same rows."""
    rows = _CACHE["rows"]
    if key not in rows:
        rows[key] = np.ascontiguousarray(fs.features[idx], dtype=np.float32)
    return rows[key]


def _condition(item: dict[str, Any], label_column: str | None):
    from noisyprobe.train.protocol import Condition

    return Condition(
        label_column=label_column,
        noise_kind=item["noise_kind"],
        rate=float(item["rate"]),
        counting=item["counting"],
        noise_options=item.get("noise_options") or {},
    )


def run_versions(versions: dict[str, str]) -> dict[str, str]:
    """Add the PyTorch thread count: reductions (hence ECE, to ~1e-9) depend on it.

    Example:
        >>> sorted(run_versions({"python": "3"}))
        ['python', 'torch_threads']
    """
    import torch

    return {**versions, "torch_threads": str(torch.get_num_threads())}


def run_stack(stack: dict[str, Any], *, progress: bool = False) -> dict[str, Any]:
    """Train every run of a stack at once and score each on the eval split's clean labels.

    Args:
        stack: a stack from :func:`noisyprobe.bench.plan.plan_stacks`.
        progress: show the trainer's progress bar.

    Returns:
        ``{"results": [...], "seconds": float}`` with one dict per run (key, metrics,
        realized noise rate, sizes, timing), ready for :class:`noisyprobe.bench.ledger.RunResult`.
    """
    from noisyprobe.bench.ledger import package_versions, worker_id
    from noisyprobe.methods.base import known_noise_params
    from noisyprobe.metrics import evaluate
    from noisyprobe.train import RunSpec, TrainConfig, train_runs
    from noisyprobe.train.protocol import training_labels

    start = time.perf_counter()
    fs = _featureset(stack["path"], stack["fingerprint"])
    column = stack["label_column"]
    held_out = _noisy_validation(fs, stack)
    prepared = []
    train_idx = None
    for item in stack["runs"]:
        idx, labels, noise = training_labels(fs, _condition(item, column), int(item["seed"]))
        if train_idx is None:
            train_idx = idx
        elif not np.array_equal(idx, train_idx):
            raise NoisyProbeError("a stack's runs must share their training rows")
        prepared.append((item, labels, noise))
    x_train = _rows(fs, ("train", column), train_idx)
    eval_idx = fs.indices(stack["eval_split"])
    x_eval = _rows(fs, ("eval", stack["eval_split"]), eval_idx)
    y_eval = fs.labels[eval_idx]
    config = TrainConfig(**stack["train"])
    x_val = val_labels = None
    if config.early_stopping:  # validated on the val split's clean main labels
        val_idx = fs.indices("val")
        x_val, val_labels = _rows(fs, ("eval", "val"), val_idx), fs.labels[val_idx]
    specs = [
        RunSpec(
            method=stack["method"],
            seed=int(item["seed"]),
            labels=labels,
            params=known_noise_params(  # e.g. Co-Teaching's forget rate = injected share
                stack["method"],
                stack["params"],
                kind=item["noise_kind"],
                rate=item["rate"] if noise is None else noise.realized_rate,
            ),
            val_labels=val_labels,
        )
        for item, labels, noise in prepared
    ]
    t0 = time.perf_counter()
    trained = train_runs(
        x_train,
        specs,
        num_classes=fs.num_classes,
        config=config,
        X_val=x_val,
        progress=progress,
    )
    train_seconds = (time.perf_counter() - t0) / max(len(specs), 1)
    t1 = time.perf_counter()
    # run by run, not predict_proba_runs: a wide GEMM over the stack rounds differently,
    # and a run's probabilities (hence its ECE) must not depend on its stack
    probs = (model.predict_proba(x_eval) for model in trained)
    versions = run_versions(package_versions())
    worker = worker_id()
    results = []
    for (item, _, noise), trained_run, run_probs in zip(prepared, trained, probs):
        metrics = evaluate(y_eval, run_probs, num_classes=fs.num_classes)
        if held_out is not None:
            # clean_val: the same rows' clean labels, the ceiling of any selector that picks
            # on validation scores; recorded to measure selectors, never read by them
            metrics["noisy_val"], metrics["clean_val"] = held_out(item, trained_run)
        results.append(
            {
                "key": item["key"],
                "metrics": metrics,
                "realized_noise_rate": None if noise is None else float(noise.realized_rate),
                "train_size": int(train_idx.size),
                "eval_size": int(eval_idx.size),
                "stack_size": len(specs),
                "train_seconds": train_seconds,
                "eval_seconds": None,
                "worker": worker,
                "versions": versions,
            }
        )
    eval_seconds = (time.perf_counter() - t1) / max(len(specs), 1)
    for r in results:
        r["eval_seconds"] = eval_seconds
    return {"results": results, "seconds": time.perf_counter() - start}


def _noisy_validation(fs, stack: dict[str, Any]):
    """A scorer of each run on the val split's *noisy* labels, or ``None`` without a val split.

    The scorer returns the noisy-label scores (with the confusion counts) and, for measuring
    selectors only, the same predictions scored on the rows' clean labels.

    The val labels carry the condition's noise (its label column, its injected kind and rate,
    an independent draw per seed: :func:`noisyprobe.train.protocol.validation_labels`), as a
    user's held-out labels would; a selector may pick methods on this score without ever
    seeing a clean label.
    """
    from noisyprobe.metrics import balanced_accuracy, confusion_matrix
    from noisyprobe.train.protocol import validation_labels

    column = stack["label_column"]
    try:
        fs.indices("val", column=column)
    except NoisyProbeError:  # no labelled val split: nothing to select on
        return None

    def score(item: dict[str, Any], run) -> tuple[dict[str, Any], dict[str, float]]:
        idx, labels = validation_labels(fs, _condition(item, column), int(item["seed"]))
        pred = run.predict_proba(_rows(fs, ("noisy-val", column), idx)).argmax(axis=1)
        c = fs.num_classes
        noisy = {
            "balanced_accuracy": float(balanced_accuracy(labels, pred, num_classes=c)),
            "accuracy": float(np.mean(pred == labels)),
            "size": int(idx.size),
            # counts [given label, prediction]: with an estimate of the noise, a selector can
            # correct the score towards the clean one (select.corrected.corrected_score)
            "confusion": confusion_matrix(labels, pred, num_classes=c).tolist(),
        }
        clean = fs.labels[idx]
        ceiling = {
            "balanced_accuracy": float(balanced_accuracy(clean, pred, num_classes=c)),
            "accuracy": float(np.mean(pred == clean)),
        }
        return noisy, ceiling

    return score


def run_regime(task: dict[str, Any]) -> dict[str, Any]:
    """Estimate the regime features of one condition on its smallest seed's training labels.

    Returns:
        ``{"condition_key", "regime", "transition", "seed", "seconds"}``.
    """
    from noisyprobe.select.regime import regime_and_transition
    from noisyprobe.train.protocol import training_labels

    start = time.perf_counter()
    fs = _featureset(task["path"], task["fingerprint"])
    column = task["label_column"]
    idx, labels, _ = training_labels(fs, _condition(task, column), int(task["seed"]))
    x = _rows(fs, ("train", column), idx)
    regime, transition = regime_and_transition(x, labels, fs.num_classes, seed=int(task["seed"]))
    return {
        "condition_key": task["condition_key"],
        "regime": regime,
        "transition": transition.tolist(),
        "seed": int(task["seed"]),
        "seconds": time.perf_counter() - start,
    }
