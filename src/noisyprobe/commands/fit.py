"""``noisyprobe fit``: train one method on a FeatureSet, all seeds at once, and score it."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from noisyprobe.commands._common import (
    check_output_file,
    check_rate,
    parse_inverse_strength,
    parse_key_values,
    parse_seeds,
)

METRICS = ("balanced_accuracy", "accuracy", "macro_f1", "ece")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="train a robust head on cached features (all seeds in one vectorised stack)",
        description="Train METHOD on the train split (optionally with injected noise or a real "
        "noisy label column) and score it on the test split's clean labels.",
    )
    p.add_argument("--features", required=True, help="FeatureSet folder")
    p.add_argument("--method", required=True, help="method name (see noisyprobe.methods)")
    p.add_argument("--param", action="append", metavar="K=V", help="method hyperparameter")
    p.add_argument("--noise", help="inject noise of this kind (symmetric, asymmetric, ...)")
    p.add_argument("--rate", type=float, default=0.0, help="injected noise rate")
    p.add_argument("--counting", choices=["exact", "bernoulli"], default="exact")
    p.add_argument("--labels", help="train on this label column (e.g. rnn) instead of 'labels'")
    p.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,3,7 (default 0-4)")
    p.add_argument("--epochs", type=int, help="training epochs (default: TrainConfig)")
    p.add_argument("--lr", type=float, help="learning rate (default: TrainConfig)")
    p.add_argument("--batch-size", type=int, help="mini-batch size (default: TrainConfig)")
    p.add_argument(
        "--C",
        dest="l2_C",
        metavar="C",
        help="inverse L2 strength of the head weights as in scikit-learn (default auto: cv "
        "for linear heads, 0.1 for MLP heads; cv: chosen per seed by 5-fold "
        "cross-validation like LogisticRegressionCV; none: off)",
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--out", help="write all results as JSON here")
    p.add_argument(
        "--order-seed",
        type=int,
        default=None,
        help="every seed uses this seed's data order (faster stacks; init and noise stay per seed)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from noisyprobe._io import write_json
    from noisyprobe.errors import NoisyProbeError
    from noisyprobe.features.store import FeatureSet
    from noisyprobe.methods import available
    from noisyprobe.train import TrainConfig
    from noisyprobe.train.protocol import Condition, run_methods

    if args.method not in available():
        raise NoisyProbeError(
            f"unknown method {args.method!r}; expected one of: {', '.join(available())}"
        )
    rate = check_rate(args.rate, what="--rate")
    if args.noise is None and rate:
        raise NoisyProbeError("--rate needs --noise KIND")
    seeds = parse_seeds(args.seeds)
    if args.out:
        check_output_file(args.out)  # before training, not after
    fs = FeatureSet.load(args.features)
    overrides = {
        k: v
        for k, v in {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size}.items()
        if v is not None
    }
    if args.l2_C is not None:
        overrides["C"] = parse_inverse_strength(args.l2_C)
    config = replace(TrainConfig(), device=args.device, **overrides)
    condition = Condition(
        label_column=args.labels, noise_kind=args.noise, rate=rate, counting=args.counting
    )
    params = parse_key_values(args.param, flag="--param")
    records = run_methods(
        fs,
        {args.method: params},
        condition,
        seeds,
        config=config,
        progress=not args.no_progress,
        order_seed=args.order_seed,
    )
    print_report(records, fs.classes, title=f"{args.method} on {args.features} ({condition.name})")
    if args.out:
        write_json(
            args.out,
            {
                "features": str(args.features),
                "method": args.method,
                "params": params,
                "condition": condition.__dict__,
                "config": config.__dict__,
                "classes": fs.classes,
                "runs": records,
                "summary": summarize(records),
            },
        )
        print(f"results written to {args.out}")
    return 0


def summarize(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of each scalar metric over seeds."""
    out = {}
    for key in METRICS:
        values = np.array([r[key] for r in records], dtype=float)
        out[key] = {"mean": float(values.mean()), "std": float(values.std())}
    recalls = np.array([r["per_class_recall"] for r in records], dtype=float)
    out["per_class_recall"] = {"mean": np.nanmean(recalls, axis=0).tolist()}
    return out


def print_report(records: list[dict[str, Any]], classes: list[str], *, title: str) -> None:
    print(f"## {title}\n")
    header = ["seed", *METRICS, "realized noise", "zero-recall classes"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in records:
        zero = [classes[c] for c in r.get("zero_recall_classes", [])]
        noise = "—" if r["realized_noise_rate"] is None else f"{r['realized_noise_rate']:.3f}"
        cells = [str(r["seed"]), *(f"{r[k]:.4f}" for k in METRICS), noise, ", ".join(zero) or "—"]
        print("| " + " | ".join(cells) + " |")
    summary = summarize(records)
    cells = [
        "mean ± std",
        *(f"{summary[k]['mean']:.4f} ± {summary[k]['std']:.4f}" for k in METRICS),
    ]
    print("| " + " | ".join([*cells, "", ""]) + " |")
    print("\nper-class recall (mean over seeds; ! = zero recall in some seed):")
    recalls = np.array([r["per_class_recall"] for r in records], dtype=float)
    for c, name in enumerate(classes):
        flag = " !" if np.any(recalls[:, c] == 0) else ""
        print(f"  {name:>24}: {np.nanmean(recalls[:, c]):.3f}{flag}")
