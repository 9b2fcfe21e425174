"""Chunked exact k-NN against scikit-learn's brute-force neighbours and classifier."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noisyprobe.diagnostics.knn import (
    knn_accuracy,
    knn_label_agreement,
    knn_predict,
    knn_search,
)
from noisyprobe.errors import NoisyProbeError

sk_neighbors = pytest.importorskip("sklearn.neighbors")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 12)) * 1.5
    y = rng.integers(0, 4, 700)
    x = (centres[y] + rng.normal(size=(700, 12))).astype(np.float32)
    return x[:500], y[:500], x[500:], y[500:]


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("k", [1, 6, 25])
def test_matches_sklearn_brute(data, metric, k):
    tx, ty, qx, qy = data
    clf = sk_neighbors.KNeighborsClassifier(n_neighbors=k, metric=metric, algorithm="brute")
    clf.fit(tx, ty)
    pred, shares = knn_predict(tx, ty, qx, k=k, metric=metric, chunk=37)
    assert np.array_equal(pred, clf.predict(qx))
    assert np.allclose(shares, clf.predict_proba(qx))
    assert knn_accuracy(tx, ty, qx, qy, k=k, metric=metric) == pytest.approx(clf.score(qx, qy))
    nn = sk_neighbors.NearestNeighbors(n_neighbors=k, metric=metric, algorithm="brute").fit(tx)
    idx, _ = knn_search(qx, tx, k=k, metric=metric, chunk=50, ref_chunk=33)
    assert np.array_equal(idx, nn.kneighbors(qx, return_distance=False))


def test_scores_are_cosine_similarities(data):
    tx, _, qx, _ = data
    idx, score = knn_search(qx[:5], tx, k=3)
    q = qx[:5] / np.linalg.norm(qx[:5], axis=1, keepdims=True)
    t = tx[idx] / np.linalg.norm(tx[idx], axis=2, keepdims=True)
    assert np.allclose(score, np.einsum("qd,qkd->qk", q, t), atol=1e-5)
    assert np.all(np.diff(score, axis=1) <= 0)


def test_neighbour_ties_go_to_the_smaller_index_whatever_the_chunks():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(8, 5)).astype(np.float32)
    ref = np.repeat(base, 6, axis=0)  # six exact copies of each point
    expected = None
    for ref_chunk in (1, 4, 7, 48):
        idx, _ = knn_search(base, ref, k=8, ref_chunk=ref_chunk, chunk=3)
        if expected is None:
            expected = idx
        assert np.array_equal(idx, expected)
    # first six neighbours: the copies, in index order; then the next point's lowest indices
    assert expected[0, :6].tolist() == list(range(6))
    assert np.all(np.diff(expected[:, :6], axis=1) == 1)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    chunk=st.integers(1, 40),
    ref_chunk=st.integers(1, 40),
    k=st.integers(1, 10),
)
def test_chunking_never_changes_the_answer(seed, chunk, ref_chunk, k):
    rng = np.random.default_rng(seed)
    ref = rng.integers(-2, 3, size=(30, 3)).astype(np.float32)  # many exact ties
    q = rng.integers(-2, 3, size=(9, 3)).astype(np.float32)
    a = knn_search(q, ref, k=k, chunk=chunk, ref_chunk=ref_chunk, metric="euclidean")
    b = knn_search(q, ref, k=k, chunk=1000, ref_chunk=1000, metric="euclidean")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    # ground truth: sort by (score desc, index asc)
    score = q @ ref.T - (ref * ref).sum(1) / 2
    order = np.lexsort((np.broadcast_to(np.arange(30), score.shape), -score), axis=1)[:, :k]
    assert np.array_equal(a[0], order)


def test_vote_ties_go_to_the_smallest_label():
    ref = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    pred, shares = knn_predict(ref, np.array([3, 1]), np.array([[1.0, 1.0]]), k=2)
    assert pred.tolist() == [1] and shares[0, 1] == shares[0, 3] == 0.5


def test_zero_vector_has_zero_cosine_similarity():
    ref = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    idx, score = knn_search(np.array([[1.0, 0.0]]), ref, k=3)
    assert idx.tolist() == [[1, 0, 2]] and score[0].tolist() == [1.0, 0.0, -1.0]


def test_label_agreement_matches_sklearn_and_excludes_self(data):
    tx, ty, _, _ = data
    got = knn_label_agreement(tx, ty, k=7)
    nn = sk_neighbors.NearestNeighbors(n_neighbors=8, metric="cosine", algorithm="brute").fit(tx)
    ref_idx = nn.kneighbors(tx, return_distance=False)
    assert np.all(ref_idx[:, 0] == np.arange(len(tx)))
    assert np.allclose(got, (ty[ref_idx[:, 1:]] == ty[:, None]).mean(axis=1))
    sub = np.array([5, 0, 499])
    assert np.allclose(knn_label_agreement(tx, ty, k=7, queries=sub), got[sub])


def test_label_agreement_counts_exact_duplicates():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert knn_label_agreement(x, np.array([0, 0, 1]), k=1).tolist() == [1.0, 1.0, 0.0]


def test_noise_lowers_label_agreement(data):
    tx, ty, _, _ = data
    noisy = ty.copy()
    flip = np.random.default_rng(3).random(ty.size) < 0.4
    noisy[flip] = (noisy[flip] + 1) % 4
    assert knn_label_agreement(tx, noisy, k=10).mean() < knn_label_agreement(tx, ty, k=10).mean()


def test_bad_input():
    x = np.ones((5, 3), dtype=np.float32)
    y = np.zeros(5, dtype=np.int64)
    with pytest.raises(NoisyProbeError, match="k: expected"):
        knn_search(x, x, k=6)
    with pytest.raises(NoisyProbeError, match="k: expected"):
        knn_label_agreement(x, y, k=5)
    with pytest.raises(NoisyProbeError, match="metric"):
        knn_search(x, x, k=1, metric="manhattan")
    with pytest.raises(NoisyProbeError, match="features"):
        knn_search(x, np.ones((5, 2)), k=1)
    with pytest.raises(NoisyProbeError, match=">= 0"):
        knn_accuracy(x, y - 1, x, y, k=1)
    with pytest.raises(NoisyProbeError, match="expected 5 labels"):
        knn_accuracy(x, y[:4], x, y, k=1)
