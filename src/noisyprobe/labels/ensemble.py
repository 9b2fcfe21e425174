"""Out-of-sample probabilities from an ensemble of cross-validated linear heads.

Every member is a K-fold cross-validated softmax probe (:func:`noisyprobe.select.probe.
cross_val_probs`: all K fold models are one stacked parameter tensor solved by one L-BFGS),
so each sample is scored only by heads that never saw its label. Members differ in the fold
assignment (``repeats`` seeds) and in the L2 penalty (``l2s``). The penalties are chosen from
the labels alone: each is scored by its out-of-fold log-loss of the given labels (a proper
score of the noisy posterior, so no clean label is needed) and the ``keep`` best penalties
form the ensemble.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from noisyprobe.errors import NoisyProbeError

DEFAULT_L2S = (0.03, 0.1, 0.3, 1.0, 3.0)
"""Penalties tried (on standardised features; λ/2·‖W‖² added to the mean cross-entropy)."""


@dataclass(frozen=True)
class EnsembleProbs:
    """Out-of-fold probabilities of every ensemble member and their mean.

    Attributes:
        members: [M, N, C] out-of-fold probabilities of each member.
        mean: [N, C] their average.
        l2s: penalty of each member [M].
        seeds: fold seed of each member [M].
        oof_nll: penalty -> mean out-of-fold log-loss of the given labels (all tried ones).
    """

    members: np.ndarray
    mean: np.ndarray
    l2s: tuple[float, ...]
    seeds: tuple[int, ...]
    oof_nll: dict[float, float]


def ensemble_probs(
    x: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    folds: int = 5,
    repeats: int = 2,
    l2s: Sequence[float] = DEFAULT_L2S,
    keep: int = 2,
    seed: int = 0,
    train_mask: np.ndarray | None = None,
) -> EnsembleProbs:
    """Cross-validated probabilities of ``repeats × keep`` linear heads.

    Args:
        x: features [N, D].
        labels: given labels [N] in ``[0, C)``.
        num_classes: C.
        folds: folds per member (each sample is predicted by a head that did not train on it).
        repeats: fold assignments (seeds ``seed .. seed+repeats-1``) per penalty.
        l2s: penalties tried; the ``keep`` with the lowest out-of-fold log-loss are kept.
        keep: how many penalties form the ensemble.
        seed: first fold seed.
        train_mask: [N] bool, rows whose labels the heads may train on (default: all); the
            log-loss that picks the penalties is averaged over these rows only.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = np.arange(120) % 2
        >>> x = rng.normal(size=(120, 3)) + 3 * y[:, None]
        >>> e = ensemble_probs(x, y, 2, folds=3, l2s=(0.1, 1.0), keep=1)
        >>> e.members.shape, e.mean.shape
        ((2, 120, 2), (120, 2))
    """
    from noisyprobe.select.probe import cross_val_probs

    labels = np.asarray(labels, dtype=np.int64)
    l2s = tuple(float(v) for v in l2s)
    if not l2s or any(v <= 0 for v in l2s):
        raise NoisyProbeError(f"l2s: expected positive penalties, got {l2s}")
    for name, value in (("repeats", repeats), ("keep", keep), ("folds", folds)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise NoisyProbeError(f"{name}: expected a positive integer, got {value!r}")
    if keep > len(l2s):
        raise NoisyProbeError(f"keep: expected at most {len(l2s)} (the penalties tried)")
    x = np.asarray(x, dtype=np.float64)
    n = labels.shape[0]
    rows = np.arange(n) if train_mask is None else np.flatnonzero(train_mask)
    probs: dict[tuple[float, int], np.ndarray] = {}
    nll: dict[float, float] = {}
    for l2 in l2s:
        losses = []
        for r in range(repeats):
            p = cross_val_probs(
                x, labels, num_classes, folds=folds, l2=l2, seed=seed + r, train_mask=train_mask
            )
            probs[(l2, seed + r)] = p
            losses.append(float(-np.log(np.clip(p[rows, labels[rows]], 1e-12, 1)).mean()))
        nll[l2] = float(np.mean(losses))
    best = sorted(l2s, key=lambda v: nll[v])[:keep]
    chosen = [(l2, seed + r) for l2 in best for r in range(repeats)]
    members = np.stack([probs[k] for k in chosen])
    return EnsembleProbs(
        members=members,
        mean=members.mean(axis=0),
        l2s=tuple(k[0] for k in chosen),
        seeds=tuple(k[1] for k in chosen),
        oof_nll=nll,
    )
