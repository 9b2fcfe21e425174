"""One hyperparameter of a method: what it costs on clean labels, what it buys under noise.

Issue 8 asks every method to reach ``lp`` on clean data; three defaults miss it on digits
(benchmarks/results/clean-parity.md). This sweeps one hyperparameter of one method over
values, with every other setting at its default (``TrainConfig()``), and prints the test
balanced accuracy (points, mean over ``--splits`` stratified train/test splits, training
seed = split) on clean training labels and under 40 % symmetric and 40 % asymmetric
injected noise, next to ``lp`` at its defaults on the same labels. The injected noise is
passed to the method as a benchmark passes it (``known_noise_params``: e.g. DivideMix's
lambda_u and warm-up penalty, Co-Teaching's forget rate). A value that closes the clean gap
but loses the robustness under noise is no fix.

    python benchmarks/clean_tradeoff.py --method elr --param lam --values 0,0.5,1,2,3
    python benchmarks/clean_tradeoff.py --method label_smoothing --param epsilon --values 0,0.05,0.1
    python benchmarks/clean_tradeoff.py --method dividemix --param p_threshold --values 0.5,0.9
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from baseline_sklearn import datasets, standardise
from noisyprobe.errors import NoisyProbeError
from noisyprobe.methods import get
from noisyprobe.methods.base import known_noise_params
from noisyprobe.metrics import balanced_accuracy
from noisyprobe.noise import inject
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs

CONDITIONS = (("clean", None), ("symmetric 0.4", "symmetric"), ("asymmetric 0.4", "asymmetric"))
RATE = 0.4


def sweep(
    method: str, param: str, values: list, data: str, splits: int
) -> dict[tuple[str, str], list[float]]:
    """Test balanced accuracy (points) per (condition, run label) over the splits.

    The run label is ``"lp"`` or ``f"{param}={value}"``.
    """
    scores: dict[tuple[str, str], list[float]] = {}
    for split in range(splits):
        # datasets() builds its sets lazily: stop at the one asked for.
        found = next((d for d in datasets(split) if d[0] == data), None)
        if found is None:
            raise SystemExit(f"clean_tradeoff: unknown --data {data!r}")
        _, xtr, xte, ytr, yte = found
        xtr, xte = standardise(xtr, xte)
        c = int(ytr.max()) + 1
        specs, keys = [], []
        for name, kind in CONDITIONS:
            labels = ytr if kind is None else inject(ytr, kind, RATE, c, seed=split).labels
            specs.append(RunSpec("lp", split, labels))
            keys.append((name, "lp"))
            for value in values:
                params = known_noise_params(method, {param: value}, kind=kind, rate=RATE)
                specs.append(RunSpec(method, split, labels, params))
                keys.append((name, f"{param}={value}"))
        out = train_runs(xtr, specs, num_classes=c, config=TrainConfig(), progress=False)
        for key, proba in zip(keys, predict_proba_runs(out, xte)):
            ba = 100.0 * balanced_accuracy(yte, proba.argmax(1), num_classes=c)
            scores.setdefault(key, []).append(ba)
        print(f"split {split} done", file=sys.stderr, flush=True)
    return scores


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        msg = f"--values: {text!r} is not a JSON value (e.g. 0.5, true, null)"
        raise NoisyProbeError(msg) from None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--method", required=True)
    ap.add_argument("--param", required=True, help="hyperparameter name")
    ap.add_argument("--values", required=True, help="comma-separated JSON values, e.g. 0,0.5,1")
    ap.add_argument("--data", default="digits", help="breast_cancer, digits or make_classification")
    ap.add_argument("--splits", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        values = [_value(v) for v in args.values.split(",")]
        default = get(args.method)().params.get(args.param)
        for value in values:  # fail before training: unknown method, name or value
            get(args.method)(**{args.param: value})
    except NoisyProbeError as exc:
        raise SystemExit(f"clean_tradeoff: {exc}") from None
    t0 = time.perf_counter()
    scores = sweep(args.method, args.param, values, args.data, args.splits)
    print(
        f"{args.method} on {args.data}, {args.splits} splits, TrainConfig() otherwise; "
        f"default {args.param} = {default}; test balanced accuracy (points), "
        f"difference to lp in brackets ({time.perf_counter() - t0:.0f} s)"
    )
    print("| run | " + " | ".join(name for name, _ in CONDITIONS) + " |")
    print("|---|" + "---:|" * len(CONDITIONS))
    for label in ["lp"] + [f"{args.param}={v}" for v in values]:
        cells = []
        for name, _ in CONDITIONS:
            mean, ref = np.mean(scores[name, label]), np.mean(scores[name, "lp"])
            cells.append(f"{mean:.2f}" if label == "lp" else f"{mean:.2f} ({mean - ref:+.2f})")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
