"""Runs/s of ``noisyprobe bench`` (local executor) against a per-run PyTorch loop.

Builds a synthetic FeatureSet (default N = 10,000 training + 2,000 test samples, D = 768,
C = 8, a Gaussian mixture with low-rank class structure), runs a grid of at least 500 runs
through the full bench path (spec -> ledger -> vectorised stacks -> metrics -> SQLite), then
trains a spread-out sample of the same runs with the per-run loop of
``benchmarks/train_grid.py`` (one model, one optimiser, one mini-batch loop per run, the way
the papers' code trains; same noisy labels, same initial weights, same data order) and scores
them the same way. Prints both rates, their ratio, the mean |delta balanced accuracy| on the
sampled runs, and the projected time of the benchmark seed's 6,000-run grid on this machine.

    python benchmarks/grid.py                 # 513 runs: lp, gce, elr x 9 conditions x 19 seeds
    python benchmarks/grid.py --quick         # N=2,000, D=128, 5 epochs: a smoke test
    python benchmarks/grid.py --seeds 5 --epochs 10 --baseline-runs 6
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from noisyprobe.bench.featuresets import resolve_all  # noqa: E402
from noisyprobe.bench.ledger import Ledger  # noqa: E402
from noisyprobe.bench.runner import run_grid  # noqa: E402
from noisyprobe.bench.spec import expand, parse_spec  # noqa: E402
from noisyprobe.features.store import FeatureSet  # noqa: E402
from noisyprobe.metrics import evaluate  # noqa: E402
from noisyprobe.train import RunSpec, TrainConfig  # noqa: E402
from noisyprobe.train.protocol import Condition, training_labels  # noqa: E402
from train_grid import make_data, train_baseline  # noqa: E402  (the per-run loop baseline)

SEED_GRID_RUNS = 6000


def build_featureset(path: Path, n: int, n_test: int, d: int, c: int) -> None:
    x, y, xt, yt = make_data(n, n_test, d, c, seed=0)
    splits = np.array(["train"] * n + ["test"] * n_test)
    FeatureSet(
        np.vstack([x, xt]),
        np.concatenate([y, yt]),
        splits,
        metadata={"dataset": "synthetic", "backbone": "gaussian-mixture"},
    ).save(path)


def baseline_run(fs: FeatureSet, run, config: TrainConfig, *, loader: bool) -> tuple[float, float]:
    """Train and score one run with the per-run loop; returns (seconds, balanced accuracy).

    ``loader`` picks the baseline of ``train_grid.py``: a ``DataLoader`` loop (the papers'
    way) or the leaner loop that slices the feature tensor.
    """
    t0 = time.perf_counter()
    cond = Condition(
        label_column=run.label_column,
        noise_kind=run.noise_kind,
        rate=run.rate,
        counting=run.counting,
    )
    idx, labels, _ = training_labels(fs, cond, run.seed)
    x = np.asarray(fs.features[idx], dtype=np.float32)
    mean, std = x.mean(0), x.std(0)
    std[std == 0] = 1.0
    xs = torch.from_numpy((x - mean) / std)
    model = train_baseline(
        RunSpec(run.method, run.seed, labels, run.params),
        xs,
        fs.num_classes,
        config,
        loader=loader,
    )
    test = fs.indices("test")
    xt = torch.from_numpy((np.asarray(fs.features[test], dtype=np.float32) - mean) / std)
    with torch.no_grad():
        probs = torch.softmax(model(xt)[0], dim=1).numpy()
    metrics = evaluate(fs.labels[test], probs, num_classes=fs.num_classes)
    return time.perf_counter() - t0, metrics["balanced_accuracy"]


def warm_up(c: int) -> None:
    """Import and first-call costs (torch optimisers, sqlite, metrics) out of both timings."""
    from noisyprobe.train import train_runs

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = np.arange(64) % c
    config = TrainConfig(epochs=1)
    train_runs(x, [RunSpec("lp", 0, y)], num_classes=c, config=config, progress=False)
    for loader in (False, True):
        train_baseline(RunSpec("lp", 0, y), torch.from_numpy(x), c, config, loader=loader)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--methods", default="lp,gce,elr", help="comma-separated (linear heads)")
    ap.add_argument("--rates", default="0,0.1,0.2,0.3,0.4", help="for symmetric and asymmetric")
    ap.add_argument("--seeds", type=int, default=19, help="seeds per condition (19 -> 513 runs)")
    ap.add_argument("--n", type=int, default=10000, help="training samples")
    ap.add_argument("--n-test", type=int, default=2000)
    ap.add_argument("--d", type=int, default=768)
    ap.add_argument("--c", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--stack-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=1, help="local executor worker processes")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (both sides)")
    ap.add_argument("--baseline-runs", type=int, default=12, help="per-run loop sample size")
    ap.add_argument("--regime", action="store_true", help="also estimate regimes (not timed apart)")
    ap.add_argument("--quick", action="store_true", help="N=2,000, D=128, 3 seeds, 5 epochs")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.n_test, args.d, args.seeds, args.epochs = 2000, 500, 128, 3, 5
        args.baseline_runs = min(args.baseline_runs, 6)
    torch.set_num_threads(args.threads)
    methods = args.methods.split(",")
    rates = [float(r) for r in args.rates.split(",")]

    with tempfile.TemporaryDirectory(prefix="noisyprobe-grid-") as tmp:
        root = Path(tmp)
        build_featureset(root / "synthetic", args.n, args.n_test, args.d, args.c)
        spec = parse_spec(
            {
                "name": "grid-benchmark",
                "featuresets": {"synthetic": "synthetic"},
                "noise": {"kinds": ["symmetric", "asymmetric"], "rates": rates},
                "methods": {m: {} for m in methods},
                "seeds": list(range(args.seeds)),
                "train": {"epochs": args.epochs, "batch_size": args.batch_size},
            },
            base_dir=root,
        )
        runs = expand(spec, resolve_all(spec, progress=False))
        config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size)
        print(
            f"grid: {len(runs)} runs = {methods} x {len(runs) // len(methods) // args.seeds} "
            f"conditions x {args.seeds} seeds; N={args.n} (+{args.n_test} test) D={args.d} "
            f"C={args.c}, {args.epochs} epochs, batch {args.batch_size}, {args.threads} threads, "
            f"{args.workers} worker(s), stacks of <= {args.stack_size}"
        )
        warm_up(args.c)
        options = {"workers": args.workers}
        if args.workers == 1:
            options["threads"] = args.threads
        t0 = time.perf_counter()
        report = run_grid(
            spec,
            root / "bench.sqlite",
            executor_options=options,
            stack_size=args.stack_size,
            regime=args.regime,
            progress=True,
        )
        t_grid = time.perf_counter() - t0
        assert report.ran == len(runs) and report.failed == 0, report
        with Ledger(root / "bench.sqlite", readonly=True) as ledger:
            done = ledger.runs().set_index("key")

        fs = FeatureSet.load(root / "synthetic")
        pick = np.linspace(0, len(runs) - 1, num=min(args.baseline_runs, len(runs)))
        sample = [runs[i] for i in sorted(set(pick.round().astype(int)))]
        t_base = {False: 0.0, True: 0.0}
        deltas = []
        for run in sample:  # both loops run by run, so load changes hit them alike
            for loader in (False, True):
                seconds, ba = baseline_run(fs, run, config, loader=loader)
                t_base[loader] += seconds
                deltas.append(abs(ba - done.loc[run.key, "balanced_accuracy"]) * 100)

    grid_rate = len(runs) / t_grid
    print(
        f"local executor : {len(runs)} runs in {t_grid:8.1f} s = {grid_rate:7.2f} runs/s "
        "(spec, noise, training, metrics and SQLite ledger included)"
    )
    projected = SEED_GRID_RUNS / grid_rate
    print(
        f"projected {SEED_GRID_RUNS}-run grid (this N, D, C, epochs; linear heads): "
        f"{projected / 60:.1f} min with the local executor"
    )
    for loader, title in ((False, "tensor indexing"), (True, "DataLoader")):
        base_rate = len(sample) / t_base[loader]
        print(
            f"per-run loop ({title}): {len(sample)} runs in {t_base[loader]:8.1f} s = "
            f"{base_rate:7.2f} runs/s (noise, training, metrics; a sample spread over the grid)"
        )
        print(
            f"  speed ratio {grid_rate / base_rate:.1f}x; projected {SEED_GRID_RUNS}-run grid "
            f"{SEED_GRID_RUNS / base_rate / 3600:.1f} h"
        )
    print(
        f"mean |delta balanced accuracy| on the sample: {np.mean(deltas):.3f} points "
        f"(max {np.max(deltas):.3f})"
    )


if __name__ == "__main__":
    main()
