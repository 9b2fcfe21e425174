"""Bias-corrected feature-wise skewness and kurtosis (SKD seed, definitions 1-2).

One formula serves the diagnostics (NumPy in, float64) and the SKD training loss
(differentiable torch, any leading run/batch axes):

    Skew_j = M / ((M-1)(M-2)) * sum_i z_ij^3
    Kurt_j = M(M+1) / ((M-1)(M-2)(M-3)) * sum_i z_ij^4 - 3(M-1)^2 / ((M-2)(M-3))

with z = (F - mean) / std and std the sample standard deviation (M - 1). These equal
``scipy.stats.skew(bias=False)`` and ``scipy.stats.kurtosis(bias=False)`` (Fisher).

The torch path forms z explicitly (it must be differentiable); the NumPy path streams the
rows in chunks, accumulates the central power sums S_p = sum_i (F_ij - mean_j)^p in float64
(two passes: the mean, then S_2..S_4) and uses sum_i z^3 = S_3 / std^3, sum_i z^4 = S_4 / std^4.
Both end in :func:`_bias_corrected`, the one place where the seed's coefficients live. A
100,000 x 1,024 float32 memmap is summarised in about a second with ~100 MB of working
memory (``benchmarks/diagnostics.py``).
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

from noisyprobe.diagnostics._blocks import block64, row_slices

_T = TypeVar("_T", np.ndarray, torch.Tensor)


def _bias_corrected(m: int, sum_z3: _T, sum_z4: _T) -> tuple[_T, _T]:
    """The seed's coefficients applied to sum z^3 and sum z^4 (NumPy or torch, same code)."""
    skew = sum_z3 * (m / ((m - 1) * (m - 2)))
    kurt = sum_z4 * (m * (m + 1) / ((m - 1) * (m - 2) * (m - 3))) - 3 * (m - 1) ** 2 / (
        (m - 2) * (m - 3)
    )
    return skew, kurt


def _check_count(m: int, where: str) -> None:
    if m < 4:
        raise ValueError(f"skewness/kurtosis need at least 4 samples along {where}, got {m}")


def torch_skew_kurt(
    x: torch.Tensor, *, dim: int = -2, eps: float = 1e-12
) -> tuple[torch.Tensor, torch.Tensor]:
    """Differentiable bias-corrected skewness and excess kurtosis along ``dim``.

    A constant column has std 0; its z-scores are taken as 0 (skew 0, kurtosis
    ``-3(M-1)^2/((M-2)(M-3))``) so training never sees NaN. Needs at least 4 samples.

    Example:
        >>> import torch
        >>> s, k = torch_skew_kurt(torch.tensor([[0.0], [0.0], [0.0], [1.0]]))
        >>> round(float(s), 4), round(float(k), 4)
        (2.0, 4.0)
    """
    m = x.shape[dim]
    _check_count(m, f"dim {dim}")
    centred = x - x.mean(dim=dim, keepdim=True)
    var = (centred * centred).sum(dim=dim, keepdim=True) / (m - 1)
    z = centred / torch.sqrt(var.clamp_min(eps))
    z = torch.where(var > eps, z, torch.zeros_like(z))
    z2 = z * z
    return _bias_corrected(m, z2.mul(z).sum(dim=dim), z2.mul(z2).sum(dim=dim))


def skewness(x: np.ndarray | torch.Tensor, *, axis: int = 0) -> np.ndarray:
    """Per-feature bias-corrected skewness (float64); NaN for a constant feature like scipy.

    Example:
        >>> import numpy as np
        >>> float(skewness(np.array([[0.0], [0.0], [0.0], [1.0]]))[0])
        2.0
    """
    return skew_kurt(x, axis=axis)[0]


def kurtosis(x: np.ndarray | torch.Tensor, *, axis: int = 0) -> np.ndarray:
    """Per-feature bias-corrected excess kurtosis (float64); NaN for a constant feature.

    Example:
        >>> import numpy as np
        >>> float(kurtosis(np.array([[0.0], [0.0], [0.0], [1.0]]))[0])
        4.0
    """
    return skew_kurt(x, axis=axis)[1]


def skew_kurt(x: np.ndarray | torch.Tensor, *, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Both moments in one streaming computation (float64 NumPy arrays).

    Memory-mapped input is read in row blocks; it is never copied whole.

    Example:
        >>> import numpy as np
        >>> s, k = skew_kurt(np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0], [1.0, 4.0]]))
        >>> [round(float(v), 4) for v in s], [round(float(v), 4) for v in k]
        ([2.0, 0.0], [4.0, -1.2])
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if x.ndim == 0:
        raise ValueError("skewness/kurtosis need an array with at least one axis")
    moved = np.moveaxis(x, axis, 0)
    rest = moved.shape[1:]
    flat = moved.reshape(moved.shape[0], -1)  # a view for the usual 2-D, axis=0 case
    skew, kurt = _streamed_skew_kurt(flat)
    return skew.reshape(rest), kurt.reshape(rest)


def central_power_sums(
    x: np.ndarray, *, block_elements: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-column mean and central sums S_2, S_3, S_4 (float64) of a 2-D array, streamed by rows.

    Also returns a boolean mask of constant columns (max == min). Two passes over ``x``.

    Example:
        >>> mean, s2, s3, s4, const = central_power_sums(np.array([[1.0], [3.0]]))
        >>> float(mean[0]), float(s2[0]), float(s3[0]), float(s4[0]), bool(const[0])
        (2.0, 2.0, 0.0, 2.0, False)
    """
    m, d = x.shape
    total = np.zeros(d)
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    for rows in row_slices(m, d, block_elements):
        block = block64(x, rows)
        total += block.sum(axis=0)
        lo = np.minimum(lo, block.min(axis=0))
        hi = np.maximum(hi, block.max(axis=0))
    mean = total / m
    s2, s3, s4 = np.zeros(d), np.zeros(d), np.zeros(d)
    for rows in row_slices(m, d, block_elements):
        c = block64(x, rows)
        c -= mean
        c2 = c * c
        s2 += c2.sum(axis=0)
        s3 += np.einsum("ij,ij->j", c2, c)
        s4 += np.einsum("ij,ij->j", c2, c2)
    return mean, s2, s3, s4, hi == lo


def _streamed_skew_kurt(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = x.shape[0]
    _check_count(m, "axis 0")
    _, s2, s3, s4, constant = central_power_sums(x)
    var = s2 / (m - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew, kurt = _bias_corrected(m, s3 / var**1.5, s4 / (var * var))
    skew[constant] = np.nan
    kurt[constant] = np.nan
    return skew, kurt
