"""The joint, transition and per-class counts against independent references."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.labels.estimate import estimate_joint, issue_counts, transition_from_joint
from noisyprobe.noise import estimate_transition
from noisyprobe.select.confident import estimate_noise


def test_joint_matches_confident_learning():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=300)
    y = rng.integers(0, 4, 300)
    np.testing.assert_allclose(estimate_joint(y, p, 4), estimate_noise(y, p, 4).joint)


def test_joint_matches_cleanlab_on_clear_cut_probs():
    count = pytest.importorskip("cleanlab.count")
    rng = np.random.default_rng(1)
    true = rng.integers(0, 3, 600)
    given = np.where(rng.random(600) < 0.2, (true + 1) % 3, true)
    p = np.full((600, 3), 0.05)
    p[np.arange(600), true] = 0.9
    ours = estimate_joint(given, p, 3)
    ref = count.estimate_joint(given, p)
    np.testing.assert_allclose(ours, ref, atol=0.02)


def test_transition_of_exact_joint_is_empirical_transition():
    rng = np.random.default_rng(2)
    clean = rng.integers(0, 3, 500)
    noisy = np.where(rng.random(500) < 0.3, rng.integers(0, 3, 500), clean)
    joint = np.zeros((3, 3))
    np.add.at(joint, (noisy, clean), 1.0)
    joint /= joint.sum()
    np.testing.assert_allclose(transition_from_joint(joint), estimate_transition(clean, noisy, 3))


def test_transition_identity_row_for_absent_class():
    t = transition_from_joint(np.array([[0.5, 0.0], [0.5, 0.0]]))
    np.testing.assert_allclose(t, [[0.5, 0.5], [0.0, 1.0]])


def test_issue_counts_capped_by_class_size():
    joint = np.array([[0.0, 0.5], [0.0, 0.5]])
    assert issue_counts(joint, np.array([0, 1, 1, 1])).tolist() == [1, 0]
