"""A synthetic ledger with a known winner per noise regime (no training involved).

Shared by tests/bench and tests/select through their conftest files.
"""

from __future__ import annotations

import numpy as np

from noisyprobe.bench.ledger import Ledger, RunResult
from noisyprobe.bench.spec import GridRun, canonical_json, sha256_text

METHODS = {"lp": {}, "gce": {"q": 0.7}, "elr": {}}


def true_score(method: str, kind: str | None, rate: float, dataset_shift: float) -> float:
    """lp wins clean data, gce symmetric noise, elr asymmetric noise."""
    base = 0.9 - dataset_shift - rate * 0.5
    bonus = {
        (None, "lp"): 0.02,
        ("symmetric", "gce"): 0.05 + rate * 0.2,
        ("asymmetric", "elr"): 0.05 + rate * 0.3,
        ("symmetric", "elr"): 0.01,
        ("asymmetric", "gce"): -0.02,
    }
    return base + bonus.get((kind, method), 0.0)


def transition(kind: str | None, rate: float, c: int = 4) -> np.ndarray:
    """T[true, given]: symmetric flips, or each class to the next one (asymmetric)."""
    if kind == "asymmetric":
        return (1 - rate) * np.eye(c) + rate * np.roll(np.eye(c), 1, axis=1)
    return (1 - rate) * np.eye(c) + rate / (c - 1) * (1 - np.eye(c))


def expected_confusion(score: float, t: np.ndarray, size: int = 100) -> list[list[float]]:
    """Expected counts [given, pred] of a head whose clean recall is ``score`` on every class."""
    c = t.shape[0]
    joint = (score * np.eye(c) + (1 - score) / (c - 1) * (1 - np.eye(c))) / c  # [pred, true]
    return (size * (joint @ t).T).tolist()


def make_synthetic_ledger(
    path, *, datasets=("d1", "d2", "d3"), seeds=(0, 1), drop_one=False, train=None
):
    rng = np.random.default_rng(0)
    conditions = [(None, 0.0)] + [(k, r) for k in ("symmetric", "asymmetric") for r in (0.2, 0.4)]
    runs, results, regimes = [], [], {}
    for d_i, dataset in enumerate(datasets):
        for kind, rate in conditions:
            cond = {"fs": dataset, "kind": kind, "rate": rate}
            ckey = sha256_text(canonical_json(cond))
            regimes[ckey] = (
                {
                    "noise_rate": rate + rng.normal(scale=0.02),
                    "asymmetry": (1.0 if kind == "asymmetric" else 0.0) + rng.normal(scale=0.05),
                    "num_classes": 4.0,
                    "loss_overlap": float("nan"),
                },
                transition(kind, rate),
            )
            for method, params in METHODS.items():
                for seed in seeds:
                    grid = {"train": train} if train is not None else {}
                    spec = canonical_json(
                        {**cond, "method": method, "params": params, "seed": seed, **grid}
                    )
                    run = GridRun(
                        key=sha256_text(spec),
                        spec_json=spec,
                        condition_key=ckey,
                        featureset=f"{dataset}-bb",
                        dataset=dataset,
                        backbone="bb",
                        label_column=None,
                        noise_kind=kind,
                        rate=rate,
                        counting="exact",
                        method=method,
                        params=params,
                        seed=seed,
                    )
                    runs.append(run)
                    score = true_score(method, kind, rate, 0.05 * d_i) + rng.normal(scale=0.003)
                    zero = [1] if (method == "lp" and kind == "asymmetric" and rate == 0.4) else []
                    metrics = {
                        "balanced_accuracy": score,
                        "accuracy": score + 0.01,
                        "macro_f1": score - 0.01,
                        "ece": 0.1 - score / 10,
                        "per_class_recall": [score] * 4,
                        "zero_recall_classes": zero,
                        # held-out labels as noisy as the training labels: a shrunk score
                        "noisy_val": {
                            "balanced_accuracy": (1 - rate) * score
                            + rate / 4
                            + rng.normal(scale=0.002),
                            "accuracy": score,
                            "size": 100,
                            "confusion": expected_confusion(score, transition(kind, rate)),
                        },
                        "clean_val": {"balanced_accuracy": score, "accuracy": score},
                    }
                    results.append(
                        RunResult(key=run.key, metrics=metrics, realized_noise_rate=rate)
                    )
    if drop_one:
        results = results[1:]
    with Ledger(path) as ledger:
        ledger.set_meta("metric", "balanced_accuracy")
        ledger.add_runs(runs)
        for run in runs:
            ledger.add_condition(run, canonical_json({"c": run.condition_key}))
        for ckey, (regime, t) in regimes.items():
            ledger.set_regime(ckey, regime, seed=0, seconds=0.0, transition=t.tolist())
        ledger.record(results)
    return path
