"""Pruning by noise rate against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.labels.prune import pair_counts, prune_by_noise_rate


def _reference(labels, probs, counts, eligible):
    """For each (i, j): sort the samples labelled i by p_j - p_i by hand, take the top k."""
    picked = set()
    for i in range(probs.shape[1]):
        for j in range(probs.shape[1]):
            if i == j:
                continue
            members = [n for n in range(labels.size) if labels[n] == i]
            members.sort(key=lambda n: (-(probs[n, j] - probs[n, i]), n))
            picked.update(members[: counts[i, j]])
    return np.array([n in picked and bool(eligible[n]) for n in range(labels.size)])


def test_pair_counts_round_and_zero_diagonal():
    q = np.array([[0.5, 0.104, 0.0], [0.026, 0.3, 0.0], [0.0, 0.02, 0.05]])
    got = pair_counts(q, 100)
    assert got.tolist() == [[0, 10, 0], [3, 0, 0], [0, 2, 0]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, c = 60, 4
    labels = rng.integers(0, c, n)
    probs = rng.dirichlet(np.ones(c), size=n)
    counts = rng.integers(0, 4, size=(c, c))
    eligible = rng.random(n) < 0.7
    got = prune_by_noise_rate(labels, probs, counts, eligible)
    np.testing.assert_array_equal(got, _reference(labels, probs, counts, eligible))


def test_union_of_pairs_and_eligibility():
    labels = np.array([0, 0, 0, 0])
    probs = np.array([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7], [0.9, 0.05, 0.05], [0.3, 0.6, 0.1]])
    counts = np.array([[5, 1, 1], [0, 0, 0], [0, 0, 0]])  # the diagonal is ignored
    assert prune_by_noise_rate(labels, probs, counts, np.ones(4, bool)).tolist() == [
        True,
        True,
        False,
        False,
    ]
    eligible = np.array([False, True, True, True])
    assert prune_by_noise_rate(labels, probs, counts, eligible).tolist() == [
        False,
        True,
        False,
        False,
    ]


def test_bad_shapes():
    with pytest.raises(NoisyProbeError, match="counts"):
        prune_by_noise_rate(np.zeros(3, int), np.full((3, 2), 0.5), np.zeros((3, 3)), np.ones(3))
