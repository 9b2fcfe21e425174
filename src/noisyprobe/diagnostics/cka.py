"""Linear centred kernel alignment (CKA) of two feature matrices of the same samples.

Kornblith et al. (2019): with Xc, Yc the column-centred features and K = XcXcᵀ, L = YcYcᵀ,

    CKA = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)),   HSIC(K, L) ∝ tr(K L) = ‖Ycᵀ Xc‖_F²

so CKA = ‖YcᵀXc‖_F² / (‖XcᵀXc‖_F ‖YcᵀYc‖_F), computed here in feature space from the
D x D products (O(N·D²), never N x N). The debiased variant replaces HSIC by the unbiased
estimator of Song et al. (2012) (as in Nguyen et al. 2021 / Kornblith's code), which in
feature space reads, with a_i = ‖xc_i‖², b_i = ‖yc_i‖², A = Σa, B = Σb:

    n(n-3) · HSIC_u = ‖YcᵀXc‖_F² - n/(n-2) · aᵀb + A·B / ((n-1)(n-2)).

It removes the upward bias of CKA when D is large relative to N.
"""

from __future__ import annotations

import numpy as np

from noisyprobe.diagnostics._blocks import CentredProducts, as_matrix, centred_products


def linear_cka(x: np.ndarray, y: np.ndarray, *, debiased: bool = False) -> float:
    """Linear CKA between ``x`` [N, Dx] and ``y`` [N, Dy] (rows = the same samples).

    1 for identical representations; invariant to orthogonal transforms and isotropic
    scaling of either side; NaN when one side has no variance. The debiased estimate can be
    slightly negative or NaN on tiny samples (its HSIC estimates are unbiased, not positive).

    Args:
        x: first features, N >= 2 rows (N >= 4 when ``debiased``).
        y: second features, same N.
        debiased: use the unbiased HSIC estimator.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(100, 5))
        >>> round(linear_cka(x, 2 * x @ np.linalg.qr(rng.normal(size=(5, 5)))[0]), 6)
        1.0
    """
    min_rows = 4 if debiased else 2
    x = as_matrix(x, "x", min_rows=min_rows)
    y = as_matrix(y, "y", min_rows=min_rows)
    return cka_from_products(centred_products(x, y, row_norms=debiased), debiased=debiased)


def linear_cka_both(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``(linear_cka(x, y), linear_cka(x, y, debiased=True))`` from one pass over the data.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(50, 3))
        >>> [round(v, 6) for v in linear_cka_both(x, -x)]
        [1.0, 1.0]
    """
    x = as_matrix(x, "x", min_rows=4)
    y = as_matrix(y, "y", min_rows=4)
    p = centred_products(x, y, row_norms=True)
    return cka_from_products(p, debiased=False), cka_from_products(p, debiased=True)


def cka_from_products(p: CentredProducts, *, debiased: bool = False) -> float:
    """CKA from accumulated centred products (``row_norms`` needed when ``debiased``)."""
    if p.cross is None or p.gram_y is None:
        raise ValueError("cka_from_products needs the products of two feature matrices")
    cross = float(np.sum(p.cross * p.cross))
    self_x = float(np.sum(p.gram_x * p.gram_x))
    self_y = float(np.sum(p.gram_y * p.gram_y))
    if debiased:
        if p.row_sq_x is None or p.row_sq_y is None:
            raise ValueError("debiased CKA needs the centred row norms (row_norms=True)")
        n = p.n
        a, b = p.row_sq_x, p.row_sq_y
        cross = _debias(cross, a, b, n)
        self_x = _debias(self_x, a, a, n)
        self_y = _debias(self_y, b, b, n)
    denom = np.sqrt(self_x * self_y) if self_x > 0 and self_y > 0 else 0.0
    return float(cross / denom) if denom > 0 else float("nan")


def _debias(frob2: float, a: np.ndarray, b: np.ndarray, n: int) -> float:
    """n(n-3)·HSIC_u from ‖YcᵀXc‖_F² and the centred row norms (the 1/(n(n-3)) cancels)."""
    return (
        frob2 - n / (n - 2) * float(a @ b) + float(a.sum()) * float(b.sum()) / ((n - 1) * (n - 2))
    )
