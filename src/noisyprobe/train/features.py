"""Input checks and feature standardisation for the trainer (one float32 copy at most)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from noisyprobe.errors import NoisyProbeError

_CHUNK = 1024  # rows per float64 temporary: small enough to stay in cache


@dataclass(frozen=True)
class Standardizer:
    """Per-feature mean and scale fitted on the training split (identity when disabled)."""

    mean: np.ndarray | None = None
    scale: np.ndarray | None = None

    @classmethod
    def fit(cls, x: np.ndarray, *, enabled: bool = True, name: str = "X_train") -> Standardizer:
        """Check x [N, D] is finite and, when enabled, fit float64 mean/std in chunks.

        Example:
            >>> import numpy as np
            >>> s = Standardizer.fit(np.array([[0.0, 1.0], [2.0, 1.0]], dtype=np.float32))
            >>> s.mean.tolist(), s.scale.tolist()
            ([1.0, 1.0], [1.0, 1.0])
        """
        n, d = x.shape
        total = np.zeros(d)
        with np.errstate(over="ignore", invalid="ignore"):  # a NaN / Inf is reported below
            for start in range(0, n, _CHUNK):  # float64 sums without a float64 copy
                chunk = np.asarray(x[start : start + _CHUNK])
                total += np.add.reduce(chunk, axis=0, dtype=np.float64)
        # A NaN or Inf makes its column sum NaN or Inf; finite float32 sums cannot overflow.
        if not np.isfinite(total).all():
            for start in range(0, n, _CHUNK):
                if not np.isfinite(np.asarray(x[start : start + _CHUNK])).all():
                    raise NoisyProbeError(f"{name}: features contain NaN or Inf")
        if not enabled:
            return cls()
        mean = total / n
        sq = np.zeros(d)
        for start in range(0, n, _CHUNK):
            chunk = np.subtract(np.asarray(x[start : start + _CHUNK]), mean, dtype=np.float64)
            np.multiply(chunk, chunk, out=chunk)
            sq += chunk.sum(axis=0)
        std = np.sqrt(sq / n)
        std[std < 1e-12] = 1.0
        return cls(mean, std)

    def transform(self, x: np.ndarray, device: torch.device) -> torch.Tensor:
        """float32 tensor of the standardised features; no copy when disabled and possible."""
        if self.mean is None:
            arr = np.asarray(x)
            if arr.dtype != np.float32 or not arr.flags.c_contiguous:
                arr = np.ascontiguousarray(arr, dtype=np.float32)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # read-only memmaps are fine
                t = torch.from_numpy(arr)
            return t.to(device)
        out = np.empty(x.shape, dtype=np.float32)
        mean, scale = self.mean, self.scale
        for start in range(0, x.shape[0], _CHUNK):
            chunk = np.asarray(x[start : start + _CHUNK], dtype=np.float64)
            out[start : start + _CHUNK] = (chunk - mean) / scale
        return torch.from_numpy(out).to(device)


def check_features(x: object, name: str, dim: int | None = None) -> np.ndarray:
    """A 2-D real array (memory maps stay memory maps)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if arr.ndim != 2:
        raise NoisyProbeError(f"{name} must be a 2-D array [N, D], got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise NoisyProbeError(f"{name} is empty")
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
        raise NoisyProbeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if dim is not None and arr.shape[1] != dim:
        raise NoisyProbeError(f"{name} has {arr.shape[1]} features, expected {dim}")
    return arr


def check_labels(labels: object, name: str, n: int, num_classes: int) -> np.ndarray:
    """int64 [n] labels in [0, num_classes)."""
    arr = np.asarray(labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise NoisyProbeError(f"{name} must have shape ({n},), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise NoisyProbeError(f"{name} must be integer class indices, got dtype {arr.dtype}")
    if n and (arr.min() < 0 or arr.max() >= num_classes):
        raise NoisyProbeError(
            f"{name} must lie in [0, {num_classes}), got values in [{arr.min()}, {arr.max()}]"
        )
    return arr.astype(np.int64, copy=False)


def resolve_device(name: str) -> torch.device:
    """``"auto"`` picks CUDA when available; an unavailable CUDA device is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise NoisyProbeError(f"TrainConfig.device {name!r} is not a valid device") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise NoisyProbeError(f"TrainConfig.device {name!r}: CUDA is not available here")
    if device.type not in ("cpu", "cuda"):
        raise NoisyProbeError(f"TrainConfig.device must be cpu or cuda, got {name!r}")
    return device


def stack_labels(columns: Sequence[np.ndarray], device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.stack(columns), dtype=torch.long).to(device)
