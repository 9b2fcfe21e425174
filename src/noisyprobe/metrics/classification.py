"""Label-based classification metrics: accuracy, balanced accuracy, macro-F1, recalls.

Balanced accuracy is noisyprobe's primary metric: medical data are imbalanced and a head can
reach high accuracy while a minority class silently loses all recall. Conventions follow
scikit-learn so numbers are comparable with the literature: balanced accuracy averages recall
over the classes present in ``y_true``; macro-F1 averages over the union of the classes in
``y_true`` and ``y_pred`` with ``zero_division=0``.
"""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.metrics._validate import as_labels, check_num_classes, check_same_length

# Work on at most this many (run, sample) cells at a time in balanced_accuracy_many.
_CHUNK_CELLS = 1 << 20


def _pair(
    y_true: object, y_pred: object, num_classes: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    t = as_labels(y_true, "y_true")
    p = as_labels(y_pred, "y_pred")
    check_same_length(t, p, ("y_true", "y_pred"))
    c = check_num_classes(num_classes, t, p, names=("y_true", "y_pred"))
    return t, p, c


def confusion_matrix(
    y_true: object, y_pred: object, *, num_classes: int | None = None
) -> np.ndarray:
    """Counts ``[C, C]`` (int64) with rows = true class and columns = predicted class.

    ``C`` is ``num_classes`` or, when None, one more than the largest label seen. This is
    ``sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(C))``.

    Example:
        >>> confusion_matrix([0, 1, 1], [0, 0, 1]).tolist()
        [[1, 0], [1, 1]]
    """
    t, p, c = _pair(y_true, y_pred, num_classes)
    return np.bincount(t * c + p, minlength=c * c).reshape(c, c).astype(np.int64)


def accuracy(y_true: object, y_pred: object) -> float:
    """Fraction of samples whose prediction equals the label.

    Example:
        >>> accuracy([0, 1, 1, 2], [0, 1, 0, 2])
        0.75
    """
    t, p, _ = _pair(y_true, y_pred, None)
    return float(np.mean(t == p))


def per_class_recall(y_true: object, y_pred: object, *, num_classes: int) -> np.ndarray:
    """Recall of every class ``0..C-1`` (float64); NaN for a class absent from ``y_true``.

    Example:
        >>> per_class_recall([0, 0, 1], [0, 1, 1], num_classes=3).tolist()
        [0.5, 1.0, nan]
    """
    if num_classes is None:
        raise NoisyProbeError("per_class_recall needs num_classes")
    t, p, c = _pair(y_true, y_pred, num_classes)
    support = np.bincount(t, minlength=c)
    hits = np.bincount(t[t == p], minlength=c)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, hits / np.maximum(support, 1), np.nan)


def balanced_accuracy(y_true: object, y_pred: object, *, num_classes: int | None = None) -> float:
    """Mean recall over the classes present in ``y_true`` (``sklearn`` balanced_accuracy_score).

    Classes that occur only in ``y_pred`` do not enter the mean; ``num_classes`` only
    validates the label range.

    Example:
        >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
        0.5
    """
    t, p, c = _pair(y_true, y_pred, num_classes)
    recall = per_class_recall(t, p, num_classes=c)
    return float(np.nanmean(recall))


def zero_recall_classes(
    y_true: object, y_pred: object, *, num_classes: int | None = None
) -> list[int]:
    """Classes present in ``y_true`` whose recall is exactly 0 (the silent-collapse flag).

    Example:
        >>> zero_recall_classes([0, 0, 1, 2], [0, 0, 0, 2])
        [1]
    """
    t, p, c = _pair(y_true, y_pred, num_classes)
    recall = per_class_recall(t, p, num_classes=c)
    return [int(k) for k in np.flatnonzero(recall == 0.0)]


def macro_f1(y_true: object, y_pred: object, *, num_classes: int | None = None) -> float:
    """Unweighted mean F1 over the union of classes in ``y_true`` and ``y_pred``.

    Equal to ``sklearn.metrics.f1_score(average="macro", zero_division=0)``: a class that is
    never predicted, or predicted but absent from ``y_true``, contributes F1 = 0.
    ``num_classes`` only validates the label range.

    Example:
        >>> round(macro_f1([0, 0, 1, 1], [0, 1, 1, 1]), 4)
        0.7333
    """
    t, p, c = _pair(y_true, y_pred, num_classes)
    cm = np.bincount(t * c + p, minlength=c * c).reshape(c, c)
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    present = (support + predicted) > 0
    f1 = 2 * tp[present] / (support[present] + predicted[present])
    return float(f1.mean())


def balanced_accuracy_many(y_true: object, preds: object, num_classes: int) -> np.ndarray:
    """Balanced accuracy of many runs at once: one value per row of ``preds`` [R, N].

    ``y_true`` is either shared by all runs ([N], e.g. the clean test labels) or given per run
    ([R, N], e.g. each run's noisy validation labels). Row ``r`` equals
    ``balanced_accuracy(y_true[r], preds[r])``; work is chunked over runs so memory stays
    bounded for thousands of runs.

    Example:
        >>> balanced_accuracy_many([0, 0, 1], [[0, 0, 1], [0, 0, 0]], 2).tolist()
        [1.0, 0.5]
    """
    p = as_labels(preds, "preds", ndim=2)
    t = np.asarray(y_true)
    t = as_labels(t, "y_true", ndim=2 if t.ndim == 2 else 1)
    check_same_length(t, p, ("y_true", "preds"))
    if t.ndim == 2 and t.shape[0] != p.shape[0]:
        raise NoisyProbeError(
            f"per-run y_true must have one row per run: got {t.shape[0]} rows for {p.shape[0]} runs"
        )
    c = check_num_classes(num_classes, t, p, names=("y_true", "preds"))
    runs, n = p.shape
    out = np.empty(runs, dtype=np.float64)
    step = max(1, _CHUNK_CELLS // n)
    if t.ndim == 1:
        # Hits per class as one matmul of the 0/1 correctness matrix with the one-hot labels;
        # float32 sums of ones are exact below 2**24 samples.
        dtype = np.float32 if n < 2**24 else np.float64
        onehot = np.zeros((n, c), dtype=dtype)
        onehot[np.arange(n), t] = 1
        support = onehot.sum(axis=0, dtype=np.float64)
        present = support > 0
        for lo in range(0, runs, step):
            hits = (p[lo : lo + step] == t).astype(dtype) @ onehot
            out[lo : lo + step] = (hits[:, present] / support[present]).mean(axis=1)
        return out
    for lo in range(0, runs, step):
        tc, pc = t[lo : lo + step], p[lo : lo + step]
        rows = tc.shape[0]
        idx = tc + c * np.arange(rows)[:, None]
        support = np.bincount(idx.ravel(), minlength=rows * c).reshape(rows, c)
        hits = np.bincount(idx.ravel(), weights=(tc == pc).ravel(), minlength=rows * c)
        hits = hits.reshape(rows, c)
        with np.errstate(invalid="ignore", divide="ignore"):
            recall = np.where(support > 0, hits / np.maximum(support, 1), np.nan)
        out[lo : lo + step] = np.nanmean(recall, axis=1)
    return out
