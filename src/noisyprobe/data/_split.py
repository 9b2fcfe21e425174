"""Deterministic train/val/test assignment: by group (hash) or stratified by class (seeded)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from noisyprobe.data._options import SPLITS


def unit_hash(keys: Sequence[str], *, seed: int, salt: str = "") -> np.ndarray:
    """A stable pseudo-uniform number in [0, 1) per key, from sha256 of (salt, seed, key).

    Unlike Python's ``hash`` it is the same in every process, so assignments never drift.

    Example:
        >>> u = unit_hash(["a", "b", "a"], seed=0)
        >>> bool(u[0] == u[2]) and bool(0 <= u.min() < 1)
        True
    """
    out = np.empty(len(keys), dtype=np.float64)
    prefix = f"{salt}\x00{seed}\x00".encode()
    for i, key in enumerate(keys):
        digest = hashlib.sha256(prefix + str(key).encode()).digest()
        out[i] = int.from_bytes(digest[:8], "big") / 2.0**64
    return out


def group_split(
    groups: Sequence[str], fractions: tuple[float, float, float], *, seed: int
) -> np.ndarray:
    """Split by group (e.g. patient): every member of a group lands in the same split.

    A group goes to train if its hash is below ``fractions[0]``, to val if below
    ``fractions[0] + fractions[1]``, else to test; so the expected shares are the fractions.

    Example:
        >>> s = group_split(["p1", "p2", "p1"], (0.5, 0.25, 0.25), seed=0)
        >>> bool(s[0] == s[2])
        True
    """
    unique, inverse = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    u = unit_hash(unique.tolist(), seed=seed, salt="group")
    bounds = np.cumsum(fractions)[:2]
    codes = np.searchsorted(bounds, u, side="right")
    return np.asarray(SPLITS)[codes][inverse]


def stratified_split(
    labels: np.ndarray, fractions: tuple[float, float, float], *, seed: int
) -> np.ndarray:
    """Seeded per-class split: each class gets round(f * n_c) val and test samples.

    Example:
        >>> s = stratified_split(np.repeat([0, 1], 10), (0.6, 0.2, 0.2), seed=0)
        >>> [int((s == k).sum()) for k in ("train", "val", "test")]
        [12, 4, 4]
    """
    labels = np.asarray(labels)
    splits = np.full(labels.shape[0], "train", dtype="<U5")
    rng = np.random.default_rng(seed)
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(idx.size)]
        n_val = int(round(fractions[1] * idx.size))
        n_test = int(round(fractions[2] * idx.size))
        if n_val + n_test >= idx.size:  # keep at least one training sample per class
            n_test = max(0, min(n_test, idx.size - 1))
            n_val = max(0, min(n_val, idx.size - 1 - n_test))
        splits[idx[:n_val]] = "val"
        splits[idx[n_val : n_val + n_test]] = "test"
    return splits
