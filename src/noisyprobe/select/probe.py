"""Out-of-fold class probabilities from a cross-validated linear probe (no scikit-learn).

Multinomial logistic regression with an L2 penalty, all K folds fitted at once: the fold
models are one parameter tensor [K, D+1, C] and each fold's loss only sees its own training
rows (a 0/1 weight per fold and sample), so one full-batch L-BFGS solves every fold. The
objective is strictly convex, hence the result does not depend on the optimiser's path
beyond its tolerance. Features are standardised with statistics of all samples (no label
is used for that).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from noisyprobe.errors import NoisyProbeError

_SMALL = 50_000_000
"""Below this many multiply-adds per evaluation the probe runs on one thread."""


def stratified_folds(labels: np.ndarray, folds: int, *, seed: int = 0) -> np.ndarray:
    """A fold index in ``0..folds-1`` per sample, each class spread evenly over the folds.

    Example:
        >>> stratified_folds(np.array([0, 0, 0, 1, 1, 1]), 3, seed=0).tolist().count(0)
        2
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng([seed, 4099])
    out = np.empty(labels.shape[0], dtype=np.int64)
    offset = 0
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(idx.size)]
        out[idx] = (np.arange(idx.size) + offset) % folds
        offset += idx.size
    return out


def sklearn_folds(labels: np.ndarray, folds: int) -> np.ndarray:
    """The test fold of each sample under scikit-learn's ``StratifiedKFold(folds)`` (no shuffle).

    What ``LogisticRegressionCV(cv=folds)`` uses: classes in order of first appearance, and
    each class's samples, in data order, cut into contiguous blocks whose sizes spread the
    class evenly over the folds.

    Example:
        >>> sklearn_folds(np.array([1, 1, 0, 0, 1, 0]), 3).tolist()
        [0, 1, 0, 1, 2, 2]
    """
    labels = np.asarray(labels)
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    encoded = np.argsort(np.argsort(first))[inverse]  # classes by first appearance
    ordered = np.sort(encoded)
    k = first.size
    allocation = np.stack([np.bincount(ordered[i::folds], minlength=k) for i in range(folds)])
    out = np.empty(labels.shape[0], dtype=np.int64)
    for c in range(k):
        out[encoded == c] = np.repeat(np.arange(folds), allocation[:, c])
    return out


def cross_val_probs(
    x: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    folds: int = 5,
    l2: float = 1e-2,
    max_iter: int = 200,
    seed: int = 0,
    train_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Out-of-fold predicted probabilities [N, C] of a linear softmax probe.

    Args:
        x: features [N, D].
        labels: the given (possibly noisy) labels [N] in ``[0, C)``.
        num_classes: C.
        folds: number of stratified folds (each sample is predicted by the model that did
            not train on it).
        l2: penalty λ/2·‖W‖² added to the mean cross-entropy (the bias is not penalised).
        max_iter: L-BFGS iterations.
        seed: seeds the fold assignment.
        train_mask: [N] bool, rows allowed to train (default: all); every row is still
            predicted by the fold model that did not train on it.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = np.arange(200) % 2
        >>> x = rng.normal(size=(200, 3)) + 3 * y[:, None]
        >>> p = cross_val_probs(x, y, 2)
        >>> p.shape, float((p.argmax(1) == y).mean()) > 0.95
        ((200, 2), True)
    """
    if not l2 > 0:
        raise NoisyProbeError(f"l2: expected a positive penalty, got {l2}")
    return next(
        cross_val_path(
            x, labels, num_classes, l2s=[l2], folds=folds, max_iter=max_iter, seed=seed,
            train_mask=train_mask,
        )
    )  # fmt: skip


def cross_val_path(
    x: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    l2s: Sequence[float],
    folds: int = 5,
    max_iter: int = 200,
    tol: float = 1e-6,
    seed: int = 0,
    train_mask: np.ndarray | None = None,
    fold: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """:func:`cross_val_probs` for each penalty of ``l2s`` in turn, warm-started along them.

    Each fit starts from the previous penalty's fold weights, as scikit-learn's
    ``LogisticRegressionCV`` walks its C path; give ``l2s`` from strong to weak (C from
    small to large) so that every start is near the next solution. The objective is strictly
    convex, so the start changes the iterations needed, not the optimum (up to ``tol``).
    ``fold``: a test-fold index per sample (default: :func:`stratified_folds` with ``seed``).

    Yields:
        Out-of-fold probabilities [N, C] per penalty.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = np.arange(200) % 2
        >>> x = rng.normal(size=(200, 3)) + 3 * y[:, None]
        >>> [p.shape for p in cross_val_path(x, y, 2, l2s=[1.0, 0.01])]
        [(200, 2), (200, 2)]
    """
    import torch

    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n = x.shape[0]
    if x.ndim != 2 or labels.shape != (n,):
        raise NoisyProbeError(f"x [N, D] and labels [N] expected, got {x.shape} and {labels.shape}")
    if not 2 <= folds <= n:
        raise NoisyProbeError(f"folds: expected 2..{n}, got {folds}")
    if not len(l2s) or min(l2s) <= 0:
        raise NoisyProbeError(f"l2: expected positive penalties, got {list(l2s)}")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise NoisyProbeError(f"labels: expected values in 0..{num_classes - 1}")
    if fold is None:
        fold = stratified_folds(labels, folds, seed=seed)
    elif fold.shape != (n,) or fold.min() < 0 or fold.max() >= folds:
        raise NoisyProbeError(f"fold: expected [N] indices in 0..{folds - 1}")
    train = np.ones(n, dtype=bool) if train_mask is None else np.asarray(train_mask)
    if train.shape != (n,) or train.dtype != bool:
        raise NoisyProbeError(f"train_mask: expected [N] bool, got {train.shape} {train.dtype}")
    if any(not (train & (fold != k)).any() for k in range(folds)):
        raise NoisyProbeError("train_mask: every fold model needs at least one training row")
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    xs = np.hstack([(x - mean) / std, np.ones((n, 1))])
    with torch.no_grad():
        xt = torch.from_numpy(xs)
        yt = torch.from_numpy(labels)
        ft = torch.from_numpy(fold)
        weight = (ft[None, :] != torch.arange(folds)[:, None]).double()  # [K, N] train rows
        weight = weight * torch.from_numpy(train.astype(np.float64))[None, :]
        weight = weight / weight.sum(dim=1, keepdim=True)
    w = torch.zeros(folds, xs.shape[1], num_classes, dtype=torch.float64, requires_grad=True)
    picked = yt.expand(folds, n).unsqueeze(-1)
    threads = torch.get_num_threads()
    for l2 in l2s:
        opt = torch.optim.LBFGS(
            [w],
            lr=1.0,
            max_iter=max_iter,
            history_size=20,
            tolerance_grad=tol,
            tolerance_change=1e-12,
            line_search_fn="strong_wolfe",
        )

        def closure(l2: float = float(l2)) -> torch.Tensor:
            w.grad = None
            logits = torch.einsum("nd,kdc->knc", xt, w)
            nll = -torch.log_softmax(logits, dim=-1).gather(-1, picked).squeeze(-1)
            loss = (weight * nll).sum() + 0.5 * l2 * (w[:, :-1, :] ** 2).sum()
            loss.backward()
            return loss

        if xs.size * folds * num_classes < _SMALL:  # tiny ops: extra threads only add overhead
            torch.set_num_threads(1)
        try:
            opt.step(closure)
        finally:
            torch.set_num_threads(threads)
        with torch.no_grad():
            logits = torch.einsum("nd,kdc->knc", xt, w)
            probs = torch.softmax(logits, dim=-1).numpy()  # [K, N, C]
        yield probs[fold, np.arange(n)]
