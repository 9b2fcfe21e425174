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
        "warm-up -> 94.0%); the same co-divide gains 25.5 points at 40% asymmetric noise "
        "(benchmarks/clean_tradeoff.py); see dividemix.py"
    ),
    ("digits", "label_smoothing"): (
        "95.71 vs lp 96.97 (4 splits): the loss, not the trainer: at a fixed C the head "
        "reaches the exact optimum, which is below the cross-entropy's at that C "
        "(test_label_smoothing_gap_is_the_loss_not_the_trainer); the cost grows with eps "
        "(0.75 at 0.05; benchmarks/clean_tradeoff.py), eps = 0.1 is the published value"
    ),
    ("digits", "elr"): (
        "94.34 vs lp 96.97 (4 splits): the pull towards the head's running predictions "
        "under-fits the hard clean rows (split 0: train acc 95.0% vs 98.8%); lambda 0.5-2 "
        "are still 1.1-1.3 short, while any lambda >= 1 gains 9 points at 40% asymmetric "
        "noise (benchmarks/clean_tradeoff.py); see elr.py"
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


def _exact_optimum(x, y, c, *, C: float, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """scipy L-BFGS minimiser of mean label-smoothed CE + |W|^2 / (2 C N) (bias unpenalised)."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    x = x.astype(np.float64)
    n, d = x.shape
    target = np.full((n, c), epsilon / c)
    target[np.arange(n), y] += 1.0 - epsilon

    def objective(w):
        weight, bias = w[: c * d].reshape(c, d), w[c * d :]
        z = x @ weight.T + bias
        log_p = z - logsumexp(z, axis=1, keepdims=True)
        g = (np.exp(log_p) - target) / n
        value = -(target * log_p).sum() / n + (weight**2).sum() / (2 * C * n)
        return value, np.concatenate([(g.T @ x + weight / (C * n)).ravel(), g.sum(0)])

    w = minimize(
        objective,
        np.zeros(c * d + c),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 20000, "gtol": 1e-10},
    ).x
    return w[: c * d].reshape(c, d), w[c * d :]


def test_label_smoothing_gap_is_the_loss_not_the_trainer():
    """The digits label-smoothing xfail's cause: the trainer reaches the objective's optimum.

    At a fixed C the trained head's test probabilities match the exact (L-BFGS) minimiser of
    the same objective, and that minimiser scores below the cross-entropy's at the same C.
    """
    from scipy.special import softmax

    xtr, xte, ytr, yte = _split("digits", 0)
    c, strength = 10, 0.36  # the C cross-validation picks for lp on splits 1-3
    out = train_runs(
        xtr,
        [RunSpec("label_smoothing", 0, ytr)],
        num_classes=c,
        config=TrainConfig(C=strength),
        progress=False,
    )
    (ours,) = predict_proba_runs(out, xte)
    weight, bias = _exact_optimum(xtr, ytr, c, C=strength, epsilon=0.1)
    exact = softmax(xte @ weight.T + bias, axis=1)
    assert np.abs(ours - exact).mean() < 2e-3
    assert (ours.argmax(1) == exact.argmax(1)).mean() >= 0.99
    smoothed = balanced_accuracy(yte, exact.argmax(1), num_classes=c)
    weight, bias = _exact_optimum(xtr, ytr, c, C=strength, epsilon=0.0)
    plain = balanced_accuracy(yte, (xte @ weight.T + bias).argmax(1), num_classes=c)
    trained = balanced_accuracy(yte, ours.argmax(1), num_classes=c)
    assert abs(trained - smoothed) <= 0.005, (trained, smoothed)
    assert plain - smoothed > 0.01, (plain, smoothed)  # measured: 97.22 vs 95.72
