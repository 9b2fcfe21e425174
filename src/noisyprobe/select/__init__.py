"""Regime-aware method selection: estimate the noise regime of your data, pick a method.

- :func:`estimate_regime` (``select.regime``): noise rate and asymmetry (confident learning on
  a cross-validated linear probe), class imbalance, loss overlap, k-NN label agreement and
  feature diagnostics, from the features and the given labels alone;
- :class:`KNNSelector` (``select.recommender``): per-method regret predicted from the nearest
  benchmark conditions;
- :func:`training_table` (``select.training``): those conditions, read from a ledger;
- :func:`leave_one_dataset_out` (``select.validate``): the selector against fixed choices.

Example:
    >>> from noisyprobe import select
    >>> "noise_rate" in select.REGIME_FEATURES
    True
"""

from __future__ import annotations

from noisyprobe._lazy import lazy_exports

_LAZY = {
    "REGIME_FEATURES": "regime",
    "estimate_regime": "regime",
    "cross_val_probs": "probe",
    "estimate_noise": "confident",
    "confident_joint": "confident",
    "KNNSelector": "recommender",
    "Recommendation": "recommender",
    "training_table": "training",
    "TrainingTable": "training",
    "leave_one_dataset_out": "validate",
    "Validation": "validate",
    "recommend": "api",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
