"""The audit on separable blobs: clean, symmetric and asymmetric injected noise."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.labels import audit
from noisyprobe.noise import inject

FAST = {"l2s": (0.1, 1.0), "keep": 1, "repeats": 2}


def _blobs(n=800, c=4, d=8, sep=6.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    x = rng.normal(size=(n, d)) + sep * np.eye(c, d)[y]
    return x, y


def test_clean_separable_data_has_no_noise():
    x, y = _blobs()
    a = audit(x, y, 4, **FAST)
    assert a.noise_rate < 0.01
    assert a.issues.sum() <= 4
    np.testing.assert_allclose(a.joint.sum(), 1.0)
    np.testing.assert_allclose(a.transition, np.eye(4), atol=0.02)


def test_symmetric_30_percent_rate_and_precision():
    x, y = _blobs()
    nl = inject(y, "symmetric", 0.3, 4, seed=0)
    a = audit(x, nl.labels, 4, **FAST)
    assert abs(a.noise_rate - nl.realized_rate) <= 0.05
    precision = (a.issues & nl.is_noisy).sum() / a.issues.sum()
    recall = (a.issues & nl.is_noisy).sum() / nl.is_noisy.sum()
    assert precision > 0.9 and recall > 0.8
    # the most suspicious samples are flips
    assert nl.is_noisy[a.ranking[:50]].mean() > 0.9


def test_asymmetric_transition_close_to_truth():
    x, y = _blobs(n=1200)
    nl = inject(y, "asymmetric", 0.25, 4, seed=1)
    a = audit(x, nl.labels, 4, **FAST)
    assert abs(a.noise_rate - nl.realized_rate) <= 0.05
    np.testing.assert_allclose(a.transition, nl.transition, atol=0.06)
    np.testing.assert_allclose(a.transition.sum(axis=1), 1.0)


def test_flagged_samples_are_predicted_as_another_class():
    x, y = _blobs(n=400)
    nl = inject(y, "symmetric", 0.2, 4, seed=2)
    a = audit(x, nl.labels, 4, **FAST)
    assert (a.predicted[a.issues] != nl.labels[a.issues]).all()
    assert (a.disagreement[a.issues] == 1.0).all()


def test_same_seed_same_result():
    x, y = _blobs(n=300)
    nl = inject(y, "symmetric", 0.2, 4, seed=3)
    a, b = (audit(x, nl.labels, 4, **FAST) for _ in range(2))
    assert a.issues.tolist() == b.issues.tolist()
    assert a.noise_rate == b.noise_rate


@pytest.mark.parametrize(
    ("labels", "kwargs", "match"),
    [
        (np.full(100, 5), {}, "labels"),
        (np.zeros(100, dtype=int), {"min_disagreement": 0.0}, "min_disagreement"),
        (np.zeros(5, dtype=int), {}, "too few"),
        (np.zeros(100, dtype=int), {"refits": -1}, "refits"),
    ],
)
def test_bad_input(labels, kwargs, match):
    x = np.random.default_rng(0).normal(size=(labels.size, 3))
    with pytest.raises(NoisyProbeError, match=match):
        audit(x, labels, 4, **kwargs)


def test_no_refit_is_one_pruning_pass_of_the_ensemble():
    from noisyprobe.labels.agreement import disagreement
    from noisyprobe.labels.ensemble import ensemble_probs
    from noisyprobe.labels.estimate import estimate_joint
    from noisyprobe.labels.prune import pair_counts, prune_by_noise_rate

    x, y = _blobs(n=600, sep=3.0)
    nl = inject(y, "asymmetric", 0.3, 4, seed=4)
    a = audit(x, nl.labels, 4, refits=0, **FAST)
    e = ensemble_probs(x, nl.labels, 4, l2s=(0.1, 1.0), keep=1, repeats=2)
    counts = pair_counts(estimate_joint(nl.labels, e.mean, 4), 600)
    eligible = (disagreement(e.members, nl.labels) == 1.0) & (e.mean.argmax(1) != nl.labels)
    want = prune_by_noise_rate(nl.labels, e.mean, counts, eligible)
    np.testing.assert_array_equal(a.issues, want)
    assert a.info["refits"] == 0


def test_refits_find_more_flips_under_heavy_pair_noise():
    x, y = _blobs(n=1200, sep=2.5, seed=5)
    nl = inject(y, "asymmetric", 0.4, 4, seed=5)
    f1 = {}
    for refits in (0, 4):
        a = audit(x, nl.labels, 4, refits=refits, **FAST)
        tp = (a.issues & nl.is_noisy).sum()
        f1[refits] = 2 * tp / (a.issues.sum() + nl.is_noisy.sum())
        assert 0 <= a.info["refits"] <= refits
    assert f1[4] > f1[0]
