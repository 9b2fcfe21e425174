"""The cross-validated ensemble: members are the probe's out-of-fold probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.labels.ensemble import ensemble_probs
from noisyprobe.select.probe import cross_val_probs


def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 5)) + 2.0 * np.eye(3, 5)[y]
    return x, y


def test_members_are_probe_outputs_and_keep_best_penalties():
    x, y = _blobs()
    e = ensemble_probs(x, y, 3, folds=4, repeats=2, l2s=(0.01, 1.0, 100.0), keep=2, seed=3)
    assert e.members.shape == (4, 240, 3)
    best = sorted(e.oof_nll, key=e.oof_nll.get)[:2]
    assert sorted(set(e.l2s)) == sorted(best)
    assert e.seeds == (3, 4, 3, 4)
    ref = cross_val_probs(x, y, 3, folds=4, l2=e.l2s[1], seed=4)
    np.testing.assert_allclose(e.members[1], ref)
    np.testing.assert_allclose(e.mean, e.members.mean(axis=0))
    assert e.oof_nll[100.0] > e.oof_nll[0.01]  # heavy penalty: near-uniform probabilities


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"l2s": ()}, "l2s"),
        ({"l2s": (0.1, -1.0)}, "l2s"),
        ({"keep": 3, "l2s": (0.1, 1.0)}, "keep"),
        ({"repeats": 0}, "repeats"),
    ],
)
def test_bad_options(kwargs, match):
    x, y = _blobs(60)
    with pytest.raises(NoisyProbeError, match=match):
        ensemble_probs(x, y, 3, **kwargs)


def test_train_mask_heads_never_train_on_masked_rows():
    from sklearn.linear_model import LogisticRegression

    from noisyprobe.select.probe import stratified_folds

    x, y = _blobs(180, seed=1)
    mask = np.random.default_rng(2).random(180) > 0.3
    l2, folds = 0.1, 3
    got = cross_val_probs(x, y, 3, folds=folds, l2=l2, seed=5, train_mask=mask)
    fold = stratified_folds(y, folds, seed=5)
    xs = (x - x.mean(0)) / x.std(0)
    for f in range(folds):
        train = (fold != f) & mask
        ref = LogisticRegression(C=1.0 / (l2 * train.sum()), tol=1e-10, max_iter=10000)
        ref.fit(xs[train], y[train])
        np.testing.assert_allclose(got[fold == f], ref.predict_proba(xs[fold == f]), atol=2e-4)


def test_train_mask_log_loss_only_counts_training_rows():
    x, y = _blobs(120)
    mask = np.arange(120) % 4 != 0
    e = ensemble_probs(x, y, 3, folds=3, repeats=1, l2s=(0.5,), keep=1, train_mask=mask)
    p = e.members[0]
    want = -np.log(p[np.flatnonzero(mask), y[mask]]).mean()
    np.testing.assert_allclose(e.oof_nll[0.5], want)


def test_train_mask_validation():
    x, y = _blobs(60)
    with pytest.raises(NoisyProbeError, match="train_mask"):
        cross_val_probs(x, y, 3, train_mask=np.ones(59, bool))
    with pytest.raises(NoisyProbeError, match="train_mask"):
        cross_val_probs(x, y, 3, folds=2, train_mask=np.zeros(60, bool))
