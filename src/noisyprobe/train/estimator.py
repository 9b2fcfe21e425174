"""``HeadClassifier``: any noisyprobe method as a scikit-learn classifier.

It follows the scikit-learn estimator contract without importing scikit-learn (so that
``import noisyprobe`` stays light): constructor arguments are stored unchanged,
``get_params``/``set_params`` expose them (method hyperparameters included), ``fit`` returns
self and sets ``classes_`` and ``n_features_in_``; labels of any type are encoded to 0..K-1.
``sklearn.base.clone``, ``Pipeline`` and ``cross_val_score`` work with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.train.config import DEFAULT_C

_CONFIG_KEYS = (
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "standardize",
    "device",
    "num_threads",
)


class HeadClassifier:
    """A head trained on frozen features with a noisyprobe method.

    Args:
        method: registered method name (``noisyprobe.methods.available()``).
        random_state: seed of the run (initialisation, data order, method randomness).
        epochs, batch_size, lr, weight_decay, standardize, device, num_threads: training
            settings (see :class:`~noisyprobe.train.TrainConfig`); None keeps its default.
        C: inverse L2 strength of the heads' weights, as in scikit-learn (``None``: no
            penalty; ``"cv"``: chosen by cross-validation; default ``TrainConfig``'s
            ``"auto"``: cross-validated for linear heads, 0.1 otherwise).
        **hyperparams: the method's hyperparameters (e.g. ``q=0.5`` for ``gce``).

    Example:
        >>> import numpy as np
        >>> from noisyprobe import HeadClassifier
        >>> x = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
        >>> y = np.where(x[:, 0] > 0, "pos", "neg")
        >>> clf = HeadClassifier("gce", random_state=0, epochs=40, lr=3e-2, q=0.5).fit(x, y)
        >>> clf.classes_.tolist(), clf.get_params()["q"]
        (['neg', 'pos'], 0.5)
        >>> bool((clf.predict(x) == y).mean() > 0.8)
        True
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        method: str = "lp",
        random_state: int | None = 0,
        *,
        epochs: int | None = None,
        batch_size: int | None = None,
        lr: float | None = None,
        weight_decay: float | None = None,
        standardize: bool = True,
        device: str = "cpu",
        num_threads: int | None = None,
        C: float | str | None = DEFAULT_C,
        **hyperparams: Any,
    ) -> None:
        self.method = method
        self.random_state = random_state
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.standardize = standardize
        self.device = device
        self.num_threads = num_threads
        self.C = C
        self._hyperparams = dict(hyperparams)
        for key, value in hyperparams.items():
            setattr(self, key, value)

    # -- scikit-learn parameter protocol --------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments, method hyperparameters included."""
        out = {"method": self.method, "random_state": self.random_state}
        out.update({k: getattr(self, k) for k in _CONFIG_KEYS})
        out["C"] = self.C
        out.update({k: getattr(self, k) for k in self._hyperparams})
        return out

    def set_params(self, **params: Any) -> HeadClassifier:
        """Set constructor arguments or method hyperparameters; returns self."""
        for key, value in params.items():
            if key not in ("method", "random_state", "C", *_CONFIG_KEYS):
                self._hyperparams[key] = value
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(),
            input_tags=InputTags(),
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"HeadClassifier({args})"

    # -- fitting and prediction -------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> HeadClassifier:
        """Train one run on (X, y); labels of any type are encoded to 0..K-1."""
        from noisyprobe.train.config import RunSpec, TrainConfig
        from noisyprobe.train.trainer import train_runs

        x = _as_features(X)
        y_arr = np.asarray(y)
        if y_arr.ndim != 1 or y_arr.shape[0] != x.shape[0]:
            raise NoisyProbeError(f"y must have shape ({x.shape[0]},), got {y_arr.shape}")
        classes, encoded = np.unique(y_arr, return_inverse=True)
        if classes.shape[0] < 2:
            raise NoisyProbeError("y must contain at least two classes")
        overrides = {k: getattr(self, k) for k in _CONFIG_KEYS if getattr(self, k) is not None}
        config = TrainConfig(C=self.C, **overrides)
        seed = 0 if self.random_state is None else int(self.random_state)
        spec = RunSpec(self.method, seed, encoded.astype(np.int64), dict(self._hyperparams))
        [run] = train_runs(
            x, [spec], num_classes=int(classes.shape[0]), config=config, progress=False
        )
        self.classes_ = classes
        self.n_features_in_ = int(x.shape[1])
        self.run_ = run
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities [n, K], columns in the order of ``classes_``."""
        self._check_fitted()
        x = _as_features(X)
        if x.shape[1] != self.n_features_in_:
            raise NoisyProbeError(
                f"X has {x.shape[1]} features, but the classifier was fitted with "
                f"{self.n_features_in_}"
            )
        return self.run_.predict_proba(x).astype(np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted labels (in the original label type)."""
        self._check_fitted()
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on (X, y), scikit-learn's default classifier score."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def _check_fitted(self) -> None:
        if not hasattr(self, "run_"):
            raise NoisyProbeError("this HeadClassifier is not fitted yet; call fit(X, y) first")


def _as_features(X: Any) -> np.ndarray:
    x = np.asarray(X, dtype=np.float32)
    if x.ndim != 2:
        raise NoisyProbeError(f"X must be a 2-D array [n, D], got shape {x.shape}")
    return x
