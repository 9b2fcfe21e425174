"""One FeatureSet's diagnostic profile: moments, spectrum, k-NN quality, CKA to a reference.

This is what ``noisyprobe diagnose`` prints per column. k-NN protocol (recorded in the
result): labelled ``train`` -> ``test`` samples when both exist, else ``train`` -> ``val``,
else a seeded 80/20 hold-out of the labelled samples; at most ``knn_queries`` query samples
(a seeded subsample, because exact k-NN costs O(N_query · N_train · D)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noisyprobe.diagnostics._blocks import RowView
from noisyprobe.diagnostics.cka import linear_cka_both
from noisyprobe.diagnostics.knn import knn_predict
from noisyprobe.diagnostics.spectrum import spectrum_summary
from noisyprobe.diagnostics.summaries import moment_summary
from noisyprobe.features.store import MISSING_LABEL, FeatureSet


def feature_profile(
    fs: FeatureSet,
    *,
    reference: FeatureSet | None = None,
    k: int = 20,
    metric: str = "cosine",
    knn_queries: int | None = 5000,
    label_column: str | None = None,
    bins: int = 50,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Moments, spectrum (both centring conventions), k-NN accuracy and CKA of a FeatureSet.

    Args:
        fs: the FeatureSet to profile (memmapped features are streamed).
        reference: if given and it shares sample ids with ``fs``, report linear CKA (plain and
            debiased) between the two on the shared samples.
        k, metric: k-NN classifier; ``knn_queries``: cap on evaluated queries (None: all).
        label_column: label column for k-NN (default: the main labels).
        bins: histogram bins of the moment summaries.
        seed: seeds the hold-out split and the query subsample.
        progress: show a progress bar over the stages on stderr.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> fs = FeatureSet(rng.normal(size=(60, 4)), np.arange(60) % 2)
        >>> p = feature_profile(fs, k=5)
        >>> p["n"], p["d"], p["knn"]["protocol"]
        (60, 4, 'holdout')
    """
    from noisyprobe._progress import progress_bar

    stages = ["moments", "spectrum", "knn"] + (["cka"] if reference is not None else [])
    bar = progress_bar(total=len(stages), desc="diagnose", enabled=progress)
    out: dict[str, Any] = {"n": len(fs), "d": fs.dim, "num_classes": fs.num_classes}
    out["moments"] = moment_summary(fs.features, bins=bins) if len(fs) >= 4 else None
    bar.update()
    out["spectrum"] = spectrum_summary(fs.features)
    bar.update()
    out["knn"] = knn_profile(
        fs, k=k, metric=metric, max_queries=knn_queries, label_column=label_column, seed=seed
    )
    bar.update()
    if reference is not None:
        out["cka_to_reference"] = cka_to(reference, fs)
        bar.update()
    bar.close()
    return out


def knn_profile(
    fs: FeatureSet,
    *,
    k: int = 20,
    metric: str = "cosine",
    max_queries: int | None = 5000,
    label_column: str | None = None,
    seed: int = 0,
) -> dict[str, Any] | None:
    """k-NN accuracy, balanced accuracy and vote-share ECE (15 bins); None without labels.

    ECE here is the calibration of the neighbour vote shares as class probabilities.
    """
    from noisyprobe.metrics import balanced_accuracy, ece

    labels = fs.label_column(label_column)
    train_idx, query_idx, protocol = _knn_split(fs, labels, seed)
    if train_idx is None:
        return None
    rng = np.random.default_rng([seed, 1])
    total_queries = int(query_idx.size)
    if max_queries is not None and query_idx.size > max_queries:
        query_idx = np.sort(rng.choice(query_idx, size=max_queries, replace=False))
    k_eff = min(k, int(train_idx.size))
    pred, shares = knn_predict(
        RowView(fs.features, train_idx),
        labels[train_idx],
        RowView(fs.features, query_idx),
        k=k_eff,
        metric=metric,
        num_classes=fs.num_classes,
    )
    y = labels[query_idx]
    return {
        "protocol": protocol,
        "k": k_eff,
        "metric": metric,
        "n_reference": int(train_idx.size),
        "n_queries": int(query_idx.size),
        "n_queries_available": total_queries,
        "accuracy": float(np.mean(pred == y)),
        "balanced_accuracy": balanced_accuracy(y, pred, num_classes=fs.num_classes),
        "ece": float(ece(shares, y, n_bins=15)),
    }


def cka_to(reference: FeatureSet, fs: FeatureSet) -> dict[str, Any] | None:
    """Linear CKA (plain, debiased) of ``fs`` to ``reference`` on their shared sample ids.

    None when fewer than 4 ids are shared.
    """
    if reference.ids.shape == fs.ids.shape and np.array_equal(reference.ids, fs.ids):
        ia = ib = np.arange(len(fs))
    else:
        _, ia, ib = np.intersect1d(reference.ids, fs.ids, assume_unique=False, return_indices=True)
    if ia.size < 4:
        return None
    plain, debiased = linear_cka_both(RowView(reference.features, ia), RowView(fs.features, ib))
    return {"n_shared": int(ia.size), "linear_cka": plain, "debiased_cka": debiased}


def _knn_split(
    fs: FeatureSet, labels: np.ndarray, seed: int
) -> tuple[np.ndarray | None, np.ndarray, str]:
    labelled = labels != MISSING_LABEL
    for query_split in ("test", "val"):
        train = np.flatnonzero(labelled & (fs.splits == "train"))
        query = np.flatnonzero(labelled & (fs.splits == query_split))
        if train.size and query.size:
            return train, query, f"train->{query_split}"
    idx = np.flatnonzero(labelled)
    if idx.size < 2:
        return None, idx, "none"
    perm = np.random.default_rng([seed, 0]).permutation(idx)
    n_query = max(1, int(round(0.2 * idx.size)))
    return np.sort(perm[n_query:]), np.sort(perm[:n_query]), "holdout"
