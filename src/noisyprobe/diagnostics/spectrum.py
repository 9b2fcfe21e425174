"""Singular-value spectrum of a feature matrix: SVE, LSVR and effective rank (NMTune seed).

With sigma_1 >= sigma_2 >= ... the singular values of the feature matrix F and
p_i = sigma_i / sum_j sigma_j:

- singular value entropy (Def. 2.1)   SVE  = -sum_i p_i log p_i   (natural log)
- largest singular value ratio (2.2)   LSVR = -log p_1
- effective rank (Roy & Vetterli 2007) erank = exp(SVE), between 1 and rank(F)

The singular values come from the eigenvalues of the D x D Gram matrix FᵀF accumulated in
float64 over row blocks (O(N·D²) time, O(D²) memory, never N x N); eigenvalues below
``lambda_max · max(N, D) · eps`` are round-off and are set to 0, so singular values smaller than
about 1e-8 · sigma_1 are not resolved (they would not change SVE/LSVR at that precision).

Centring convention: ``center=False`` (default) uses F exactly as the seed defines it
(the singular values of the feature matrix, as in NMTune's analysis and its SVD loss, which
act on raw features); the mean direction then usually carries sigma_1. ``center=True``
subtracts the column means first, giving the PCA spectrum of the features' covariance
(sigma_i² / (N - 1) are the principal variances), which ignores a shared offset.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from noisyprobe.diagnostics._blocks import as_matrix, centred_products


def singular_values(x: np.ndarray, *, center: bool = False) -> np.ndarray:
    """Singular values of ``x`` [N, D] (or of its column-centred version), descending.

    Returns ``min(N, D)`` float64 values, like ``numpy.linalg.svd(x, compute_uv=False)``,
    computed from the D x D Gram matrix streamed over row blocks.

    Example:
        >>> singular_values(np.diag([3.0, 1.0, 2.0])).tolist()
        [3.0, 2.0, 1.0]
    """
    x = as_matrix(x)
    return _singular_values_from(_gram(x, center), x.shape)


def singular_value_entropy(x: np.ndarray, *, center: bool = False) -> float:
    """Entropy of the normalised singular values (NMTune Def. 2.1, natural log).

    0 for a rank-1 matrix, ``log(r)`` for r equal singular values; NaN if ``x`` is all zero
    (after centring, if ``center``).

    Example:
        >>> round(singular_value_entropy(np.eye(4)), 6) == round(float(np.log(4)), 6)
        True
    """
    return sve_from_singular_values(singular_values(x, center=center))


def lsvr(x: np.ndarray, *, center: bool = False) -> float:
    """Largest singular value ratio, ``-log(sigma_1 / sum sigma)`` (NMTune Def. 2.2).

    Example:
        >>> round(lsvr(np.diag([2.0, 1.0, 1.0])), 6) == round(float(np.log(2)), 6)
        True
    """
    return lsvr_from_singular_values(singular_values(x, center=center))


def effective_rank(x: np.ndarray, *, center: bool = False) -> float:
    """Effective rank of Roy & Vetterli (2007): ``exp(SVE)``, in ``[1, rank(x)]``.

    Example:
        >>> round(effective_rank(np.eye(5)), 6)
        5.0
    """
    return float(np.exp(singular_value_entropy(x, center=center)))


def sve_from_singular_values(sigma: np.ndarray) -> float:
    """SVE of given singular values (zeros contribute 0; NaN if all are zero)."""
    p = _normalised(sigma)
    if p is None:
        return float("nan")
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def lsvr_from_singular_values(sigma: np.ndarray) -> float:
    """LSVR of given singular values (NaN if all are zero)."""
    p = _normalised(sigma)
    return float("nan") if p is None else float(-np.log(p.max()))


def spectrum_summary(x: np.ndarray) -> dict[str, Any]:
    """SVE, LSVR, effective rank and singular values, uncentred and centred, in one pass pair.

    The centred Gram is accumulated once and the uncentred one recovered from it
    (``XᵀX = XcᵀXc + N μ μᵀ``), so both conventions cost one O(N·D²) product.

    Example:
        >>> s = spectrum_summary(np.eye(3))
        >>> round(s["uncentred"]["effective_rank"], 6), len(s["centred"]["singular_values"])
        (3.0, 3)
    """
    x = as_matrix(x)
    products = centred_products(x)
    out: dict[str, Any] = {}
    for name, gram in (("uncentred", products.uncentred_gram_x()), ("centred", products.gram_x)):
        sigma = _singular_values_from(gram, x.shape)
        sve = sve_from_singular_values(sigma)
        out[name] = {
            "sve": sve,
            "lsvr": lsvr_from_singular_values(sigma),
            "effective_rank": float(np.exp(sve)),
            "singular_values": sigma,
        }
    return out


def _gram(x: Any, center: bool) -> np.ndarray:
    products = centred_products(x)
    return products.gram_x if center else products.uncentred_gram_x()


def _singular_values_from(gram: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    eig = np.linalg.eigvalsh(gram)[::-1]
    top = eig[0] if eig.size else 0.0
    tol = max(top, 0.0) * max(shape) * np.finfo(np.float64).eps
    eig = np.where(eig > tol, eig, 0.0)
    return np.sqrt(eig[: min(shape)])


def _normalised(sigma: np.ndarray) -> np.ndarray | None:
    sigma = np.asarray(sigma, dtype=np.float64)
    total = sigma.sum()
    if not total > 0:
        return None
    return sigma / total
