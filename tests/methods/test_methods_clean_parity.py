"""Issue 8: with defaults, every method reaches the linear probe's level on clean data.

A noisy-label method should cost (almost) nothing when the labels are clean: on two of
scikit-learn's data sets with clean labels, standardised on the training split
(breast_cancer: 400 training rows, 2 classes; digits: 1400 training rows, 10 classes),
every registered method, with its default hyperparameters and the default training budget,
must reach ``lp``'s balanced accuracy minus 1 point. The score is the mean over ``SPLITS``
stratified train/test splits (``random_state`` 0..3, training seed = split), not over seeds
on one split: breast_cancer's test set has 169 rows, one malignant row is 0.9 points, and on
split 0 alone ``lp`` (96.20, C = 0.36 by cross-validation) is one to two rows ahead of nine
methods, while on split 1 it is below most of them (benchmarks/results/clean-parity.md).
The methods are read from the registry, so a new method is covered automatically.
``benchmarks/baseline_sklearn.py --methods all --data breast_cancer,digits --splits 4``
prints the same comparison. Methods still short of it are listed in ``KNOWN_GAPS`` with the
measured cause (strict xfail).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from noisyprobe.methods import available
from noisyprobe.metrics import balanced_accuracy
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs

pytestmark = pytest.mark.slow

SPLITS = 4
TOLERANCE = 1.0  # balanced-accuracy points below lp
DATASETS = ("breast_cancer", "digits")

# Known misses (issue 8), strict: a miss that starts to pass fails the run, so the entry
# must then be removed here (and the gap closed in the issue).
KNOWN_GAPS: dict[tuple[str, str], str] = {
    ("digits", "dividemix"): (
        "93.45 vs lp 96.97 (4 splits): on clean labels the co-divide still puts the "
        "hardest 8-11% of the samples in the noisy set (lambda_u 0, refined towards the "
        "head's own guess), so the heads drift off them (split 0: train acc 97.9% after "
        "warm-up -> 94.0%); see dividemix.py"
    ),
    ("digits", "label_smoothing"): (
        "95.71 vs lp 96.97 (4 splits): at the C that cross-validation picks for the "
        "cross-entropy (2.78) the smoothed target fits every row to one bounded margin; at "
        "C = 0.1 it reaches 96.22 on split 0 (lp 96.72). The search stays on because on the "
        "IU reports with 30% noise it lifts label smoothing from 80.68 to 88.70"
    ),
    ("digits", "elr"): (
        "94.34 vs lp 96.97 (4 splits): for lambda = 3 > 2 the regulariser outweighs the "
        "cross-entropy on a confidently misfit sample, so the linear head under-fits (split "
        "0: train acc 95.0% vs 98.8%); not the L2 penalty or the budget; see elr.py"
    ),
}


def _cases() -> list:
    return [
        pytest.param(d, m, marks=pytest.mark.xfail(reason=KNOWN_GAPS[d, m], strict=True))
        if (d, m) in KNOWN_GAPS
        else (d, m)
        for d in DATASETS
        for m in available()
        if m != "lp"
    ]


def _split(name: str, split: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.model_selection import train_test_split

    load, size = {"breast_cancer": (load_breast_cancer, 400), "digits": (load_digits, 1400)}[name]
    x, y = load(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, train_size=size, random_state=split, stratify=y)
    mu, sd = xtr.mean(0), xtr.std(0)
    sd[sd == 0] = 1.0  # digits has constant border pixels
    xtr, xte = ((xtr - mu) / sd).astype(np.float32), ((xte - mu) / sd).astype(np.float32)
    return xtr, xte, ytr.astype(np.int64), yte.astype(np.int64)


@functools.cache
def clean_scores(name: str) -> dict[str, float]:
    """Mean test balanced accuracy (points) of every registered method over the splits."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    scores: dict[str, list[float]] = {}
    try:
        for split in range(SPLITS):
            xtr, xte, ytr, yte = _split(name, split)
            c = int(ytr.max()) + 1
            specs = [RunSpec(m, split, ytr) for m in available()]
            out = train_runs(xtr, specs, num_classes=c, config=TrainConfig(), progress=False)
            for spec, proba in zip(specs, predict_proba_runs(out, xte)):
                ba = balanced_accuracy(yte, proba.argmax(1), num_classes=c)
                scores.setdefault(spec.method, []).append(100.0 * ba)
    finally:
        torch.set_num_threads(threads)
    means = {m: float(np.mean(v)) for m, v in scores.items()}
    print(name, {m: round(v, 2) for m, v in means.items()})  # shown by pytest -rA
    return means


# scikit-learn's LogisticRegressionCV, mean over the same splits (benchmarks/baseline_sklearn.py)
LRCV = {"breast_cancer": 95.60, "digits": 96.98}


@pytest.mark.parametrize("dataset", DATASETS)
def test_linear_probe_is_a_sound_reference(dataset):
    assert clean_scores(dataset)["lp"] > LRCV[dataset] - 1.5, clean_scores(dataset)


@pytest.mark.parametrize(("dataset", "method"), _cases())
def test_method_reaches_linear_probe_on_clean_data(dataset, method):
    scores = clean_scores(dataset)
    gap = scores[method] - scores["lp"]
    assert gap >= -TOLERANCE, (
        f"{dataset} {method}: {scores[method]:.2f} vs lp {scores['lp']:.2f} ({gap:+.2f})"
    )
