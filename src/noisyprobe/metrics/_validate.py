"""Input checks shared by the metrics: integer label vectors, probability matrices."""

from __future__ import annotations

import numpy as np

from noisyprobe.errors import NoisyProbeError


def as_labels(values: object, name: str, *, ndim: int = 1) -> np.ndarray:
    """Return ``values`` as an int64 array of class indices (>= 0) with ``ndim`` axes."""
    arr = np.asarray(values)
    if arr.ndim != ndim:
        raise NoisyProbeError(
            f"{name} must be a {ndim}-D array of class indices, got shape {arr.shape}"
        )
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise NoisyProbeError(f"{name} must hold integer class indices, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and (
        not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr))
    ):
        raise NoisyProbeError(f"{name} must hold integer class indices, got non-integer values")
    out = arr.astype(np.int64, copy=False)
    if out.size and out.min() < 0:
        raise NoisyProbeError(
            f"{name} must hold class indices >= 0, got {int(out.min())} "
            "(drop unlabelled samples, label -1, before computing metrics)"
        )
    return out


def check_num_classes(num_classes: int | None, *arrays: np.ndarray, names: tuple[str, ...]) -> int:
    """Return the number of classes, inferred from the arrays when ``num_classes`` is None."""
    top = max((int(a.max()) + 1 for a in arrays if a.size), default=0)
    if num_classes is None:
        return top
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise NoisyProbeError(f"num_classes must be a positive integer, got {num_classes!r}")
    if num_classes < 1:
        raise NoisyProbeError(f"num_classes must be a positive integer, got {num_classes}")
    for arr, name in zip(arrays, names):
        if arr.size and int(arr.max()) >= num_classes:
            raise NoisyProbeError(
                f"{name} holds class {int(arr.max())}, outside [0, {num_classes}) for "
                f"num_classes={num_classes}"
            )
    return int(num_classes)


def check_same_length(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    """Raise unless the last axes of ``a`` and ``b`` have the same, non-zero length."""
    if a.shape[-1] != b.shape[-1]:
        raise NoisyProbeError(
            f"{names[0]} and {names[1]} must have the same number of samples, "
            f"got {a.shape[-1]} and {b.shape[-1]}"
        )
    if a.shape[-1] == 0:
        raise NoisyProbeError(f"{names[0]} and {names[1]} are empty; metrics need samples")


def as_probs(values: object, name: str = "probs", *, atol: float = 1e-3) -> np.ndarray:
    """Return ``values`` as a float64 [N, C] matrix of class probabilities (rows sum to 1)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise NoisyProbeError(
            f"{name} must be a 2-D [samples, classes] array, got shape {arr.shape}"
        )
    finite = np.isfinite(arr)
    if not np.all(finite):
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise NoisyProbeError(
            f"{name} contains NaN or Inf in row {row}: the model's output for that sample is "
            "not finite (check its input features for NaN/Inf, or a diverged training run)"
        )
    if arr.size and (arr.min() < 0 or not np.allclose(arr.sum(axis=1), 1.0, atol=atol)):
        raise NoisyProbeError(
            f"{name} must hold probabilities: non-negative rows summing to 1 (within {atol}); "
            "apply softmax to logits first"
        )
    return arr
