"""Row-streamed second moments shared by the spectrum and CKA diagnostics.

Everything here is O(N·D²) time and O(D²) memory: a feature matrix (often a float32 memmap)
is read in row blocks, converted to float64 block by block and never copied whole, and no
N x N matrix is formed. Two passes: the column means, then the exactly centred products.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError

#: Elements per float64 working block (4M elements = 32 MB per block copy).
BLOCK_ELEMENTS = 1 << 22


class RowView:
    """Lazily selected rows of a 2-D array (``x[rows]`` without copying the whole selection).

    Example:
        >>> v = RowView(np.arange(12.0).reshape(4, 3), np.array([3, 0]))
        >>> v.shape, v[0:1].tolist()
        ((2, 3), [[9.0, 10.0, 11.0]])
    """

    def __init__(self, array: np.ndarray, rows: np.ndarray) -> None:
        self.array = array
        self.rows = np.asarray(rows, dtype=np.int64)
        self.shape = (len(self.rows), array.shape[1])
        self.ndim = 2
        self.dtype = array.dtype

    def __getitem__(self, item: slice) -> np.ndarray:
        return np.asarray(self.array[self.rows[item]])


def as_matrix(x: Any, name: str = "x", *, min_rows: int = 1) -> Any:
    """Check that ``x`` is a numeric 2-D array with at least ``min_rows`` rows; no copy.

    Lists are converted; NumPy arrays, memmaps and :class:`RowView` pass through as they are.
    """
    if not isinstance(x, (np.ndarray, RowView)):
        x = np.asarray(x)
    if x.ndim != 2:
        raise NoisyProbeError(f"{name}: expected a 2-D array [N, D], got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise NoisyProbeError(f"{name}: expected a numeric array, got dtype {x.dtype}")
    if x.shape[0] < min_rows or x.shape[1] < 1:
        raise NoisyProbeError(
            f"{name}: expected at least {min_rows} rows and 1 column, got shape {x.shape}"
        )
    return x


def row_slices(n: int, d: int, block_elements: int | None = None) -> Iterator[slice]:
    """Consecutive row slices holding about ``block_elements`` (default BLOCK_ELEMENTS) each."""
    rows = max(1, (block_elements or BLOCK_ELEMENTS) // max(d, 1))
    for start in range(0, n, rows):
        yield slice(start, min(start + rows, n))


def block64(x: Any, rows: slice) -> np.ndarray:
    """Rows of ``x`` as a new float64 array (a copy: callers may modify it in place)."""
    return np.array(x[rows], dtype=np.float64)


def column_mean(x: Any, *, block_elements: int | None = None) -> np.ndarray:
    """Column means of ``x`` accumulated in float64 over row blocks."""
    n, d = x.shape
    total = np.zeros(d)
    for rows in row_slices(n, d, block_elements):
        total += block64(x, rows).sum(axis=0)
    return total / n


@dataclass(frozen=True)
class CentredProducts:
    """Second moments of centred features: ``gram_x = Xcᵀ Xc`` etc., all float64.

    ``cross = Ycᵀ Xc`` ([Dy, Dx]) and the per-row squared norms of the centred rows are
    present only when asked for.
    """

    n: int
    mean_x: np.ndarray
    gram_x: np.ndarray
    mean_y: np.ndarray | None = None
    gram_y: np.ndarray | None = None
    cross: np.ndarray | None = None
    row_sq_x: np.ndarray | None = None
    row_sq_y: np.ndarray | None = None

    def uncentred_gram_x(self) -> np.ndarray:
        """``Xᵀ X`` recovered as ``Xcᵀ Xc + N μ μᵀ``."""
        return self.gram_x + self.n * np.outer(self.mean_x, self.mean_x)


def centred_products(
    x: Any,
    y: Any | None = None,
    *,
    row_norms: bool = False,
    block_elements: int | None = None,
) -> CentredProducts:
    """Stream ``x`` (and ``y``, same rows) twice and return their centred Gram/cross products.

    Example:
        >>> p = centred_products(np.array([[1.0, 0.0], [3.0, 0.0]]))
        >>> p.mean_x.tolist(), p.gram_x.tolist()
        ([2.0, 0.0], [[2.0, 0.0], [0.0, 0.0]])
    """
    n, dx = x.shape
    if y is not None and y.shape[0] != n:
        raise NoisyProbeError(f"x and y must hold the same samples: got {n} and {y.shape[0]} rows")
    width = dx + (y.shape[1] if y is not None else 0)
    mean_x = column_mean(x, block_elements=block_elements)
    mean_y = None if y is None else column_mean(y, block_elements=block_elements)
    gram_x = np.zeros((dx, dx))
    gram_y = None if y is None else np.zeros((y.shape[1], y.shape[1]))
    cross = None if y is None else np.zeros((y.shape[1], dx))
    row_sq_x = np.empty(n) if row_norms else None
    row_sq_y = np.empty(n) if row_norms and y is not None else None
    for rows in row_slices(n, width, block_elements):
        bx = block64(x, rows)
        bx -= mean_x
        gram_x += bx.T @ bx
        if row_sq_x is not None:
            row_sq_x[rows] = np.einsum("ij,ij->i", bx, bx)
        if y is not None:
            by = block64(y, rows)
            by -= mean_y
            gram_y += by.T @ by
            cross += by.T @ bx
            if row_sq_y is not None:
                row_sq_y[rows] = np.einsum("ij,ij->i", by, by)
    for name, value in (("x", gram_x), ("y", gram_y)):
        if value is not None and not np.isfinite(value).all():
            raise NoisyProbeError(f"{name}: features contain NaN or Inf (or overflow float64)")
    return CentredProducts(n, mean_x, gram_x, mean_y, gram_y, cross, row_sq_x, row_sq_y)
