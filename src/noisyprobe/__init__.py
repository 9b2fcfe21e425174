"""noisyprobe: frozen foundation models on noisy medical labels.

Diagnose what a frozen backbone inherited, train robust heads on cached features many runs
at once, and benchmark which method to trust. Heavy libraries load only when used.

Example:
    >>> import numpy as np, noisyprobe
    >>> fs = noisyprobe.FeatureSet(np.random.rand(6, 3), [0, 1, 2, 0, 1, 2])
    >>> fs.num_classes
    3
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from noisyprobe.features.store import FeatureSet
    from noisyprobe.train.estimator import HeadClassifier

__all__ = ["FeatureSet", "HeadClassifier", "__version__"]

_LAZY = {
    "FeatureSet": ("noisyprobe.features.store", "FeatureSet"),
    "HeadClassifier": ("noisyprobe.train.estimator", "HeadClassifier"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'noisyprobe' has no attribute {name!r}")
