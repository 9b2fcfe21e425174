"""Feature-space and training diagnostics: what a frozen backbone inherited, and why the
small-loss rule fails on frozen features.

- moments: per-feature bias-corrected skewness/kurtosis (SKD seed) and their summary;
- spectrum: singular value entropy, largest singular value ratio, effective rank (NMTune);
- CKA (linear, optionally debiased) and exact chunked k-NN evaluation;
- small-loss analysis: loss overlap, loss AUROC, matched-rate clean-sample detection.

All are pure NumPy-in functions that scale to N = 100,000 x D = 1,024 (row-streamed,
O(N·D²), never N x N). Submodules load on first use so ``import noisyprobe`` stays light.

Example:
    >>> import numpy as np
    >>> from noisyprobe import diagnostics
    >>> round(diagnostics.lsvr(np.eye(4)), 6) == round(float(np.log(4)), 6)
    True
"""

from __future__ import annotations

from noisyprobe._lazy import lazy_exports

_LAZY = {
    "skewness": "moments",
    "kurtosis": "moments",
    "skew_kurt": "moments",
    "torch_skew_kurt": "moments",
    "moment_summary": "summaries",
    "singular_values": "spectrum",
    "singular_value_entropy": "spectrum",
    "lsvr": "spectrum",
    "effective_rank": "spectrum",
    "spectrum_summary": "spectrum",
    "linear_cka": "cka",
    "linear_cka_both": "cka",
    "knn_search": "knn",
    "knn_predict": "knn",
    "knn_accuracy": "knn",
    "knn_label_agreement": "knn",
    "loss_densities": "small_loss",
    "loss_overlap": "small_loss",
    "loss_auroc": "small_loss",
    "matched_rate_detection": "small_loss",
    "collapsed_classes": "small_loss",
    "small_loss_analysis": "small_loss",
    "run_small_loss_study": "small_loss_study",
    "feature_profile": "profile",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
