"""One call that gives every metric a run report needs, JSON-ready."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.metrics._validate import as_labels, as_probs, check_num_classes, check_same_length
from noisyprobe.metrics.calibration import ece
from noisyprobe.metrics.classification import (
    accuracy,
    balanced_accuracy,
    macro_f1,
    per_class_recall,
)


def evaluate(
    y_true: object, probs: object, *, num_classes: int, n_bins: int = 15
) -> dict[str, Any]:
    """Balanced accuracy, accuracy, macro-F1, ECE and per-class recall of one prediction.

    Predictions are the argmax of ``probs`` [N, C]. The returned dict holds plain Python
    values: ``per_class_recall`` is a list of length C with ``None`` for classes absent from
    ``y_true`` (JSON has no NaN), and ``zero_recall_classes`` lists the present classes whose
    recall is 0 — the failure that overall accuracy hides.

    Example:
        >>> import numpy as np
        >>> r = evaluate([0, 1, 1], np.array([[.8, .2], [.7, .3], [.1, .9]]), num_classes=2)
        >>> r["balanced_accuracy"], r["per_class_recall"], r["zero_recall_classes"]
        (0.75, [1.0, 0.5], [])
    """
    p = as_probs(probs)
    t = as_labels(y_true, "y_true")
    check_same_length(t, p.T, ("y_true", "probs"))
    c = check_num_classes(num_classes, t, names=("y_true",))
    if p.shape[1] != c:
        raise NoisyProbeError(f"probs has {p.shape[1]} columns, expected num_classes={c}")
    pred = p.argmax(axis=1)
    recall = per_class_recall(t, pred, num_classes=c)
    return {
        "balanced_accuracy": balanced_accuracy(t, pred, num_classes=c),
        "accuracy": accuracy(t, pred),
        "macro_f1": macro_f1(t, pred, num_classes=c),
        "ece": ece(p, t, n_bins=n_bins),
        "per_class_recall": [None if math.isnan(v) else float(v) for v in recall],
        "zero_recall_classes": [int(k) for k in np.flatnonzero(recall == 0.0)],
    }
