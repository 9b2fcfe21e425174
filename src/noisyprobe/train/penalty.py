"""The heads' L2 strength ``C`` chosen by cross-validation (``TrainConfig(C="cv")``).

What a user would otherwise do with scikit-learn: ``LogisticRegressionCV`` picks the inverse
L2 strength of a multinomial logistic regression from ten values ``logspace(-4, 4)`` by
5-fold stratified cross-validation on the training labels (accuracy, mean over folds). The
same search, on the run's own (possibly noisy) training labels, sets the penalty of every
head of the run. A fixed ``C`` cannot serve every data set: on 384-dim features with an
8-class signal in 16 dims and 30% noise, cross-validation picks ``C = 1e-4`` and the default
0.1 is 10 points below it (``benchmarks/baseline_sklearn.py``).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from noisyprobe.select.probe import cross_val_path, sklearn_folds, stratified_folds

SKLEARN_CS = tuple(float(c) for c in np.logspace(-4, 4, 10))
"""``LogisticRegressionCV(Cs=10)``'s grid."""


def cross_validated_c(
    x: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    cs: tuple[float, ...] = SKLEARN_CS,
    folds: int = 5,
    shuffle: bool = False,
    seed: int = 0,
    tol: float = 1e-4,
) -> float:
    """The ``C`` of ``cs`` with the best mean held-out-fold accuracy (the first on ties).

    Each fold model minimises the mean cross-entropy over its training rows plus
    ``||W||^2 / (2 C n)`` (n: the folds' mean training rows), scikit-learn's objective
    divided by ``C n``. The fits walk the C path from strong to weak penalty, each starting
    from the previous solution, and stop at a largest gradient entry of ``tol``
    (scikit-learn's ``tol`` for L-BFGS, on the same mean-loss scale), as
    ``LogisticRegressionCV`` does. Folds: scikit-learn's ``StratifiedKFold(folds)``
    (contiguous per class, :func:`~noisyprobe.select.probe.sklearn_folds`), so the choice
    is the one ``LogisticRegressionCV(cv=folds)`` makes on the same rows; ``shuffle=True``
    draws seeded stratified folds instead (for data sorted by class or by source). The fits
    standardise ``x`` first (:func:`~noisyprobe.select.probe.cross_val_path`); the trainer's
    features already are, so there the choice is exactly scikit-learn's.

    Example:
        >>> rng = np.random.default_rng(1)
        >>> y = np.arange(150) % 3
        >>> x = rng.normal(size=(150, 60)); x[:, :2] += 2 * np.eye(3)[y][:, :2]  # 58 noise cols
        >>> x = (x - x.mean(0)) / x.std(0)          # the trainer's features are standardised
        >>> round(cross_validated_c(x, y, 3), 4)    # LogisticRegressionCV(cv=5).C_ on this x
        0.006
    """
    labels = np.asarray(labels, dtype=np.int64)
    n = labels.shape[0]
    folds = max(2, min(folds, n))
    fold = stratified_folds(labels, folds, seed=seed) if shuffle else sklearn_folds(labels, folds)
    fit_rows = np.array([(fold != k).sum() for k in range(folds)], dtype=np.float64)
    best, best_score = cs[0], -np.inf
    order = sorted(cs)  # strong to weak penalty: each fit warm-starts the next
    l2s = [1.0 / (c * fit_rows.mean()) for c in order]
    path = cross_val_path(x, labels, num_classes, l2s=l2s, folds=folds, tol=tol, fold=fold)
    scores = {}
    for c, probs in zip(order, path):
        hit = probs.argmax(axis=1) == labels
        scores[c] = float(np.mean([hit[fold == k].mean() for k in range(folds)]))
    for c in cs:
        score = scores[c]
        if score > best_score + 1e-12:
            best, best_score = c, score
    return float(best)


_CACHE: OrderedDict[tuple[str, str, int], float] = OrderedDict()
_CACHE_SIZE = 256


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).view(np.uint8)).hexdigest()


def cross_validated_cs(
    x: np.ndarray, label_sets: Sequence[np.ndarray], num_classes: int
) -> list[float]:
    """:func:`cross_validated_c` with defaults for each label vector, remembered per process.

    The methods of one benchmark condition train on the same labels per seed, so the search
    runs once per (features, labels) instead of once per method; ``x`` is hashed once.
    """
    features = _digest(x)
    out = []
    for labels in label_sets:
        key = (features, _digest(np.asarray(labels, dtype=np.int64)), int(num_classes))
        if key not in _CACHE:
            _CACHE[key] = cross_validated_c(x, labels, num_classes)
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        _CACHE.move_to_end(key)
        out.append(_CACHE[key])
    return out
