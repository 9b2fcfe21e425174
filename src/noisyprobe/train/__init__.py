"""The vectorized multi-run trainer and the scikit-learn style :class:`HeadClassifier`.

``train_runs`` trains many runs at once on one shared feature matrix: runs of the same method
and hyperparameters form a stack with stacked parameters, batched matmuls and one optimiser
step per mini-batch for all of them; each run keeps its own seed, initialisation, data order,
labels and early-stopping state, and gets the same result alone or stacked.

Example:
    >>> import numpy as np
    >>> from noisyprobe.train import RunSpec, TrainConfig, train_runs
    >>> x = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    >>> y = (x[:, 1] > 0).astype(np.int64)
    >>> [run] = train_runs(x, [RunSpec("lp", 0, y)], num_classes=2,
    ...                    config=TrainConfig(epochs=3), progress=False)
    >>> run.predict_proba(x).shape
    (100, 2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from noisyprobe.train.config import RunSpec, TrainConfig
from noisyprobe.train.result import TrainedRun, predict_proba_runs
from noisyprobe.train.trainer import train_runs

if TYPE_CHECKING:  # pragma: no cover
    from noisyprobe.train.estimator import HeadClassifier

__all__ = [
    "HeadClassifier",
    "RunSpec",
    "TrainConfig",
    "TrainedRun",
    "predict_proba_runs",
    "train_runs",
]


def __getattr__(name: str) -> Any:
    if name == "HeadClassifier":
        from noisyprobe.train.estimator import HeadClassifier

        return HeadClassifier
    raise AttributeError(f"module 'noisyprobe.train' has no attribute {name!r}")
