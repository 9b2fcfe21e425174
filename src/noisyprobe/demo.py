"""The main job: what real and injected label noise cost on real medical reports.

Stages (each cached, so a warm run takes seconds):
1. fetch PadChest and encode the physician-labelled reports and a sample of the
   RNN-labelled pool with the offline MiniLM encoder;
2. linear probes on physician labels, on RNN labels of the same size, and on the whole RNN
   sample, scored on the physician test set (the cost of real label noise);
3. robust heads under real (RNN) and injected asymmetric noise, several seeds;
4. a small benchmark grid into a resumable ledger, with ranks, Friedman test and regret,
   and its self-contained HTML report (``noisyprobe report``), whose path is printed last.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import cache_dir
from noisyprobe.features.store import FeatureSet
from noisyprobe.train.config import TrainConfig
from noisyprobe.train.protocol import Condition, run_methods

DEMO_METHODS = ("lp", "gce", "elr", "coteaching", "cufit", "nmtune", "skd")
# A fixed budget keeps the demo within minutes on 2 CPU cores: its PadChest training sets
# (1.9k-4.9k rows) get 450-1,150 optimizer steps in 30 epochs. The library default adapts
# the budget to the data size instead (TrainConfig: at least 2,000 steps).
DEMO_EPOCHS = 30


def say(text: str = "") -> None:
    print(text, flush=True)


def padchest_features_path(rnn_sample: int | None = None) -> Path:
    """Where the demo caches PadChest/MiniLM features."""
    return cache_dir() / "features" / f"padchest-reports-minilm-rnn{rnn_sample or 'all'}"


def padchest_features(*, rnn_sample: int | None = None, progress: bool = True) -> FeatureSet:
    """PadChest (physician sets + the RNN-labelled pool or a sample of it) via MiniLM, cached."""
    from noisyprobe import backbones, data
    from noisyprobe.features.extract import extract

    dataset = data.get("padchest-reports", rnn_limit=rnn_sample, download=True)
    backbone = backbones.get("minilm")
    out = padchest_features_path(rnn_sample)
    return extract(dataset, backbone, out, batch_size=64, progress=progress)


def cached_records(
    name: str,
    fs_path: Path,
    material: dict[str, Any],
    compute: Callable[[], list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """``compute()``'s records, cached as JSON under a key of the features and the stage.

    The key covers the FeatureSet's array hashes, the stage's methods, conditions and seeds,
    and the noisyprobe version, so a warm demo only prints (a stale or corrupt file is
    recomputed). The file is written atomically.
    """
    import json

    from noisyprobe import __version__
    from noisyprobe._io import write_json
    from noisyprobe.bench.spec import canonical_json, sha256_text
    from noisyprobe.features.store import read_manifest

    key_material = {
        "features": read_manifest(fs_path).get("sha256"),
        "version": __version__,
        **material,
    }
    key = sha256_text(canonical_json(key_material))[:16]
    path = cache_dir() / "demo-results" / f"{name}-{key}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    write_json(path, compute())
    # read back, so a cold run prints from the same plain-JSON values as a warm one
    return json.loads(path.read_text())


def _condition_material(conditions: Sequence[tuple[str, Condition]]) -> list[Any]:
    from dataclasses import asdict

    return [[title, asdict(condition)] for title, condition in conditions]


def format_recall(record: dict[str, Any], classes: Sequence[str]) -> str:
    parts = []
    for name, value in zip(classes, record["per_class_recall"]):
        if value is None:
            parts.append(f"{name} n/a")
        else:
            parts.append(f"{name} {value:.2f}{'!' if value == 0 else ''}")
    return ", ".join(parts)


def _demo_config() -> TrainConfig:
    """The demo's fixed training budget (see ``DEMO_EPOCHS``)."""
    return TrainConfig(epochs=DEMO_EPOCHS)


def stage_label_noise_cost(
    fs: FeatureSet, fs_path: Path, *, seeds: Sequence[int], progress: bool
) -> None:
    """Linear probes on clean labels, equal-size noisy labels and all noisy labels."""
    n_clean = fs.indices("train").size
    n_rnn = fs.indices("train", column="rnn").size
    n_equal = min(n_clean, n_rnn)  # a small RNN sample (--quick) shrinks the physician set
    conditions = [
        ("physician labels", Condition(train_size=n_equal if n_equal < n_clean else None)),
        ("RNN labels, same size", Condition(label_column="rnn", train_size=n_equal)),
        ("RNN labels, whole sample", Condition(label_column="rnn")),
    ]
    n_test = fs.indices("test").size
    say(f"\n## Linear probe: physician vs RNN (real noise) labels — test n={n_test}")
    say(f"train sizes: physician {n_clean}, RNN sample {n_rnn}; seeds {list(seeds)}\n")
    say("| training labels | n | balanced acc | accuracy | per-class recall (seed 0) |")
    say("|---|---|---|---|---|")
    results = cached_records(
        "cost",
        fs_path,
        {
            "conditions": _condition_material(conditions),
            "seeds": list(seeds),
            "epochs": DEMO_EPOCHS,
        },
        lambda: [
            run_methods(fs, {"lp": {}}, condition, seeds, config=_demo_config(), progress=progress)
            for _, condition in conditions
        ],
    )
    for (title, _), records in zip(conditions, results):
        bal = np.array([r["balanced_accuracy"] for r in records])
        acc = np.array([r["accuracy"] for r in records])
        say(
            f"| {title} | {records[0]['train_size']} | {bal.mean():.3f} ± {bal.std():.3f} | "
            f"{acc.mean():.3f} | {format_recall(records[0], fs.classes)} |"
        )


def stage_robust_heads(
    fs: FeatureSet, fs_path: Path, *, seeds: Sequence[int], progress: bool
) -> None:
    """Every demo method under real RNN noise and injected asymmetric noise."""
    conditions = [
        ("RNN labels (real)", Condition(label_column="rnn")),
        ("physician + asym 20%", Condition(noise_kind="asymmetric", rate=0.2)),
        ("physician + asym 40%", Condition(noise_kind="asymmetric", rate=0.4)),
    ]
    methods = {name: {} for name in DEMO_METHODS}
    table: dict[str, dict[str, np.ndarray]] = {m: {} for m in methods}

    def train_all() -> list[dict[str, Any]]:
        records = []
        for title, condition in conditions:
            say(f"training {len(methods)} methods x {len(seeds)} seeds on {title} ...")
            for record in run_methods(
                fs, methods, condition, seeds, config=_demo_config(), progress=progress
            ):
                records.append({**record, "title": title})
        return records

    material = {
        "conditions": _condition_material(conditions),
        "methods": methods,
        "seeds": list(seeds),
        "epochs": DEMO_EPOCHS,
    }
    for record in cached_records("heads", fs_path, material, train_all):
        table[record["method"]].setdefault(record["title"], []).append(record["balanced_accuracy"])
    titles = [t for t, _ in conditions]
    say("\n## Robust heads on PadChest/MiniLM: balanced accuracy, mean ± std over seeds\n")
    say("| method | " + " | ".join(titles) + " | mean gain over lp |")
    say("|---|" + "---|" * (len(titles) + 1))
    lp_means = np.array([np.mean(table["lp"][t]) for t in titles])
    for method, cells in table.items():
        means = np.array([np.mean(cells[t]) for t in titles])
        row = [f"{np.mean(cells[t]):.3f} ± {np.std(cells[t]):.3f}" for t in titles]
        gain = "—" if method == "lp" else f"{100 * (means - lp_means).mean():+.1f} pts"
        say(f"| {method} | " + " | ".join(row) + f" | {gain} |")


def run(*, quick: bool = False, progress: bool = True, stages: Sequence[str] = ()) -> int:
    """Run the demo; ``quick`` shrinks it (fewer samples and seeds) for smoke tests."""
    stages = tuple(stages) or ("cost", "heads", "bench")
    seeds = [0, 1] if quick else [0, 1, 2]
    say("# noisyprobe demo: frozen MiniLM on PadChest radiology reports")
    say(f"cache: {cache_dir()}")
    rnn_sample = 1500 if quick else None
    fs = padchest_features(rnn_sample=rnn_sample, progress=progress)
    fs_path = padchest_features_path(rnn_sample)
    say(f"features: {fs!r}")
    if "cost" in stages:
        stage_label_noise_cost(fs, fs_path, seeds=seeds, progress=progress)
    if "heads" in stages:
        stage_robust_heads(fs, fs_path, seeds=seeds, progress=progress)
    if "bench" in stages:
        from noisyprobe.bench.demo_grid import run_demo_grid

        run_demo_grid(
            padchest_path=fs_path,
            quick=quick,
            progress=progress,
            say=say,
        )
        write_demo_report(fs_path, quick=quick)
    sys.stdout.flush()
    return 0


def write_demo_report(fs_path: Path, *, quick: bool = False) -> Path | None:
    """Write the HTML report of the demo's ledger beside it and print its path."""
    from noisyprobe.bench.demo_grid import demo_grid_raw, demo_ledger_path
    from noisyprobe.errors import NoisyProbeError
    from noisyprobe.report import write_report

    ledger = demo_ledger_path(demo_grid_raw(fs_path, quick=quick))
    try:
        out = write_report(ledger.with_suffix(".html"), ledger, title="noisyprobe demo report")
    except NoisyProbeError as exc:
        say(f"report skipped: {exc}")
        return None
    say(f"\nreport: {out}")
    return out
