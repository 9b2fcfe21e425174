"""Exact k-nearest-neighbour evaluation of frozen features, chunked so N x N is never held.

Similarities of one block of queries against one block of the reference set are computed
with a float32 matrix product and merged into a running top-k, so memory is
O(query_chunk · (k + base_chunk)) whatever N is; time is O(N_query · N_ref · D).

Determinism (documented conventions):
- neighbours are ordered by similarity, ties by the smaller reference index, whatever the
  chunk sizes;
- a vote tie between classes goes to the smallest class label (as scikit-learn's
  ``KNeighborsClassifier`` with uniform weights);
- under ``metric="cosine"`` a zero vector has similarity 0 to everything (scikit-learn's
  convention for cosine distance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noisyprobe.diagnostics._blocks import RowView, as_matrix
from noisyprobe.errors import NoisyProbeError

METRICS = ("cosine", "euclidean")


def knn_search(
    queries: np.ndarray,
    reference: np.ndarray,
    *,
    k: int,
    metric: str = "cosine",
    exclude: np.ndarray | None = None,
    chunk: int = 1024,
    ref_chunk: int = 4096,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices [Q, k] and scores [Q, k] of each query's k nearest reference rows.

    Scores are cosine similarities (``metric="cosine"``) or ``q·r - ‖r‖²/2`` (``"euclidean"``,
    which orders neighbours exactly like the Euclidean distance); both descend along a row.

    Args:
        queries: [Q, D] query features.
        reference: [N, D] reference features (memmaps are read block by block).
        k: number of neighbours, ``1 <= k <= N`` (``N - 1`` with ``exclude``).
        metric: ``"cosine"`` or ``"euclidean"``.
        exclude: optional int [Q]: a reference index each query must not return (itself).
        chunk: queries per block; ref_chunk: reference rows per block.

    Example:
        >>> ref = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
        >>> knn_search(np.array([[1.0, 0.1]]), ref, k=2)[0].tolist()
        [[0, 2]]
    """
    queries = as_matrix(queries, "queries")
    reference = as_matrix(reference, "reference")
    if queries.shape[1] != reference.shape[1]:
        raise NoisyProbeError(
            f"queries have {queries.shape[1]} features but the reference has {reference.shape[1]}"
        )
    if metric not in METRICS:
        raise NoisyProbeError(f"metric: expected one of {', '.join(METRICS)}, got {metric!r}")
    n_ref = reference.shape[0]
    available = n_ref - (1 if exclude is not None else 0)
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= available:
        raise NoisyProbeError(f"k: expected an integer in 1..{available}, got {k!r}")
    for name, value in (("chunk", chunk), ("ref_chunk", ref_chunk)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise NoisyProbeError(f"{name}: expected a positive integer, got {value!r}")
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=np.int64)
        if exclude.shape != (queries.shape[0],):
            raise NoisyProbeError(f"exclude: expected {queries.shape[0]} indices")
    ref_scale, ref_offset = _reference_terms(reference, metric, ref_chunk)
    q_total = queries.shape[0]
    out_idx = np.empty((q_total, k), dtype=np.int64)
    out_score = np.empty((q_total, k), dtype=np.float32)
    for qs in range(0, q_total, chunk):
        q = np.asarray(queries[qs : qs + chunk], dtype=np.float32)
        if metric == "cosine":
            q = q / _safe_norms(q)[:, None]
        best_s = np.empty((q.shape[0], 0), dtype=np.float32)
        best_i = np.empty((q.shape[0], 0), dtype=np.int64)
        for rs in range(0, n_ref, ref_chunk):
            r = np.asarray(reference[rs : rs + ref_chunk], dtype=np.float32)
            s = q @ (r * ref_scale[rs : rs + r.shape[0], None]).T
            if ref_offset is not None:
                s -= ref_offset[rs : rs + r.shape[0]]
            if exclude is not None:
                ex = exclude[qs : qs + q.shape[0]] - rs
                hit = np.flatnonzero((ex >= 0) & (ex < r.shape[0]))
                s[hit, ex[hit]] = -np.inf
            best_s, best_i = _merge_top_k(best_s, best_i, s, rs, k)
        order = _row_order(best_s, best_i)
        out_idx[qs : qs + q.shape[0]] = np.take_along_axis(best_i, order, axis=1)
        out_score[qs : qs + q.shape[0]] = np.take_along_axis(best_s, order, axis=1)
    return out_idx, out_score


def knn_predict(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    *,
    k: int = 20,
    metric: str = "cosine",
    num_classes: int | None = None,
    chunk: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """Majority-vote predictions [Q] and vote shares [Q, C] of a k-NN classifier.

    Example:
        >>> tr = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
        >>> pred, share = knn_predict(tr, np.array([0, 0, 1]), np.array([[1.0, 0.2]]), k=3)
        >>> pred.tolist(), share.round(3).tolist()
        ([0], [[0.667, 0.333]])
    """
    train_y = _check_labels(train_y, train_x, "train_y")
    c = int(train_y.max()) + 1 if num_classes is None else int(num_classes)
    if c <= int(train_y.max()):
        raise NoisyProbeError(f"num_classes={c} but train_y holds label {int(train_y.max())}")
    idx, _ = knn_search(test_x, train_x, k=k, metric=metric, chunk=chunk)
    shares = _vote_shares(train_y[idx], c)
    return shares.argmax(axis=1), shares


def knn_accuracy(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    *,
    k: int = 20,
    metric: str = "cosine",
    chunk: int = 1024,
) -> float:
    """Accuracy of a k-NN majority vote (cosine by default) trained on ``train_x``.

    Example:
        >>> tr = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
        >>> knn_accuracy(tr, np.array([0, 0, 1, 1]), tr, np.array([0, 0, 1, 1]), k=1)
        1.0
    """
    test_y = _check_labels(test_y, test_x, "test_y")
    pred, _ = knn_predict(train_x, train_y, test_x, k=k, metric=metric, chunk=chunk)
    return float(np.mean(pred == test_y))


def knn_label_agreement(
    x: np.ndarray,
    y: np.ndarray,
    *,
    k: int = 20,
    metric: str = "cosine",
    queries: np.ndarray | None = None,
    chunk: int = 1024,
) -> np.ndarray:
    """For each sample, the share of its k nearest other samples that carry the same label.

    A sample never counts as its own neighbour (excluded by index, so exact duplicates still
    count). Low agreement flags likely label noise; its mean estimates label purity.

    Args:
        x: features [N, D]; y: labels [N] (non-negative ints).
        k: neighbours per sample (``<= N - 1``).
        queries: optional indices of the samples to score (neighbours still come from all
            N); by default every sample.

    Returns:
        float64 [Q] shares in [0, 1].

    Example:
        >>> x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
        >>> knn_label_agreement(x, np.array([0, 0, 1, 0]), k=1).tolist()
        [1.0, 1.0, 0.0, 0.0]
    """
    x = as_matrix(x)
    y = _check_labels(y, x, "y")
    rows = np.arange(x.shape[0]) if queries is None else np.asarray(queries, dtype=np.int64)
    if rows.ndim != 1 or (rows.size and (rows.min() < 0 or rows.max() >= x.shape[0])):
        raise NoisyProbeError(f"queries: expected indices in 0..{x.shape[0] - 1}")
    q = x if queries is None else RowView(x, rows)
    idx, _ = knn_search(q, x, k=k, metric=metric, exclude=rows, chunk=chunk)
    return (y[idx] == y[rows][:, None]).mean(axis=1)


def _check_labels(y: Any, x: Any, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise NoisyProbeError(f"{name}: expected {x.shape[0]} labels, got shape {y.shape}")
    if y.dtype.kind not in "iu":
        raise NoisyProbeError(f"{name}: expected integer class labels, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise NoisyProbeError(f"{name}: labels must be >= 0 (drop unlabelled samples first)")
    return y.astype(np.int64)


def _vote_shares(neighbour_labels: np.ndarray, num_classes: int) -> np.ndarray:
    q, k = neighbour_labels.shape
    flat = (np.arange(q)[:, None] * num_classes + neighbour_labels).ravel()
    counts = np.bincount(flat, minlength=q * num_classes).reshape(q, num_classes)
    return counts / k


def _safe_norms(a: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->i", a, a, dtype=np.float64)).astype(np.float32)
    norms[norms == 0] = 1.0
    return norms


def _reference_terms(
    reference: Any, metric: str, ref_chunk: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-row scale (1/‖r‖ for cosine, 1 otherwise) and offset (‖r‖²/2 for euclidean)."""
    n = reference.shape[0]
    sq = np.empty(n, dtype=np.float64)
    for rs in range(0, n, ref_chunk):
        r = np.asarray(reference[rs : rs + ref_chunk], dtype=np.float64)
        sq[rs : rs + r.shape[0]] = np.einsum("ij,ij->i", r, r)
    if metric == "cosine":
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        return (1.0 / norms).astype(np.float32), None
    return np.ones(n, dtype=np.float32), (sq / 2).astype(np.float32)


def _merge_top_k(
    best_s: np.ndarray, best_i: np.ndarray, s: np.ndarray, offset: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the k largest of [best, block] per row; equal scores go to the smaller index.

    Candidate position p < kb refers to ``best_i[:, p]``; p >= kb to reference row
    ``offset + p - kb``.
    """
    cand_s = np.concatenate([best_s, s], axis=1)
    rows, width = cand_s.shape
    kb = best_s.shape[1]

    def index_of(pos: np.ndarray) -> np.ndarray:
        out = offset + pos - kb
        if kb:
            from_best = np.take_along_axis(best_i, np.minimum(pos, kb - 1), axis=1)
            out = np.where(pos < kb, from_best, out)
        return out

    if width <= k:
        return cand_s, index_of(np.broadcast_to(np.arange(width), cand_s.shape))
    pos = np.argpartition(-cand_s, k - 1, axis=1)[:, :k]
    sel = np.take_along_axis(cand_s, pos, axis=1)
    kth = sel.min(axis=1, keepdims=True)
    ambiguous = np.flatnonzero((cand_s == kth).sum(axis=1) != (sel == kth).sum(axis=1))
    for row in ambiguous:  # a tie straddles the k-th place: take the smallest indices
        cand_i = np.concatenate([best_i[row], offset + np.arange(width - kb)])
        pos[row] = np.lexsort((cand_i, -cand_s[row]))[:k]
        sel[row] = cand_s[row, pos[row]]
    return sel, index_of(pos)


def _row_order(scores: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per-row order by descending score, then ascending index."""
    by_index = np.argsort(idx, axis=1, kind="stable")
    s_sorted = np.take_along_axis(scores, by_index, axis=1)
    by_score = np.argsort(-s_sorted, axis=1, kind="stable")
    return np.take_along_axis(by_index, by_score, axis=1)
