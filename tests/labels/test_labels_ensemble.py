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
