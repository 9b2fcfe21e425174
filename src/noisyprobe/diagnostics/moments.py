"""Bias-corrected feature-wise skewness and kurtosis (SKD seed, definitions 1-2).

One implementation serves the diagnostics (NumPy in, float64) and the SKD training loss
(differentiable torch, any leading run/batch axes):

    Skew_j = M / ((M-1)(M-2)) * sum_i z_ij^3
    Kurt_j = M(M+1) / ((M-1)(M-2)(M-3)) * sum_i z_ij^4 - 3(M-1)^2 / ((M-2)(M-3))

with z = (F - mean) / std and std the sample standard deviation (M - 1). These equal
``scipy.stats.skew(bias=False)`` and ``scipy.stats.kurtosis(bias=False)`` (Fisher).
"""

from __future__ import annotations

import numpy as np
import torch


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
    if m < 4:
        raise ValueError(f"skewness/kurtosis need at least 4 samples along dim {dim}, got {m}")
    centred = x - x.mean(dim=dim, keepdim=True)
    var = (centred * centred).sum(dim=dim, keepdim=True) / (m - 1)
    z = centred / torch.sqrt(var.clamp_min(eps))
    z = torch.where(var > eps, z, torch.zeros_like(z))
    z2 = z * z
    skew = z2.mul(z).sum(dim=dim) * (m / ((m - 1) * (m - 2)))
    kurt = z2.mul(z2).sum(dim=dim) * (m * (m + 1) / ((m - 1) * (m - 2) * (m - 3))) - 3 * (
        m - 1
    ) ** 2 / ((m - 2) * (m - 3))
    return skew, kurt


def skewness(x: np.ndarray | torch.Tensor, *, axis: int = 0) -> np.ndarray:
    """Per-feature bias-corrected skewness (float64); NaN for a constant feature like scipy.

    Example:
        >>> import numpy as np
        >>> float(skewness(np.array([[0.0], [0.0], [0.0], [1.0]]))[0])
        2.0
    """
    return _numpy_moments(x, axis)[0]


def kurtosis(x: np.ndarray | torch.Tensor, *, axis: int = 0) -> np.ndarray:
    """Per-feature bias-corrected excess kurtosis (float64); NaN for a constant feature.

    Example:
        >>> import numpy as np
        >>> float(kurtosis(np.array([[0.0], [0.0], [0.0], [1.0]]))[0])
        4.0
    """
    return _numpy_moments(x, axis)[1]


def skew_kurt(x: np.ndarray | torch.Tensor, *, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Both moments in one pass (float64 NumPy arrays)."""
    return _numpy_moments(x, axis)


def _numpy_moments(x: np.ndarray | torch.Tensor, axis: int) -> tuple[np.ndarray, np.ndarray]:
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    t = t.detach().to(torch.float64)
    with torch.inference_mode():
        skew, kurt = torch_skew_kurt(t, dim=axis, eps=0.0)
        constant = (t == t.select(axis, 0).unsqueeze(axis)).all(dim=axis)
    skew_np, kurt_np = skew.numpy().copy(), kurt.numpy().copy()
    skew_np[constant.numpy()] = np.nan
    kurt_np[constant.numpy()] = np.nan
    return skew_np, kurt_np
