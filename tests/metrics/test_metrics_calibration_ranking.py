"""ECE against a hand-computed value and a plain loop; AUROC against scikit-learn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from noisyprobe.errors import NoisyProbeError
from noisyprobe.metrics import auroc, ece, evaluate


def _loop_ece(probs, y, n_bins):
    """The textbook loop (Guo et al. 2017): bins (lower, upper], weighted |acc - conf|."""
    conf = probs.max(axis=1)
    pred = probs.argmax(axis=1)
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        in_bin = (conf > lo) & (conf <= hi)
        if i == 0:
            in_bin |= conf == 0
        if in_bin.any():
            acc = (pred[in_bin] == y[in_bin]).mean()
            total += in_bin.mean() * abs(acc - conf[in_bin].mean())
    return total


def test_ece_hand_computed():
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.55, 0.45]])
    y = np.array([0, 1, 1, 1])
    # 10 bins: 0.9 -> (0.8,0.9]: acc 1, conf 0.9; 0.8 -> (0.7,0.8]: acc 0, conf 0.8;
    # 0.7 -> (0.6,0.7]: acc 1, conf 0.7; 0.55 -> (0.5,0.6]: acc 0, conf 0.55.
    expected = (0.1 + 0.8 + 0.3 + 0.55) / 4
    assert ece(probs, y, n_bins=10) == pytest.approx(expected)
    # One bin: |mean acc - mean conf| = |0.5 - 0.7375|.
    assert ece(probs, y, n_bins=1) == pytest.approx(abs(0.5 - 0.7375))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_bins", [1, 10, 15])
def test_ece_matches_loop(seed, n_bins):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(500, 6)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = rng.integers(0, 6, size=500)
    assert ece(probs, y, n_bins=n_bins) == pytest.approx(_loop_ece(probs, y, n_bins))


def test_ece_bin_edges_and_perfect_calibration():
    # Confidence exactly on an edge (0.6 with 5 bins) belongs to the lower bin (0.4, 0.6].
    probs = np.array([[0.6, 0.4], [0.6, 0.4], [1.0, 0.0]])
    y = np.array([0, 1, 0])
    assert ece(probs, y, n_bins=5) == pytest.approx(_loop_ece(probs, y, 5))
    assert ece(np.array([[1.0, 0.0], [0.0, 1.0]]), [0, 1]) == 0.0
    # With 4 bins the edge 0.75 is exact: 0.75 (correct) sits in (0.5, 0.75], apart from
    # 0.8 (wrong) in (0.75, 1]; ECE = (0.25 + 0.8) / 2, not |0.5 - 0.775| from one shared bin.
    probs = np.array([[0.75, 0.25], [0.8, 0.2]])
    assert ece(probs, [0, 1], n_bins=4) == pytest.approx(0.525)
    assert _loop_ece(probs, np.array([0, 1]), 4) == pytest.approx(0.525)


def test_ece_errors():
    with pytest.raises(NoisyProbeError, match="probabilities"):
        ece(np.array([[2.0, -1.0]]), [0])
    with pytest.raises(NoisyProbeError, match="same number"):
        ece(np.array([[0.5, 0.5]]), [0, 1])
    with pytest.raises(NoisyProbeError, match="n_bins"):
        ece(np.array([[0.5, 0.5]]), [0], n_bins=0)
    with pytest.raises(NoisyProbeError, match="outside"):
        ece(np.array([[0.5, 0.5]]), [2])


@pytest.mark.parametrize("seed", range(4))
def test_auroc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.random(300) < 0.3
    scores = np.round(rng.normal(size=300) + y, 1)  # rounding makes many ties
    assert auroc(scores, y) == pytest.approx(roc_auc_score(y, scores))
    assert auroc(scores, y.astype(int)) == pytest.approx(roc_auc_score(y, scores))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=2, max_size=30))
def test_auroc_property(pairs):
    scores = np.array([s for s, _ in pairs], dtype=float)
    y = np.array([b for _, b in pairs])
    if y.all() or not y.any():
        assert np.isnan(auroc(scores, y))
    else:
        assert auroc(scores, y) == pytest.approx(roc_auc_score(y, scores))
        # Complement symmetry: flipping the score order gives 1 - AUROC.
        assert auroc(-scores, y) == pytest.approx(1 - auroc(scores, y))


def test_auroc_limits_and_errors():
    assert auroc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert auroc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    assert auroc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5
    assert np.isnan(auroc([1, 2], [1, 1]))
    with pytest.raises(NoisyProbeError, match="0/1"):
        auroc([1, 2], [0, 2])
    with pytest.raises(NoisyProbeError, match="same length"):
        auroc([1, 2, 3], [0, 1])
    with pytest.raises(NoisyProbeError, match="NaN"):
        auroc([1, np.nan], [0, 1])


def test_evaluate_combines_metrics():
    from sklearn.metrics import balanced_accuracy_score, f1_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=100)
    y[y == 2] = 1  # class 2 absent from y_true
    logits = rng.normal(size=(100, 3))
    logits[np.arange(100), y] += 1.0
    logits[:, 0] -= 5  # class 0 never predicted -> zero recall
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = probs.argmax(axis=1)
    out = evaluate(y, probs, num_classes=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns that class 2 is only predicted
        expected_bacc = balanced_accuracy_score(y, pred)
    assert out["balanced_accuracy"] == pytest.approx(expected_bacc)
    assert out["accuracy"] == pytest.approx((pred == y).mean())
    assert out["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
    assert out["ece"] == pytest.approx(_loop_ece(probs, y, 15))
    assert out["per_class_recall"][0] == 0.0
    assert out["per_class_recall"][2] is None
    assert out["zero_recall_classes"] == [0]
    import json

    json.dumps(out, allow_nan=False)  # JSON-ready
    with pytest.raises(NoisyProbeError, match="columns"):
        evaluate(y, probs, num_classes=4)
