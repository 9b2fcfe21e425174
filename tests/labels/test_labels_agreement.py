"""Disagreement, margin and the issue score."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.labels.agreement import disagreement, issue_score, margin


def test_margin_matches_cleanlab_normalized_margin():
    rank = pytest.importorskip("cleanlab.rank")
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(5), size=200)
    y = rng.integers(0, 5, 200)
    quality = rank.get_normalized_margin_for_each_label(y, p)  # (1 - margin) / 2
    np.testing.assert_allclose((1 - margin(p, y)) / 2, quality)


def test_disagreement_counts_members():
    rng = np.random.default_rng(1)
    members = rng.dirichlet(np.ones(3), size=(7, 50))
    y = rng.integers(0, 3, 50)
    expected = [np.mean([members[m, i].argmax() != y[i] for m in range(7)]) for i in range(50)]
    np.testing.assert_allclose(disagreement(members, y), expected)


def test_score_bounds_and_order():
    members = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    s = issue_score(members, np.array([0, 0]))
    assert s.tolist() == [0.0, 2.0]
