"""Confident learning and the cross-validated probe against hand computations and sklearn."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.confident import asymmetry, calibrate, confident_joint, estimate_noise
from noisyprobe.select.probe import cross_val_probs, stratified_folds


def test_confident_joint_by_hand():
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    # thresholds: t0 = (0.8 + 0.6 + 0.5) / 3 = 0.633, t1 = (0.2 + 0.3) / 2 = 0.25,
    # t2 = (0.8 + 0.1) / 2 = 0.45
    probs = np.array(
        [
            [0.8, 0.1, 0.1],  # label 0: only 0.8 >= t0 -> 0
            [0.6, 0.3, 0.1],  # label 0: only 0.3 >= t1 -> 1
            [0.5, 0.0, 0.5],  # label 0: only 0.5 >= t2 -> 2
            [0.1, 0.2, 0.7],  # label 1: only 0.7 >= t2 -> 2
            [0.2, 0.3, 0.5],  # label 1: 0.3 >= t1 and 0.5 >= t2 -> the larger: 2
            [0.1, 0.1, 0.8],  # label 2: -> 2
            [0.6, 0.3, 0.1],  # label 2: only 0.3 >= t1 -> 1
        ]
    )
    cj, t, cls = confident_joint(labels, probs, 3)
    np.testing.assert_allclose(t, [1.9 / 3, 0.25, 0.45])
    assert cls.tolist() == [0, 1, 2, 2, 2, 2, 1]
    np.testing.assert_array_equal(cj, [[1, 1, 1], [0, 0, 2], [0, 1, 1]])
    # a sample above no threshold is left out
    _, _, cls = confident_joint(
        np.array([0, 0, 1, 1]), np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]), 2
    )
    assert cls.tolist() == [0, -1, 1, -1]


def test_calibrate_rescales_rows_to_label_counts():
    cj = np.array([[3, 1], [0, 0]])
    labels = np.array([0] * 8 + [1] * 2)
    q = calibrate(cj, labels, 2)
    # row 0: 3/4*8, 1/4*8 = 6, 2; row 1 has no confident sample: its 2 stay on the diagonal
    np.testing.assert_allclose(q, np.array([[6, 2], [0, 2]]) / 10)
    assert q.sum() == pytest.approx(1.0)


def test_asymmetry_limits():
    c = 4
    sym = np.full((c, c), 0.1 / (c - 1)) + np.eye(c) * (0.9 - 0.1 / (c - 1))
    assert asymmetry(sym) == pytest.approx(0.0, abs=1e-12)
    pair = np.eye(c) * 0.8 + np.roll(np.eye(c), 1, axis=1) * 0.2
    assert asymmetry(pair) == pytest.approx(1.0)
    # two targets out of three: share 1/2 -> (1/2 - 1/3) / (2/3) = 1/4
    half = np.eye(c) * 0.8 + (np.roll(np.eye(c), 1, axis=1) + np.roll(np.eye(c), 2, axis=1)) * 0.1
    assert asymmetry(half) == pytest.approx(0.25)
    assert asymmetry(np.eye(c)) == 0.0 and asymmetry(np.array([[0.5, 0.2], [0.1, 0.2]])) == 0.0


@pytest.mark.parametrize(
    ("kind", "rate"), [("pair", 0.2), ("pair", 0.3), ("sym", 0.2), ("sym", 0.4)]
)
def test_estimate_noise_with_ideal_probabilities(kind, rate):
    rng = np.random.default_rng(1)
    n, c = 6000, 5
    y = rng.integers(0, c, n)
    probs = np.full((n, c), 0.05)
    probs[np.arange(n), y] = 0.8
    noisy = y.copy()
    flip = rng.random(n) < rate
    shift = 1 if kind == "pair" else rng.integers(1, c, n)
    noisy[flip] = ((y + shift) % c)[flip]
    est = estimate_noise(noisy, probs, c)
    true_rate = float((noisy != y).mean())
    assert est.noise_rate == pytest.approx(true_rate, abs=0.01)
    assert est.joint.sum() == pytest.approx(1.0)
    if kind == "pair":
        assert est.asymmetry > 0.95
    else:
        assert est.asymmetry < 0.1
    np.testing.assert_array_equal(est.issues, noisy != y)


def test_confident_joint_validation():
    with pytest.raises(NoisyProbeError, match="probs"):
        confident_joint(np.array([0, 1]), np.ones((2, 3)) / 3, 2)
    with pytest.raises(NoisyProbeError, match="labels"):
        confident_joint(np.array([0, 5]), np.ones((2, 2)) / 2, 2)


def test_stratified_folds_balance_each_class():
    labels = np.repeat(np.arange(3), [10, 7, 5])
    folds = stratified_folds(labels, 5, seed=3)
    for c in range(3):
        counts = np.bincount(folds[labels == c], minlength=5)
        assert counts.max() - counts.min() <= 1
    assert (stratified_folds(labels, 5, seed=3) == folds).all()


def test_cross_val_probs_match_sklearn_per_fold():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n, d, c = 240, 6, 3
    y = rng.integers(0, c, n)
    x = rng.normal(size=(n, d)) + 1.5 * np.eye(c, d)[y]
    l2, folds = 0.05, 4
    ours = cross_val_probs(x, y, c, folds=folds, l2=l2, seed=7)
    fold = stratified_folds(y, folds, seed=7)
    xs = (x - x.mean(0)) / x.std(0)
    for f in range(folds):
        train = fold != f
        ref = LogisticRegression(C=1.0 / (l2 * train.sum()), tol=1e-10, max_iter=10000)
        ref.fit(xs[train], y[train])
        np.testing.assert_allclose(ours[fold == f], ref.predict_proba(xs[fold == f]), atol=2e-4)


def test_cross_val_probs_validation():
    x, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(NoisyProbeError, match="folds"):
        cross_val_probs(x, y, 2, folds=1)
    with pytest.raises(NoisyProbeError, match="l2"):
        cross_val_probs(x, y, 2, l2=0)
    with pytest.raises(NoisyProbeError, match="labels"):
        cross_val_probs(x, y + 5, 2)
