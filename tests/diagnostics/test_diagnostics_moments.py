"""Skewness/kurtosis (SKD definitions 1-2) and their summaries against scipy and by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
import torch

from noisyprobe.diagnostics.moments import (
    central_power_sums,
    kurtosis,
    skew_kurt,
    skewness,
    torch_skew_kurt,
)
from noisyprobe.diagnostics.summaries import moment_summary
from noisyprobe.errors import NoisyProbeError


def _data(n=400, d=9, seed=0):
    rng = np.random.default_rng(seed)
    cols = [
        rng.gamma(2.0, size=n),
        rng.normal(size=n),
        rng.exponential(size=n) + 1e3,
        rng.standard_t(5, size=n),
        -rng.lognormal(size=n),
    ]
    x = np.stack([cols[j % len(cols)] * (j + 1) for j in range(d)], axis=1)
    return x


def test_equals_scipy_bias_false_float64():
    x = _data()
    s, k = skew_kurt(x)
    assert np.allclose(s, st.skew(x, axis=0, bias=False), rtol=0, atol=1e-10)
    assert np.allclose(k, st.kurtosis(x, axis=0, bias=False), rtol=0, atol=1e-10)
    assert np.array_equal(skewness(x), s) and np.array_equal(kurtosis(x), k)


def test_float32_memmap_streamed_in_many_blocks_equals_scipy(tmp_path, tiny_blocks):
    x = _data(n=257, d=5).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    s, k = skew_kurt(mm)
    ref = x.astype(np.float64)
    assert np.allclose(s, st.skew(ref, bias=False), atol=1e-6)
    assert np.allclose(k, st.kurtosis(ref, bias=False), atol=1e-6)


def test_hand_computed_tiny_column():
    # z-scores of [0,0,0,1]: mean 1/4, sample var 1/4 -> z = [-.5,-.5,-.5,1.5]
    s, k = skew_kurt(np.array([[0.0], [0.0], [0.0], [1.0]]))
    m = 4
    z = np.array([-0.5, -0.5, -0.5, 1.5])
    assert s[0] == pytest.approx(m / ((m - 1) * (m - 2)) * (z**3).sum())
    expected_k = m * (m + 1) / ((m - 1) * (m - 2) * (m - 3)) * (z**4).sum() - 3 * (m - 1) ** 2 / (
        (m - 2) * (m - 3)
    )
    assert k[0] == pytest.approx(expected_k)
    assert (s[0], k[0]) == pytest.approx((2.0, 4.0))


def test_constant_feature_is_nan_like_scipy():
    x = np.column_stack([np.full(10, 3.5), np.arange(10.0)])
    s, k = skew_kurt(x)
    assert np.isnan(s[0]) and np.isnan(k[0])
    assert s[1] == pytest.approx(0.0) and np.isfinite(k[1])


def test_axis_argument_and_torch_input():
    x = _data(d=4)
    s0, k0 = skew_kurt(x)
    s1, k1 = skew_kurt(np.ascontiguousarray(x.T), axis=1)
    assert np.allclose(s0, s1) and np.allclose(k0, k1)
    s2, _ = skew_kurt(torch.tensor(x))
    assert np.allclose(s0, s2)


def test_torch_path_shares_the_formula_and_stays_differentiable():
    x = torch.tensor(_data(n=64, d=6), dtype=torch.float64, requires_grad=True)
    s, k = torch_skew_kurt(x)
    s_np, k_np = skew_kurt(x.detach().numpy())
    assert np.allclose(s.detach().numpy(), s_np, atol=1e-10)
    assert np.allclose(k.detach().numpy(), k_np, atol=1e-10)
    (s.abs().mean() + k.abs().mean()).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # batched runs along a leading axis
    xb = torch.stack([x.detach(), 2 * x.detach() + 1])
    sb, _ = torch_skew_kurt(xb, dim=-2)
    assert torch.allclose(sb[0], sb[1])


def test_central_power_sums_by_hand():
    mean, s2, s3, s4, const = central_power_sums(np.array([[1.0, 5.0], [2.0, 5.0], [6.0, 5.0]]))
    c = np.array([1.0, 2.0, 6.0]) - 3.0
    assert mean.tolist() == [3.0, 5.0]
    assert (s2[0], s3[0], s4[0]) == pytest.approx(((c**2).sum(), (c**3).sum(), (c**4).sum()))
    assert const.tolist() == [False, True]


def test_too_few_samples():
    with pytest.raises(ValueError, match="at least 4"):
        skew_kurt(np.ones((3, 2)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_moment_summary_statistics_and_histograms():
    x = _data(n=300, d=12)
    x[:, 3] = 2.0  # a constant feature is reported, not summarised
    s = moment_summary(x, bins=7, skew_threshold=1.0, kurt_threshold=3.0)
    sk, ku = st.skew(x, bias=False), st.kurtosis(x, bias=False)
    ok = np.isfinite(sk)
    assert s["n"] == 300 and s["d"] == 12 and s["constant_features"] == 1
    assert s["skew_mean"] == pytest.approx(sk[ok].mean())
    assert s["skew_median"] == pytest.approx(np.median(sk[ok]))
    assert s["skew_abs_mean"] == pytest.approx(np.abs(sk[ok]).mean())
    assert s["share_abs_skew_gt"] == pytest.approx((np.abs(sk[ok]) > 1).mean())
    assert s["kurt_mean"] == pytest.approx(ku[ok].mean())
    assert s["share_abs_kurt_gt"] == pytest.approx((np.abs(ku[ok]) > 3).mean())
    counts, edges = np.histogram(sk[ok], bins=7)
    assert np.array_equal(s["hist_skew"]["counts"], counts)
    assert np.allclose(s["hist_skew"]["edges"], edges)
    assert s["hist_kurt"]["counts"].sum() == ok.sum()


def test_moment_summary_gaussian_is_flat():
    x = np.random.default_rng(1).normal(size=(20000, 6))
    s = moment_summary(x)
    assert abs(s["skew_mean"]) < 0.05 and abs(s["kurt_mean"]) < 0.1
    assert s["share_abs_skew_gt"] == 0.0


@pytest.mark.parametrize(
    "kwargs", [{"bins": 0}, {"skew_threshold": -1.0}, {"kurt_threshold": float("nan")}]
)
def test_moment_summary_rejects_bad_options(kwargs):
    with pytest.raises(NoisyProbeError):
        moment_summary(np.ones((5, 2)), **kwargs)


def test_moment_summary_rejects_bad_shape():
    with pytest.raises(NoisyProbeError, match="2-D"):
        moment_summary(np.ones(10))
