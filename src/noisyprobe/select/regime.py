"""The noise regime of a labelled FeatureSet, estimated from the data alone.

The selector compares a user's data with the benchmark's conditions through these numbers;
none of them needs clean labels:

- ``noise_rate``, ``asymmetry``: confident learning on a cross-validated linear probe
  (:mod:`noisyprobe.select.confident`);
- ``probe_agreement``: share of samples whose out-of-fold prediction equals their label;
- ``loss_overlap``: overlap coefficient of the out-of-fold loss densities of the samples
  confident learning flags as mislabelled and of the others (1 = losses do not separate
  them: the small-loss rule has nothing to work with);
- ``knn_agreement``: mean share of a sample's k nearest neighbours (cosine) with its label;
- ``log_imbalance`` (log of the largest/smallest class count) and ``class_entropy``
  (entropy of the label distribution / log C);
- ``log_samples_per_class``, ``num_classes``;
- feature diagnostics: ``skew_abs_mean``, ``kurt_median`` (bias-corrected, excess),
  ``sve`` and ``lsvr`` (centred).
"""

from __future__ import annotations

import math

import numpy as np

from noisyprobe.errors import NoisyProbeError

REGIME_FEATURES = (
    "noise_rate",
    "asymmetry",
    "probe_agreement",
    "loss_overlap",
    "knn_agreement",
    "log_imbalance",
    "class_entropy",
    "log_samples_per_class",
    "num_classes",
    "skew_abs_mean",
    "kurt_median",
    "sve",
    "lsvr",
)
"""Names of the regime features, in a fixed order."""


def estimate_regime(
    x: np.ndarray, labels: np.ndarray, num_classes: int, **options
) -> dict[str, float]:
    """Estimate the regime features of training features ``x`` with given labels ``labels``.

    :func:`regime_and_transition` without the transition matrix; ``options`` are its
    keyword arguments.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = np.arange(600) % 3
        >>> x = rng.normal(size=(600, 8)) + 4 * np.eye(3, 8)[y]
        >>> r = estimate_regime(x, y, 3)
        >>> r["noise_rate"] < 0.05, round(r["class_entropy"], 3)
        (True, 1.0)
    """
    return regime_and_transition(x, labels, num_classes, **options)[0]


def regime_and_transition(
    x: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    seed: int = 0,
    folds: int = 5,
    l2: float = 1e-2,
    k: int = 10,
    max_samples: int = 5000,
    knn_queries: int = 2000,
) -> tuple[dict[str, float], np.ndarray]:
    """The regime features of ``x`` with given labels ``labels``, and the noise transition.

    Args:
        x: training features [N, D] (a memmap is fine).
        labels: given (possibly noisy) labels [N] in ``[0, C)``.
        num_classes: C.
        seed: seeds the subsample, the folds and the k-NN queries.
        folds: folds of the cross-validated probe.
        l2: penalty of the probe (on standardised features).
        k: neighbours of the k-NN agreement.
        max_samples: a stratified subsample of at most this many samples is used.
        knn_queries: samples whose neighbours are searched (among all used samples).

    Returns:
        Feature name -> value for every name in :data:`REGIME_FEATURES` (NaN where undefined,
        e.g. the loss overlap when no sample is flagged), and the transition matrix
        T[true, given] that confident learning estimates
        (:func:`noisyprobe.labels.estimate.transition_from_joint` of its joint),
        with which a selector can correct scores on noisy validation labels.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = np.arange(600) % 3
        >>> x = rng.normal(size=(600, 8)) + 4 * np.eye(3, 8)[y]
        >>> features, transition = regime_and_transition(x, y, 3)
        >>> transition.shape, bool(np.diag(transition).min() > 0.9)
        ((3, 3), True)
    """
    from noisyprobe import diagnostics
    from noisyprobe.labels.estimate import transition_from_joint
    from noisyprobe.select.confident import estimate_noise
    from noisyprobe.select.probe import cross_val_probs

    labels = np.asarray(labels, dtype=np.int64)
    n = labels.shape[0]
    if x.ndim != 2 or x.shape[0] != n:
        raise NoisyProbeError(f"x [N, D] and labels [N] expected, got {x.shape} and {labels.shape}")
    if n < max(folds, 4) * 2:
        raise NoisyProbeError(f"too few samples ({n}) to estimate the regime; need {folds * 2}+")
    rows = _subsample(labels, max_samples, seed)
    xs = np.asarray(x[rows], dtype=np.float64)
    ys = labels[rows]
    present = np.unique(ys)
    counts = np.bincount(ys, minlength=num_classes)[present]

    probs = cross_val_probs(xs, ys, num_classes, folds=folds, l2=l2, seed=seed)
    est = estimate_noise(ys, probs, num_classes)
    losses = -np.log(np.clip(probs[np.arange(ys.size), ys], 1e-12, 1.0))
    flagged = est.issues
    overlap = float("nan")
    if flagged.sum() >= 5 and (~flagged).sum() >= 5:
        overlap = diagnostics.loss_overlap(losses[~flagged], losses[flagged])

    rng = np.random.default_rng([seed, 31337])
    queries = None if ys.size <= knn_queries else np.sort(rng.choice(ys.size, knn_queries, False))
    kk = min(k, ys.size - 1)
    agreement = diagnostics.knn_label_agreement(xs, ys, k=kk, queries=queries)

    moments = diagnostics.moment_summary(xs)
    spectrum = diagnostics.spectrum_summary(xs)["centred"]
    p = counts / counts.sum()
    features = {
        "noise_rate": est.noise_rate,
        "asymmetry": est.asymmetry,
        "probe_agreement": float((probs.argmax(axis=1) == ys).mean()),
        "loss_overlap": float(overlap),
        "knn_agreement": float(agreement.mean()),
        "log_imbalance": float(math.log(counts.max() / counts.min())),
        "class_entropy": float(-(p * np.log(p)).sum() / math.log(num_classes))
        if num_classes > 1
        else 0.0,
        "log_samples_per_class": float(math.log(n / num_classes)),
        "num_classes": float(num_classes),
        "skew_abs_mean": float(moments["skew_abs_mean"]),
        "kurt_median": float(moments["kurt_median"]),
        "sve": float(spectrum["sve"]),
        "lsvr": float(spectrum["lsvr"]),
    }
    return features, transition_from_joint(est.joint)


def _subsample(labels: np.ndarray, max_samples: int, seed: int) -> np.ndarray:
    """Sorted indices of a class-stratified subsample of at most ``max_samples`` samples."""
    n = labels.size
    if n <= max_samples:
        return np.arange(n)
    rng = np.random.default_rng([seed, 2027])
    keep = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        take = max(1, int(round(idx.size * max_samples / n)))
        keep.append(rng.choice(idx, size=min(take, idx.size), replace=False))
    return np.sort(np.concatenate(keep))
