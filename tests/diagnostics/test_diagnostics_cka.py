"""Linear CKA in feature space against a direct N x N HSIC computation, and its invariances."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.diagnostics.cka import linear_cka, linear_cka_both
from noisyprobe.errors import NoisyProbeError


def _hsic_biased(k, g):
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ g @ h) / (n - 1) ** 2


def _hsic_unbiased(k, g):
    """Song et al. (2012), eq. 5, written with explicit N x N matrices."""
    n = k.shape[0]
    kt, lt = k.copy(), g.copy()
    np.fill_diagonal(kt, 0.0)
    np.fill_diagonal(lt, 0.0)
    one = np.ones(n)
    term = (
        np.trace(kt @ lt)
        + (one @ kt @ one) * (one @ lt @ one) / ((n - 1) * (n - 2))
        - 2.0 / (n - 2) * one @ kt @ lt @ one
    )
    return term / (n * (n - 3))


def _direct_cka(x, y, hsic):
    k, g = x @ x.T, y @ y.T
    return hsic(k, g) / np.sqrt(hsic(k, k) * hsic(g, g))


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)) + 3.0
    y = np.tanh(x @ rng.normal(size=(6, 9))) + 0.5 * rng.normal(size=(40, 9))
    return x, y


def test_biased_equals_direct_hsic(pair, tiny_blocks):
    x, y = pair
    assert linear_cka(x, y) == pytest.approx(_direct_cka(x, y, _hsic_biased), abs=1e-12)


def test_debiased_equals_direct_unbiased_hsic(pair, tiny_blocks):
    x, y = pair
    # the unbiased estimator on raw (uncentred) Gram matrices: translation invariant
    ref = _direct_cka(x, y, _hsic_unbiased)
    assert linear_cka(x, y, debiased=True) == pytest.approx(ref, abs=1e-10)
    both = linear_cka_both(x, y)
    assert both[0] == pytest.approx(linear_cka(x, y))
    assert both[1] == pytest.approx(ref, abs=1e-10)


def test_debiasing_removes_the_high_dimension_bias():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 500)), rng.normal(size=(60, 500))  # independent
    assert linear_cka(x, y) > 0.5  # biased CKA is large for D >> N
    assert abs(linear_cka(x, y, debiased=True)) < 0.1


@pytest.mark.parametrize("debiased", [False, True])
def test_identity_and_invariances(pair, debiased):
    x, y = pair
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(rng.normal(size=(9, 9)))
    assert linear_cka(x, x, debiased=debiased) == pytest.approx(1.0)
    base = linear_cka(x, y, debiased=debiased)
    assert linear_cka(x, y @ q, debiased=debiased) == pytest.approx(base)
    assert linear_cka(4.2 * x, y, debiased=debiased) == pytest.approx(base)
    assert linear_cka(x - 100.0, y + 7.0, debiased=debiased) == pytest.approx(base)
    assert linear_cka(y, x, debiased=debiased) == pytest.approx(base)


def test_float32_memmap_input(tmp_path, pair):
    x, y = (a.astype(np.float32) for a in pair)
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert linear_cka(mm, y) == pytest.approx(linear_cka(x.astype(np.float64), y), abs=1e-6)


def test_not_invariant_to_general_linear_maps(pair):
    x, y = pair
    squash = np.diag([10.0, 1, 1, 1, 1, 0.1])
    assert abs(linear_cka(x @ squash, y) - linear_cka(x, y)) > 1e-3


def test_degenerate_and_bad_input(pair):
    x, y = pair
    assert np.isnan(linear_cka(np.ones((10, 3)), np.random.default_rng(0).normal(size=(10, 2))))
    with pytest.raises(NoisyProbeError, match="same samples"):
        linear_cka(x, y[:-1])
    with pytest.raises(NoisyProbeError, match="at least 4 rows"):
        linear_cka(x[:3], y[:3], debiased=True)
