"""Issue 8: with defaults, every method reaches the linear probe's level on clean data.

A noisy-label method should cost (almost) nothing when the labels are clean: on scikit-learn's
breast_cancer (400 training rows, standardised, fixed stratified split, clean labels) every
registered method, with its default hyperparameters and the default training budget, must
reach ``lp``'s balanced accuracy minus 1 point (mean over 3 seeds; one test row is about 0.7
points). The methods are read from the registry, so a new method is covered automatically.
``benchmarks/baseline_sklearn.py --methods all`` prints the same comparison (and digits).
Methods still short of it are listed in ``KNOWN_GAPS`` with the measured cause (xfail).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from noisyprobe.methods import available
from noisyprobe.metrics import balanced_accuracy
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs

pytestmark = pytest.mark.slow

SEEDS = 3
TOLERANCE = 1.0  # balanced-accuracy points below lp

# Known misses (issue 8), strict: a miss that starts to pass fails the run, so the entry
# must then be removed here (and the gap closed in the issue).
KNOWN_GAPS: dict[str, str] = {}  # skd and dividemix passed once TrainConfig.C = 0.1 landed


def _cases() -> list:
    return [
        pytest.param(m, marks=pytest.mark.xfail(reason=KNOWN_GAPS[m], strict=True))
        if m in KNOWN_GAPS
        else m
        for m in available()
        if m != "lp"
    ]


@pytest.fixture(scope="module")
def clean_scores() -> dict[str, float]:
    """Mean test balanced accuracy (in points) of every registered method, clean labels."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x, y = load_breast_cancer(return_X_y=True)
        xtr, xte, ytr, yte = train_test_split(x, y, train_size=400, random_state=0, stratify=y)
        mu, sd = xtr.mean(0), xtr.std(0)
        xtr, xte = ((xtr - mu) / sd).astype(np.float32), ((xte - mu) / sd).astype(np.float32)
        ytr, yte = ytr.astype(np.int64), yte.astype(np.int64)
        specs = [RunSpec(m, s, ytr) for m in available() for s in range(SEEDS)]
        out = train_runs(xtr, specs, num_classes=2, config=TrainConfig(), progress=False)
        scores: dict[str, list[float]] = {}
        for spec, proba in zip(specs, predict_proba_runs(out, xte)):
            ba = balanced_accuracy(yte, proba.argmax(1), num_classes=2)
            scores.setdefault(spec.method, []).append(100.0 * ba)
    finally:
        torch.set_num_threads(threads)
    return {m: float(np.mean(v)) for m, v in scores.items()}


def test_linear_probe_is_a_sound_reference(clean_scores):
    # LogisticRegressionCV reaches 94.6 on this split (benchmarks/baseline_sklearn.py)
    assert clean_scores["lp"] > 93.0, clean_scores


@pytest.mark.parametrize("method", _cases())
def test_method_reaches_linear_probe_on_clean_data(clean_scores, method):
    gap = clean_scores[method] - clean_scores["lp"]
    assert gap >= -TOLERANCE, (
        f"{method}: {clean_scores[method]:.2f} vs lp {clean_scores['lp']:.2f} ({gap:+.2f})"
    )
