"""``noisyprobe labels audit`` vs cleanlab 2.9 on the same frozen features.

Conditions: injected symmetric and asymmetric noise (0.2, 0.4; the FeatureSet's own
confusable-pair map for asymmetric, so the realized rate is the truth) on the clean labels of
a cached real FeatureSet (default: the demo's PadChest MiniLM features, physician-labelled
rows), the clean labels themselves, and, if given (``--real FEATURES:CLEAN:NOISY``), real
noise between two label columns of one FeatureSet (e.g. IU X-ray human vs automatic labels).

Baselines on the same features, in the same process:
- cleanlab: ``find_label_issues`` and ``estimate_joint`` on 5-fold cross-validated
  ``LogisticRegression(max_iter=1000)`` probabilities (``cross_val_predict``);
- regime: the selector's estimate (confident learning on ``select.probe.cross_val_probs``,
  l2=1e-2), issues = confident class differs from the label.

Printed per condition: precision / recall / F1 of the flagged samples against the injected
flips, the estimated noise rate and its absolute error, the transition matrix's error (T-L1:
mean over true classes of the L1 distance between estimated and realized rows), then F1 and
error ratios ours/cleanlab.

    python benchmarks/label_audit.py                    # PadChest MiniLM, seeds 0
    python benchmarks/label_audit.py --seeds 0,1,2 \
        --real ~/.cache/noisyprobe/feats/iu-minilm:labels:automatic \
        --real ~/.cache/noisyprobe/feats/iu-minilm:human_cardiomegaly:automatic_cardiomegaly
    python benchmarks/label_audit.py --no-injected \
        --real ~/.cache/noisyprobe/feats/iu-minilm:labels:automatic \
        --real ~/.cache/noisyprobe/feats/iu-minilm:human_cardiomegaly:automatic_cardiomegaly
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import torch

from noisyprobe.features.store import FeatureSet
from noisyprobe.labels import audit
from noisyprobe.labels.estimate import transition_from_joint
from noisyprobe.noise import estimate_transition, inject

DEFAULT = "~/.cache/noisyprobe/features/padchest-reports-minilm-rnn1500"


def prf(flagged: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float((flagged & truth).sum())
    p = tp / max(flagged.sum(), 1)
    r = tp / max(truth.sum(), 1)
    return p, r, 2 * p * r / max(p + r, 1e-12)


def run_cleanlab(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    from cleanlab.count import estimate_joint
    from cleanlab.filter import find_label_issues
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = cross_val_predict(LogisticRegression(max_iter=1000), x, y, cv=5, method="predict_proba")
        issues = find_label_issues(y, p)
        joint = estimate_joint(y, p)
    return issues, float(1 - np.trace(joint)), transition_from_joint(joint)


def run_regime(x: np.ndarray, y: np.ndarray, c: int) -> tuple[np.ndarray, float, np.ndarray]:
    from noisyprobe.select.confident import estimate_noise
    from noisyprobe.select.probe import cross_val_probs

    est = estimate_noise(y, cross_val_probs(x, y, c, folds=5, l2=1e-2, seed=0), c)
    return est.issues, est.noise_rate, transition_from_joint(est.joint)


def conditions(fs: FeatureSet, seeds: list[int]):
    rows = np.flatnonzero(fs.labels >= 0)
    x = np.asarray(fs.features[rows], dtype=np.float64)
    y = fs.labels[rows]
    pm = {int(k): int(v) for k, v in (fs.metadata.get("asymmetric_map") or {}).items()}
    yield "clean", x, y, np.zeros(y.size, bool), np.eye(fs.num_classes)
    for kind in ("symmetric", "asymmetric"):
        for rate in (0.2, 0.4):
            for seed in seeds:
                extra = {"pair_map": pm} if kind == "asymmetric" and pm else {}
                nl = inject(y, kind, rate, fs.num_classes, seed, **extra)
                yield f"{kind}@{rate} s{seed}", x, nl.labels, nl.is_noisy, nl.transition


def real_condition(spec: str):
    path, clean, noisy = spec.rsplit(":", 2)
    fs = FeatureSet.load(os.path.expanduser(path))
    yc = fs.label_column(None if clean == "labels" else clean)
    yn = fs.label_column(None if noisy == "labels" else noisy)
    rows = np.flatnonzero((yc >= 0) & (yn >= 0))
    x = np.asarray(fs.features[rows], dtype=np.float64)
    truth = estimate_transition(yc[rows], yn[rows], fs.num_classes)
    return f"real {noisy}", x, yn[rows], yn[rows] != yc[rows], truth, fs.num_classes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", default=DEFAULT)
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--real", action="append", default=[], help="FEATURES:CLEAN_COL:NOISY_COL")
    ap.add_argument("--no-injected", action="store_true", help="only the --real conditions")
    args = ap.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    todo = []
    if not args.no_injected:
        fs = FeatureSet.load(os.path.expanduser(args.features))
        todo = [(*cond, fs.num_classes) for cond in conditions(fs, seeds)]
    todo += [real_condition(spec) for spec in args.real]
    head = (
        f"{'condition':<22} {'true':>5} | {'method':<8} {'P':>5} {'R':>5} {'F1':>5} "
        f"{'rate':>6} {'|err|':>6} {'T-L1':>5} {'sec':>4}"
    )
    print(head)
    print("-" * len(head))
    totals: dict[str, list[tuple[float, ...]]] = {"ours": [], "cleanlab": [], "regime": []}
    for name, x, y, truth, t_true, c in todo:
        out = {}
        t0 = time.perf_counter()
        a = audit(x, y, c)
        out["ours"] = (a.issues, a.noise_rate, a.transition, time.perf_counter() - t0)
        t0 = time.perf_counter()
        out["cleanlab"] = (*run_cleanlab(x, y), time.perf_counter() - t0)
        t0 = time.perf_counter()
        out["regime"] = (*run_regime(x, y, c), time.perf_counter() - t0)
        for method, (issues, rate, t_est, sec) in out.items():
            t_l1 = float(np.abs(t_est - t_true).sum(axis=1).mean())
            p, r, f1 = prf(issues, truth)
            err = abs(rate - truth.mean())
            if truth.any():
                totals[method].append((p, r, f1, err, t_l1))
            print(
                f"{name:<22} {truth.mean():5.3f} | {method:<8} {p:5.3f} {r:5.3f} {f1:5.3f} "
                f"{rate:6.3f} {err:6.3f} {t_l1:5.3f} {sec:4.0f}",
                flush=True,
            )
        base_f1 = prf(out["cleanlab"][0], truth)[2]
        base_err = abs(out["cleanlab"][1] - truth.mean())
        f1_ratio = f"x{prf(out['ours'][0], truth)[2] / base_f1:.3f}" if base_f1 > 0 else "n/a"
        err = abs(out["ours"][1] - truth.mean())
        err_ratio = f"x{err / base_err:.3f}" if base_err > 0 else "n/a"
        print(f"{'':<28} ours/cleanlab: F1 {f1_ratio}, |err| {err_ratio}", flush=True)
    print()
    for method, vals in totals.items():
        if vals:
            p, r, f1, err, t_l1 = np.mean(vals, axis=0)
            print(
                f"mean over {len(vals)} noisy conditions: {method:<8} P {p:.3f}  R {r:.3f}  "
                f"F1 {f1:.3f}  |rate err| {err:.3f}  T-L1 {t_l1:.3f}"
            )


if __name__ == "__main__":
    main()
