"""SVE, LSVR and effective rank (NMTune definitions 2.1-2.2): closed forms and numpy SVD."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.diagnostics.spectrum import (
    effective_rank,
    lsvr,
    singular_value_entropy,
    singular_values,
    spectrum_summary,
    sve_from_singular_values,
)
from noisyprobe.errors import NoisyProbeError


def _entropy(sigma):
    p = np.asarray(sigma, float) / np.sum(sigma)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def test_diagonal_matrix_closed_form():
    sigma = np.array([5.0, 3.0, 1.5, 0.5])
    x = np.zeros((6, 4))
    x[np.arange(4), np.arange(4)] = sigma
    assert np.allclose(singular_values(x), sigma)
    p = sigma / sigma.sum()
    assert singular_value_entropy(x) == pytest.approx(-(p * np.log(p)).sum(), abs=1e-12)
    assert lsvr(x) == pytest.approx(-np.log(5.0 / 10.0), abs=1e-12)
    assert effective_rank(x) == pytest.approx(np.exp(-(p * np.log(p)).sum()))


def test_equal_singular_values_give_log_rank():
    x = np.eye(7) * 3.0
    assert singular_value_entropy(x) == pytest.approx(np.log(7))
    assert lsvr(x) == pytest.approx(np.log(7))
    assert effective_rank(x) == pytest.approx(7.0)


@pytest.mark.parametrize("center", [False, True])
def test_rank_one_matrix_has_zero_entropy_and_lsvr(center):
    rng = np.random.default_rng(0)
    x = np.outer(rng.normal(size=50), rng.normal(size=8))
    assert singular_value_entropy(x, center=center) == pytest.approx(0.0, abs=1e-6)
    assert lsvr(x, center=center) == pytest.approx(0.0, abs=1e-6)
    assert effective_rank(x, center=center) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("shape", [(200, 16), (10, 30)])
@pytest.mark.parametrize("center", [False, True])
def test_matches_numpy_svd(shape, center, tiny_blocks):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=shape) @ np.diag(np.linspace(3, 0.1, shape[1])) + 2.0).astype(np.float32)
    ref_x = x.astype(np.float64)
    if center:
        ref_x = ref_x - ref_x.mean(axis=0)
    ref = np.linalg.svd(ref_x, compute_uv=False)
    got = singular_values(x, center=center)
    assert got.shape == ref.shape
    assert np.allclose(got, ref, rtol=1e-7, atol=1e-6 * ref[0])
    assert singular_value_entropy(x, center=center) == pytest.approx(_entropy(ref), abs=1e-6)
    assert lsvr(x, center=center) == pytest.approx(-np.log(ref[0] / ref.sum()), abs=1e-8)


def test_centring_changes_the_spectrum_of_offset_features():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 10)) + 10.0  # a large shared offset dominates sigma_1
    assert lsvr(x) < 0.5 < lsvr(x, center=True)
    assert singular_value_entropy(x) < singular_value_entropy(x, center=True)


def test_spectrum_summary_agrees_with_single_functions():
    x = np.random.default_rng(3).gamma(2.0, size=(120, 12))
    s = spectrum_summary(x)
    for conv, center in (("uncentred", False), ("centred", True)):
        assert s[conv]["sve"] == pytest.approx(singular_value_entropy(x, center=center))
        assert s[conv]["lsvr"] == pytest.approx(lsvr(x, center=center))
        assert s[conv]["effective_rank"] == pytest.approx(effective_rank(x, center=center))
        assert np.allclose(s[conv]["singular_values"], singular_values(x, center=center))


def test_invariant_to_row_order_and_orthogonal_rotation():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(80, 6))
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    assert singular_value_entropy(x @ q) == pytest.approx(singular_value_entropy(x))
    assert lsvr(x[::-1]) == pytest.approx(lsvr(x))
    assert singular_value_entropy(7.0 * x) == pytest.approx(singular_value_entropy(x))


def test_degenerate_inputs():
    assert np.isnan(singular_value_entropy(np.zeros((5, 3))))
    assert np.isnan(lsvr(np.ones((5, 3)), center=True))
    assert sve_from_singular_values(np.array([1.0, 0.0])) == 0.0
    with pytest.raises(NoisyProbeError, match="2-D"):
        singular_values(np.ones(4))
    with pytest.raises(NoisyProbeError, match="NaN"):
        singular_values(np.array([[1.0, np.nan], [0.0, 1.0]]))
