"""Realized rates of every noise kind under exact and Bernoulli counting."""

from __future__ import annotations

import math

import numpy as np
import pytest

from noisyprobe.noise import exact_count, inject


def _labels(n: int, c: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, c, size=n)


def _binomial_tol(n: int, p: float, z: float = 5.0) -> float:
    return z * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.25, 0.37, 0.8, 1.0])
@pytest.mark.parametrize("n", [1, 7, 1000])
def test_symmetric_exact_changes_exactly_round_rn(rate, n):
    y = _labels(n, 4)
    nl = inject(y, "symmetric", rate, 4, seed=1)
    k = math.floor(rate * n + 0.5)
    assert nl.num_changed == k == exact_count(rate, n)
    assert nl.realized_rate == pytest.approx(k / n)
    np.testing.assert_array_equal(nl.is_noisy, nl.labels != y)


def test_exact_count_rounds_half_up():
    assert [exact_count(0.5, n) for n in (1, 3, 5)] == [1, 2, 3]
    assert exact_count(0.25, 10) == 3
    assert exact_count(0.0, 10) == 0 and exact_count(1.0, 10) == 10


@pytest.mark.parametrize("rate", [0.2, 0.6])
def test_symmetric_bernoulli_rate(rate):
    n = 40_000
    nl = inject(_labels(n, 5), "symmetric", rate, 5, seed=2, counting="bernoulli")
    assert abs(nl.realized_rate - rate) < _binomial_tol(n, rate)


@pytest.mark.parametrize("counting", ["exact", "bernoulli"])
@pytest.mark.parametrize(("rate", "c"), [(0.4, 2), (0.5, 10), (1.0, 4)])
def test_symmetric_inclusive_rate(counting, rate, c):
    n = 40_000
    nl = inject(_labels(n, c), "symmetric-inclusive", rate, c, seed=3, counting=counting)
    expected = rate * (c - 1) / c
    assert abs(nl.realized_rate - expected) < _binomial_tol(n, expected)
    # The exclusive convention at the same rate changes more labels.
    exclusive = inject(_labels(n, c), "symmetric", rate, c, seed=3, counting=counting)
    assert exclusive.realized_rate > nl.realized_rate


def test_symmetric_targets_are_uniform_over_other_classes():
    n, c = 60_000, 4
    y = np.zeros(n, dtype=np.int64)
    nl = inject(y, "symmetric", 0.5, c, seed=4)
    counts = np.bincount(nl.labels[nl.is_noisy], minlength=c)
    assert counts[0] == 0
    share = counts[1:] / counts.sum()
    assert np.all(np.abs(share - 1 / 3) < _binomial_tol(counts.sum(), 1 / 3))


def test_asymmetric_follows_default_map_exactly():
    y = _labels(5000, 6)
    nl = inject(y, "asymmetric", 0.3, 6, seed=5)
    changed = nl.is_noisy
    np.testing.assert_array_equal(nl.labels[changed], (y[changed] + 1) % 6)
    assert nl.num_changed == exact_count(0.3, 5000)


def test_asymmetric_custom_map_and_self_mapped_classes():
    y = np.repeat(np.arange(4), 250)  # 1000 samples, 250 per class
    pair_map = {0: 2, 2: 0, 3: 1}  # class 1 maps to itself: never changes
    nl = inject(y, "asymmetric", 0.4, 4, seed=6, pair_map=pair_map)
    assert not nl.is_noisy[y == 1].any()
    mapping = np.array([2, 1, 0, 1])
    np.testing.assert_array_equal(nl.labels[nl.is_noisy], mapping[y[nl.is_noisy]])
    # Exact counting over the 750 eligible samples; the realized rate is over all 1000.
    assert nl.num_changed == exact_count(0.4, 750) == 300
    assert nl.realized_rate == pytest.approx(0.3)
    # The array form of the same map gives the same labels.
    same = inject(y, "asymmetric", 0.4, 4, seed=6, pair_map=mapping)
    np.testing.assert_array_equal(same.labels, nl.labels)


def test_asymmetric_bernoulli_rate_per_class():
    n = 40_000
    y = _labels(n, 3)
    nl = inject(y, "asymmetric", 0.25, 3, seed=7, counting="bernoulli")
    for c in range(3):
        frac = nl.is_noisy[y == c].mean()
        assert abs(frac - 0.25) < _binomial_tol((y == c).sum(), 0.25)


@pytest.mark.parametrize("counting", ["exact", "bernoulli"])
def test_transition_empirical_matches_matrix(counting):
    t = np.array(
        [[0.7, 0.2, 0.1, 0.0], [0.0, 1.0, 0.0, 0.0], [0.3, 0.0, 0.6, 0.1], [0, 0, 0.5, 0.5]]
    )
    n = 40_000
    y = _labels(n, 4, seed=8)
    nl = inject(y, "transition", None, 4, seed=8, counting=counting, transition=t)
    n_min = np.bincount(y).min()
    tol = 1.5 / n_min if counting == "exact" else _binomial_tol(n_min, 0.25)
    np.testing.assert_allclose(nl.transition, t, atol=tol)
    # Zero-probability transitions never happen.
    assert np.all(nl.transition[t == 0] == 0)
    assert nl.rate == pytest.approx(np.mean(1 - np.diag(t)[y]))
    assert abs(nl.realized_rate - nl.rate) < 0.01


def test_transition_exact_counts_per_class():
    y = np.array([0] * 10 + [1] * 4)
    t = np.array([[0.7, 0.3], [0.5, 0.5]])
    nl = inject(y, "transition", None, 2, seed=0, transition=t)
    assert (nl.labels[:10] == 1).sum() == 3
    assert (nl.labels[10:] == 0).sum() == 2


def test_transition_identity_changes_nothing():
    y = _labels(500, 3)
    for counting in ("exact", "bernoulli"):
        nl = inject(y, "transition", None, 3, seed=1, counting=counting, transition=np.eye(3))
        np.testing.assert_array_equal(nl.labels, y)
        assert nl.rate == 0.0 and nl.realized_rate == 0.0


def _features(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


@pytest.mark.parametrize("rate", [0.2, 0.45])
def test_instance_mean_flip_rate_and_no_self_flips(rate):
    n, c = 20_000, 5
    y = _labels(n, c)
    x = _features(n)
    exact = inject(y, "instance", rate, c, seed=9, features=x)
    assert exact.num_changed == exact_count(rate, n)
    bern = inject(y, "instance", rate, c, seed=9, features=x, counting="bernoulli")
    # Truncation to [0, 1] moves the mean of q by < 1e-3 at these rates.
    assert abs(bern.realized_rate - rate) < _binomial_tol(n, rate) + 1e-3
    for nl in (exact, bern):
        assert np.all(nl.labels[nl.is_noisy] != y[nl.is_noisy])
        assert np.all(np.diag(nl.transition) < 1)


def test_instance_direction_depends_on_features():
    # Flips of samples with identical features all go the same way at low temperature;
    # samples with different features spread over several classes.
    n, c = 4000, 6
    y = np.zeros(n, dtype=np.int64)
    x = np.repeat(_features(2, d=8, seed=1), n // 2, axis=0)
    nl = inject(y, "instance", 0.5, c, seed=10, features=x, temperature=0.01)
    first, second = nl.labels[: n // 2], nl.labels[n // 2 :]
    assert len(set(first[nl.is_noisy[: n // 2]])) == 1
    assert len(set(second[nl.is_noisy[n // 2 :]])) == 1
    spread = inject(y, "instance", 0.5, c, seed=10, features=_features(n, d=8))
    assert len(set(spread.labels[spread.is_noisy])) == c - 1


def test_instance_rate_std_zero_and_limits():
    n = 3000
    y = _labels(n, 3)
    x = _features(n)
    nl = inject(y, "instance", 0.3, 3, seed=11, features=x, rate_std=0.0, counting="bernoulli")
    assert abs(nl.realized_rate - 0.3) < _binomial_tol(n, 0.3)
    assert inject(y, "instance", 0.0, 3, seed=1, features=x, counting="bernoulli").num_changed == 0
    assert inject(y, "instance", 1.0, 3, seed=1, features=x, counting="bernoulli").num_changed == n
