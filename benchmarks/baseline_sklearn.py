"""Default ``lp`` head vs scikit-learn's ``LogisticRegressionCV`` on small and large data.

With default settings (``TrainConfig()``: at least 8000 optimizer steps, see
``TrainConfig.epochs_for``, and ``C="auto"``: for ``lp`` the L2 penalty's C chosen by
cross-validating a logistic regression on the training labels) the linear probe should match
logistic regression with C chosen by 5-fold cross-validation within 0.5
balanced-accuracy points, on small (~400 rows) and large (~8k rows) training sets.
Features are standardised on the training split for both.
Each row also shows the old fixed budget (30 epochs) to make the undertraining visible,
``lp`` without the penalty (``C=None``), and ``lp`` with ``C="cv"`` (C chosen per run by the
same 5-fold search as LogisticRegressionCV; the C each picked is printed). ``--C 0.1`` puts
the old fixed penalty in the ``lp`` column and under ``--methods``.

With ``--methods``, every listed method is trained with its defaults on the same data and a
final clean-parity table gives method - lp per data set (balanced-accuracy points, mean over
the seeds, and over the splits with ``--splits N``); ``!`` marks a method more than 1 point
below lp (issue 8; the same check is tests/methods/test_methods_clean_parity.py, which
averages over 4 splits because one 169-row breast_cancer test set moves by 0.9 points a row).

    python benchmarks/baseline_sklearn.py            # breast_cancer, digits, make_classification 8k
    python benchmarks/baseline_sklearn.py --noise 0.3   # 30% symmetric training-label noise
    python benchmarks/baseline_sklearn.py --methods all --data breast_cancer,digits --splits 4
    python benchmarks/baseline_sklearn.py --noise 0.3 --data none --featureset DIR  # your data
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch

from noisyprobe.metrics import balanced_accuracy
from noisyprobe.noise import inject
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs


def datasets(split: int = 0):
    """(name, x_train, x_test, y_train, y_test); ``split``: the train/test split's seed."""
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    yield "breast_cancer", *train_test_split(x, y, train_size=400, random_state=split, stratify=y)
    x, y = load_digits(return_X_y=True)
    yield "digits", *train_test_split(x, y, train_size=1400, random_state=split, stratify=y)
    x, y = make_classification(
        n_samples=10000, n_features=64, n_informative=20, n_classes=4, random_state=0
    )
    yield (
        "make_classification",
        *train_test_split(x, y, train_size=8000, random_state=split, stratify=y),
    )
    if split:  # train_grid.py's mixture has one fixed split: yield it once
        return
    # train_grid.py's data: 384 dims, an 8-class signal in 16 of them. Cross-validation picks
    # a far stronger penalty (C = 1e-4) than the default C = 0.1, which a fixed C cannot match.
    from train_grid import make_data

    xtr, ytr, xte, yte = make_data(8000, 2000, 384, 8)
    yield "gaussian_mixture_384", xtr, xte, ytr, yte


def featuresets(paths: list[str]):
    """(name, x_train, y_train, x_test, y_test) of FeatureSet folders (main labels)."""
    from pathlib import Path

    from noisyprobe.features.store import FeatureSet

    for path in paths:
        fs = FeatureSet.load(path)
        tr, te = fs.indices("train"), fs.indices("test")
        x = np.asarray(fs.features, dtype=np.float32)
        meta = fs.metadata
        name = f"{meta['dataset']}/{meta['backbone']}" if "dataset" in meta else Path(path).name
        yield name[:20], x[tr], x[te], fs.labels[tr], fs.labels[te]


def standardise(xtr: np.ndarray, xte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu, sd = xtr.mean(0), xtr.std(0)
    sd[sd == 0] = 1.0
    return ((xtr - mu) / sd).astype(np.float32), ((xte - mu) / sd).astype(np.float32)


def lp_scores(xtr, ytr, xte, yte, c, config, seeds, method="lp"):
    runs = [RunSpec(method, s, ytr) for s in range(seeds)]
    out = train_runs(xtr, runs, num_classes=c, config=config, progress=False)
    probs = predict_proba_runs(out, xte)
    return [balanced_accuracy(yte, p.argmax(1), num_classes=c) for p in probs], out[0]


def main(argv: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegressionCV

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--noise", type=float, default=0.0, help="symmetric training-label noise")
    ap.add_argument("--seeds", type=int, default=3, help="lp runs (seeds) per data set")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--splits",
        type=int,
        default=1,
        help="train/test splits of breast_cancer, digits and make_classification (random_state "
        "0..N-1); the parity table averages over them",
    )
    ap.add_argument("--data", default="", help="comma-separated subset of the data sets")
    ap.add_argument(
        "--methods", default="", help="also train these methods with defaults ('all': every one)"
    )
    ap.add_argument(
        "--featureset",
        action="append",
        default=[],
        metavar="DIR",
        help="add a FeatureSet folder (train vs test split, main labels); repeatable",
    )
    ap.add_argument(
        "--C",
        dest="l2_C",
        default=None,
        help="TrainConfig.C of the 'lp' column and of --methods (default: TrainConfig's)",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from noisyprobe.commands._common import parse_inverse_strength

    base = TrainConfig() if args.l2_C is None else TrainConfig(C=parse_inverse_strength(args.l2_C))
    print(f"training-label noise: symmetric {args.noise}; lp mean over {args.seeds} seeds")
    header = f"{'data':<20} {'N':>5} {'LRCV':>6} {'lp':>6} {'delta':>6} {'epochs':>6}"
    header += f" {'lp@30ep':>7} {'noL2':>6} {'lp C=cv':>7}"
    print(header)
    from noisyprobe.methods import available

    others = [m for m in available() if m != "lp"] if args.methods == "all" else []
    others = others or [m for m in args.methods.split(",") if m and m != "lp"]
    parity: dict[str, dict[str, list[float]]] = {}  # method -> data set -> one delta per split
    chosen = [
        (name if args.splits == 1 else f"{name}#{split}", name, *rest)
        for split in range(args.splits)
        for name, *rest in datasets(split)
        if not args.data or name in args.data.split(",")
    ]
    chosen += [(name, name, *rest) for name, *rest in featuresets(args.featureset)]
    for label, name, xtr, xte, ytr, yte in chosen:
        xtr, xte = standardise(xtr, xte)
        ytr, yte = ytr.astype(np.int64), yte.astype(np.int64)
        c = int(ytr.max()) + 1
        if args.noise > 0:
            ytr = inject(ytr, "symmetric", args.noise, c, seed=0).labels
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = LogisticRegressionCV(Cs=10, cv=5, max_iter=5000).fit(xtr, ytr)
        t_ref = time.perf_counter() - t0
        ba_ref = balanced_accuracy(yte, ref.predict(xte), num_classes=c)
        t0 = time.perf_counter()
        ba, first = lp_scores(xtr, ytr, xte, yte, c, base, args.seeds)
        t_lp = time.perf_counter() - t0
        ba30, _ = lp_scores(xtr, ytr, xte, yte, c, TrainConfig(epochs=30, C=base.C), args.seeds)
        ba_free, _ = lp_scores(xtr, ytr, xte, yte, c, TrainConfig(C=None), args.seeds)
        t0 = time.perf_counter()
        ba_cv, cv_run = lp_scores(xtr, ytr, xte, yte, c, TrainConfig(C="cv"), args.seeds)
        t_cv = time.perf_counter() - t0
        lp = float(np.mean(ba))
        print(
            f"{label:<20} {len(ytr):>5} {100 * ba_ref:6.2f} {100 * lp:6.2f} "
            f"{100 * (lp - ba_ref):+6.2f} {first.epochs_trained:>6} {100 * np.mean(ba30):7.2f}"
            f" {100 * np.mean(ba_free):6.2f} {100 * np.mean(ba_cv):7.2f}"
            f"   (LRCV {t_ref:.1f} s C={ref.C_[0]:.0e}, lp x{args.seeds} {t_lp:.1f} s,"
            f" cv {t_cv:.1f} s C={cv_run.C:.0e})"
        )
        for m in others:
            t0 = time.perf_counter()
            ba_m, run = lp_scores(xtr, ytr, xte, yte, c, base, args.seeds, m)
            parity.setdefault(m, {}).setdefault(name, []).append(100 * (np.mean(ba_m) - lp))
            print(
                f"  {m:<18} {100 * np.mean(ba_m):6.2f}  vs lp {100 * (np.mean(ba_m) - lp):+6.2f}"
                f"  ({run.epochs_trained} epochs, {time.perf_counter() - t0:.1f} s)",
                flush=True,
            )

    if parity:
        print_parity(parity, noise=args.noise)


def print_parity(
    parity: dict[str, dict[str, list[float]]], tolerance: float = 1.0, *, noise: float = 0.0
) -> None:
    """Mean method - lp per data set over its splits; ``!``: more than ``tolerance`` below."""
    parity = {m: {d: float(np.mean(v)) for d, v in row.items()} for m, row in parity.items()}
    names = list(dict.fromkeys(d for row in parity.values() for d in row))
    title = "clean parity" if noise == 0 else f"with {noise:g} symmetric noise"
    print(f"\n{title}: method - lp (points); ! = more than {tolerance:g} below lp")
    print(f"  {'method':<18}" + "".join(f" {d:>15}" for d in names))
    for m, row in parity.items():
        cells = [
            f"{row[d]:+14.2f}{'!' if row[d] < -tolerance else ' '}" if d in row else " " * 15
            for d in names
        ]
        print(f"  {m:<18}" + "".join(f" {cell}" for cell in cells))


if __name__ == "__main__":
    main()
