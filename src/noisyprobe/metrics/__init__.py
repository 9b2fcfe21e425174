"""Metrics for noisy medical classification (pure NumPy).

Balanced accuracy is the primary metric; accuracy, macro-F1, per-class recall (with the
classes whose recall collapsed to zero), ECE and AUROC complete a report. Conventions match
scikit-learn so results compare with the literature.

Example:
    >>> from noisyprobe.metrics import balanced_accuracy
    >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
"""

from __future__ import annotations

from noisyprobe.metrics.calibration import ece
from noisyprobe.metrics.classification import (
    accuracy,
    balanced_accuracy,
    balanced_accuracy_many,
    confusion_matrix,
    macro_f1,
    per_class_recall,
    zero_recall_classes,
)
from noisyprobe.metrics.evaluate import evaluate
from noisyprobe.metrics.ranking import auroc

__all__ = [
    "accuracy",
    "auroc",
    "balanced_accuracy",
    "balanced_accuracy_many",
    "confusion_matrix",
    "ece",
    "evaluate",
    "macro_f1",
    "per_class_recall",
    "zero_recall_classes",
]
