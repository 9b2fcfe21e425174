"""``noisyprobe study inheritance``: pretraining label noise -> frozen-feature transfer.

Protocol (NMTune ICLR 2024, SKD NeurIPS 2025, at CPU scale): for each seed and noise level,
pretrain the small CNN of :mod:`noisyprobe.studies.cnn` on a Fashion-MNIST subset whose labels
carry nested symmetric flips (same init, batch order and schedule at every level of a seed),
measure how many flipped labels it memorised, freeze it, extract features and train the
``lp``/``mlp``/``nmtune``/``skd`` heads on in-domain tasks (Fashion-MNIST, full and few-shot)
and out-of-domain tasks (MNIST-5k; shifted Fashion-MNIST test sets), plus the feature
diagnostics (SVE, LSVR, mean skewness and kurtosis). One JSON record per (seed, level) is
written atomically, so an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import write_json
from noisyprobe.errors import NoisyProbeError
from noisyprobe.studies.cnn import PretrainConfig, embed, predict, pretrain
from noisyprobe.studies.nested import nested_symmetric
from noisyprobe.studies.shifts import SHIFTS, shift

METHODS = ("lp", "mlp", "nmtune", "skd")
ID_TASKS = ("id_full", "id_fewshot")


@dataclass(frozen=True)
class InheritanceConfig:
    """Sizes and schedules of the study.

    Attributes:
        levels: injected symmetric noise rates of the pretraining labels.
        seeds: pretraining seeds (init, batch order, flip set); at least one.
        pretrain_size: Fashion-MNIST training images the backbone is pretrained on.
        id_train_size: disjoint Fashion-MNIST training images for the in-domain heads.
        id_test_size: Fashion-MNIST test images (also the base of the shifted test sets).
        few_shot: labelled images per class of the few-shot in-domain task.
        ood_train_size: MNIST-5k training digits for the out-of-domain heads (None: all).
        ood_test_size: MNIST-5k test digits (None: all).
        shifts: shifted copies of the in-domain test set (heads trained on ``id_full``).
        methods: heads trained on the frozen features.
        head_epochs: head training epochs.
        head_min_steps: at least this many optimiser steps per head (few-shot tasks).
        pretrain: the backbone's schedule.

    Example:
        >>> InheritanceConfig.quick().levels
        (0.0, 0.3)
    """

    levels: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    pretrain_size: int = 3000
    id_train_size: int = 2000
    id_test_size: int = 2000
    few_shot: int = 10
    ood_train_size: int | None = None
    ood_test_size: int | None = None
    shifts: tuple[str, ...] = tuple(SHIFTS)
    methods: tuple[str, ...] = METHODS
    head_epochs: int = 30
    head_min_steps: int = 300
    pretrain: PretrainConfig = field(default_factory=lambda: PretrainConfig(epochs=50))

    def __post_init__(self) -> None:
        if not self.levels or any(not 0.0 <= float(r) < 1.0 for r in self.levels):
            raise NoisyProbeError(f"levels must be rates in [0, 1), got {self.levels!r}")
        if not self.seeds or any(int(s) < 0 for s in self.seeds):
            raise NoisyProbeError(f"seeds must be non-negative integers, got {self.seeds!r}")
        for name in ("pretrain_size", "id_train_size", "id_test_size", "few_shot", "head_epochs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise NoisyProbeError(f"{name} must be a positive integer, got {v!r}")
        unknown = sorted(set(self.shifts) - set(SHIFTS))
        if unknown:
            raise NoisyProbeError(f"unknown shifts {unknown}; expected some of {', '.join(SHIFTS)}")

    @classmethod
    def quick(cls) -> InheritanceConfig:
        """A seconds-long configuration for tests and smoke runs."""
        return cls(
            levels=(0.0, 0.3),
            seeds=(0, 1),
            pretrain_size=200,
            id_train_size=200,
            id_test_size=100,
            few_shot=3,
            ood_train_size=200,
            ood_test_size=100,
            head_epochs=3,
            head_min_steps=0,
            pretrain=PretrainConfig(epochs=2, width=4, feature_dim=16),
        )


def load_data(config: InheritanceConfig) -> dict[str, np.ndarray]:
    """The study's images (float32 [N, 28, 28] in [0, 1]) and labels, fixed across seeds.

    Example:
        >>> # load_data(InheritanceConfig.quick())["pretrain_x"].shape -> (200, 28, 28)
    """
    from noisyprobe.data import fashion_mnist, mnist_5k

    fm = fashion_mnist.load()
    rng = np.random.default_rng(20240)
    train = rng.permutation(np.flatnonzero(fm.splits == "train"))
    test = rng.permutation(np.flatnonzero(fm.splits == "test"))
    p, t = config.pretrain_size, config.id_train_size
    if p + t > train.size or config.id_test_size > test.size:
        raise NoisyProbeError(f"Fashion-MNIST has {train.size} training images; asked for {p}+{t}")
    mn = mnist_5k.load()
    ood_tr = rng.permutation(np.flatnonzero(mn.splits == "train"))[: config.ood_train_size]
    ood_te = rng.permutation(np.flatnonzero(mn.splits == "test"))[: config.ood_test_size]
    parts = {
        "pretrain": (fm, train[:p]),
        "id_train": (fm, train[p : p + t]),
        "id_test": (fm, test[: config.id_test_size]),
        "ood_train": (mn, ood_tr),
        "ood_test": (mn, ood_te),
    }
    data: dict[str, np.ndarray] = {}
    for name, (ds, idx) in parts.items():
        data[f"{name}_x"] = np.asarray(ds.items[idx], dtype=np.float32) / 255.0
        data[f"{name}_y"] = ds.labels[idx].astype(np.int64)
    for kind in config.shifts:
        data[f"shift_{kind}_x"] = shift(data["id_test_x"], kind, seed=0)
    return data


def feature_diagnostics(x: np.ndarray) -> dict[str, float]:
    """SVE, LSVR and the mean skewness/kurtosis over non-constant feature columns.

    Example:
        >>> d = feature_diagnostics(np.random.default_rng(0).normal(size=(50, 4)))
        >>> sorted(d)
        ['kurtosis', 'lsvr', 'skewness', 'sve']
    """
    from noisyprobe.diagnostics import kurtosis, lsvr, singular_value_entropy, skewness

    x = np.asarray(x, dtype=np.float64)
    live = x[:, x.std(axis=0) > 1e-12]
    return {
        "sve": float(singular_value_entropy(x)),
        "lsvr": float(lsvr(x)),
        "skewness": float(np.nanmean(skewness(live))) if live.shape[1] else float("nan"),
        "kurtosis": float(np.nanmean(kurtosis(live))) if live.shape[1] else float("nan"),
    }


def run_one(
    data: dict[str, np.ndarray],
    *,
    seed: int,
    rate: float,
    config: InheritanceConfig,
    checkpoint: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    progress: bool = False,
) -> dict[str, Any]:
    """Pretrain at one (seed, level), freeze, and score every task, head and diagnostic.

    Example:
        >>> # run_one(load_data(cfg), seed=0, rate=0.1, config=cfg)["memorised"]
    """
    y_clean = data["pretrain_y"]
    y_noisy, flipped = nested_symmetric(y_clean, rate, num_classes=10, seed=seed)
    model = pretrain(
        data["pretrain_x"],
        y_noisy,
        seed=seed,
        config=config.pretrain,
        checkpoint=checkpoint,
        device=device,
        progress=progress,
    )
    fit = predict(model, data["pretrain_x"], device=device)
    feats = {
        k[:-2]: embed(model, v, device=device)
        for k, v in data.items()
        if k.endswith("_x") and k != "pretrain_x"
    }
    rng = np.random.default_rng([seed, 17])
    few = np.concatenate(
        [
            rng.permutation(np.flatnonzero(data["id_train_y"] == c))[: config.few_shot]
            for c in range(10)
        ]
    )
    id_test_y = data["id_test_y"]
    tasks = {
        "id_full": (feats["id_train"], data["id_train_y"], {"id_full": feats["id_test"]}),
        "id_fewshot": (
            feats["id_train"][few],
            data["id_train_y"][few],
            {"id_fewshot": feats["id_test"]},
        ),
        "ood_mnist": (feats["ood_train"], data["ood_train_y"], {"ood_mnist": feats["ood_test"]}),
    }
    for kind in config.shifts:
        tasks["id_full"][2][f"ood_{kind}"] = feats[f"shift_{kind}"]
    accuracy: dict[str, dict[str, float]] = {}
    for x_train, y_train, evals in tasks.values():
        for method, run in zip(config.methods, _heads(x_train, y_train, seed, config, device)):
            for task, x_eval in evals.items():
                y_eval = data["ood_test_y"] if task == "ood_mnist" else id_test_y
                pred = run.predict_proba(x_eval).argmax(axis=1)
                accuracy.setdefault(task, {})[method] = float((pred == y_eval).mean())
    return {
        "seed": int(seed),
        "rate": float(rate),
        "realized_rate": float(flipped.mean()),
        "memorised": float((fit[flipped] == y_noisy[flipped]).mean()) if flipped.any() else None,
        "clean_fit": float((fit[~flipped] == y_clean[~flipped]).mean()),
        "pretrain_test_accuracy": float(
            (predict(model, data["id_test_x"], device=device) == id_test_y).mean()
        ),
        "diagnostics": {
            "id": feature_diagnostics(feats["id_test"]),
            "ood": feature_diagnostics(feats["ood_test"]),
        },
        "accuracy": accuracy,
    }


def _heads(
    x: np.ndarray, y: np.ndarray, seed: int, config: InheritanceConfig, device: str
) -> list[Any]:
    from noisyprobe.train import RunSpec, TrainConfig, train_runs

    cfg = TrainConfig(epochs=config.head_epochs, min_steps=config.head_min_steps, device=device)
    specs = [RunSpec(method=m, seed=int(seed), labels=y) for m in config.methods]
    return train_runs(x, specs, num_classes=10, config=cfg, progress=False)


def run_study(
    out: str | os.PathLike[str],
    config: InheritanceConfig,
    *,
    device: str = "cpu",
    progress: bool = False,
    data: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Run (or resume) every (seed, level); write ``results.json``, ``table.md`` and figures.

    Returns:
        The results: config, per-run records, per-level summary, table and findings.

    Example:
        >>> # run_study("runs/inheritance", InheritanceConfig.quick())["findings"]
    """
    out = Path(out)
    data = load_data(config) if data is None else data
    records = []
    for seed in config.seeds:
        for rate in config.levels:
            tag = f"seed{int(seed)}_rate{float(rate):g}"
            path = out / "records" / f"{tag}.json"
            if path.is_file():
                import json

                records.append(json.loads(path.read_text()))
                continue
            record = run_one(
                data,
                seed=int(seed),
                rate=float(rate),
                config=config,
                checkpoint=out / "checkpoints" / f"{tag}.pt",
                device=device,
                progress=progress,
            )
            write_json(path, record)
            records.append(record)
    from noisyprobe.studies.inheritance_report import findings, summarize, table, write_figures

    summary = summarize(records, config.levels)
    results = {
        "study": "inheritance",
        "config": _jsonable(asdict(config)),
        "device": device,
        "records": records,
        "summary": summary,
        "findings": findings(summary, config.levels),
        "table": table(summary, config.levels),
    }
    write_json(out / "results.json", results)
    from noisyprobe._io import atomic_path

    with atomic_path(out / "table.md") as tmp:
        tmp.write_text(results["table"] + "\n")
    results["figures"] = write_figures(summary, config.levels, out)
    return results


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def levels_from(text: str | Sequence[float]) -> tuple[float, ...]:
    """Parse ``"0,0.05,0.1"`` into rates.

    Example:
        >>> levels_from("0,0.05")
        (0.0, 0.05)
    """
    if not isinstance(text, str):
        return tuple(float(v) for v in text)
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise NoisyProbeError(f"levels must be comma-separated rates, got {text!r}") from exc


__all__ = [
    "InheritanceConfig",
    "feature_diagnostics",
    "load_data",
    "run_one",
    "run_study",
    "replace",
]
