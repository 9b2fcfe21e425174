"""The small-loss case study end to end: inject noise, train heads, analyse their losses.

Wires :func:`noisyprobe.train.protocol.training_labels` (the same noisy labels ``fit`` and
the benchmark draw for a seed), the vectorised trainer (all methods x seeds in one call,
per-epoch history recorded) and the pure functions of
:mod:`noisyprobe.diagnostics.small_loss`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from noisyprobe.diagnostics.small_loss import (
    collapsed_classes,
    loss_densities,
    small_loss_analysis,
)
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet

SELECTORS = ("small_loss", "agreement", "peer_agreement", "epoch_agreement")


def run_small_loss_study(
    featureset: FeatureSet,
    *,
    noise_kind: str,
    rate: float,
    methods: Sequence[str] | Mapping[str, Mapping[str, Any]] = ("lp",),
    seeds: Sequence[int] = (0,),
    config: Any = None,
    label_column: str | None = None,
    counting: str = "exact",
    eval_split: str = "test",
    epoch: int = -1,
    selection_rate: float | None = None,
    agreement_window: int = 5,
    bins: int = 512,
    density_method: str = "kde",
    progress: bool = False,
) -> dict[str, Any]:
    """Train ``methods`` x ``seeds`` on injected noise and measure where small-loss fails.

    Args:
        featureset: FeatureSet with a labelled ``train`` split (``eval_split`` optional).
        noise_kind, rate, counting: injected noise (see :func:`noisyprobe.noise.inject`).
        methods: method names, or name -> hyperparameters.
        seeds: one run per (method, seed); each seed draws its own noisy labels.
        config: a :class:`noisyprobe.train.TrainConfig` (default: its defaults).
        label_column: clean label column to corrupt (default: the main labels).
        eval_split: split scored with the clean labels for per-class recall collapse
            (skipped, ``"eval": None``, when the FeatureSet has no such labelled split).
        epoch, selection_rate, agreement_window, bins, density_method: passed to
            :func:`~noisyprobe.diagnostics.small_loss.small_loss_analysis`.
        progress: show the trainer's progress bar.

    Returns:
        ``{"condition", "runs": [per-run record], "summary": {method: means over seeds},
        "densities": {method: final-epoch loss densities of its first seed}}``.
    """
    from noisyprobe.train.protocol import Condition, train_condition

    method_params = _methods(methods)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise NoisyProbeError("seeds: at least one seed is needed")
    if not noise_kind:
        raise NoisyProbeError("noise_kind: the small-loss study needs injected noise")
    condition = Condition(
        label_column=label_column, noise_kind=noise_kind, rate=rate, counting=counting
    )
    eval_idx = _eval_indices(featureset, eval_split)
    x_eval = None if eval_idx is None else np.asarray(featureset.features[eval_idx])
    y_eval = None if eval_idx is None else featureset.labels[eval_idx]
    runs: list[dict[str, Any]] = []
    densities: dict[str, dict[str, Any]] = {}
    for trained in train_condition(
        featureset,
        method_params,
        condition,
        seeds,
        config=config,
        record_history=True,
        progress=progress,
    ):
        spec, run, noise = trained.spec, trained.run, trained.noise
        analysis = small_loss_analysis(
            run.history,
            spec.labels,
            noise.is_noisy,
            epoch=epoch,
            rate=selection_rate,
            agreement_window=agreement_window,
            bins=bins,
            method=density_method,
        )
        record = {
            "method": spec.method,
            "seed": spec.seed,
            "realized_noise_rate": float(noise.realized_rate),
            "analysis": analysis,
            "eval": None
            if x_eval is None
            else collapsed_classes(y_eval, run.predict(x_eval), num_classes=featureset.num_classes),
        }
        runs.append(record)
        if spec.method not in densities and 0 < noise.is_noisy.sum() < noise.is_noisy.size:
            loss = np.asarray(run.history["loss"])[analysis["epoch"]]
            d = loss_densities(
                loss[~noise.is_noisy], loss[noise.is_noisy], bins=bins, method=density_method
            )
            densities[spec.method] = {**d, "overlap": analysis["overlap"][analysis["epoch"]]}
    order = list(method_params)
    runs.sort(key=lambda r: (order.index(r["method"]), r["seed"]))
    return {
        "condition": {
            "noise_kind": noise_kind,
            "rate": float(rate),
            "counting": counting,
            "label_column": label_column or "labels",
            "eval_split": eval_split if eval_idx is not None else None,
        },
        "methods": {m: dict(p) for m, p in method_params.items()},
        "seeds": seeds,
        "runs": runs,
        "summary": summarize_runs(runs),
        "densities": densities,
    }


def summarize_runs(runs: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per method: means over seeds of the final overlap, AUROC, selector precisions, metrics.

    Example:
        >>> summarize_runs([])
        {}
    """
    out: dict[str, dict[str, Any]] = {}
    for method in dict.fromkeys(r["method"] for r in runs):
        mine = [r for r in runs if r["method"] == method]
        ep = [r["analysis"]["epoch"] for r in mine]
        entry: dict[str, Any] = {
            "seeds": len(mine),
            "noise_rate": _mean(r["realized_noise_rate"] for r in mine),
            "overlap": _mean(r["analysis"]["overlap"][e] for r, e in zip(mine, ep)),
            "auroc": _mean(r["analysis"]["auroc"][e] for r, e in zip(mine, ep)),
            "selection_rate": _mean(r["analysis"]["matched_rate"]["rate"] for r in mine),
        }
        for sel in SELECTORS:
            found = [
                r["analysis"]["matched_rate"][sel]
                for r in mine
                if sel in r["analysis"]["matched_rate"]
            ]
            if found:
                entry[f"precision_{sel}"] = _mean(f["precision"] for f in found)
        evals = [r["eval"] for r in mine if r["eval"] is not None]
        if evals:
            entry["accuracy"] = _mean(e["accuracy"] for e in evals)
            entry["balanced_accuracy"] = _mean(e["balanced_accuracy"] for e in evals)
            entry["zero_recall_classes"] = sorted({c for e in evals for c in e["zero_recall"]})
        out[method] = entry
    return out


def _mean(values: Any) -> float:
    arr = np.array(list(values), dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(arr.mean()) if arr.size else float("nan")


def _methods(methods: Sequence[str] | Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    if isinstance(methods, str):
        methods = [methods]
    out = dict(methods) if isinstance(methods, Mapping) else {m: {} for m in methods}
    if not out:
        raise NoisyProbeError("methods: at least one method is needed")
    return {str(m): dict(p or {}) for m, p in out.items()}


def _eval_indices(fs: FeatureSet, split: str) -> np.ndarray | None:
    if split not in fs.split_names():
        return None
    idx = np.flatnonzero((fs.splits == split) & (fs.labels >= 0))
    return idx if idx.size else None
