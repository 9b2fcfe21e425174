"""Standardizer: float64 statistics in chunks, and every NaN / Inf is found."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.train.features import Standardizer


def test_statistics_match_numpy_across_chunks():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(2500, 7)).astype(np.float32)
    s = Standardizer.fit(x)
    np.testing.assert_allclose(s.mean, x.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(s.scale, x.astype(np.float64).std(0), rtol=1e-12)


@pytest.mark.parametrize("values", [[np.nan], [np.inf], [np.inf, -np.inf], [-np.inf]])
@pytest.mark.parametrize("enabled", [True, False])
def test_any_non_finite_value_is_refused(values, enabled):
    x = np.zeros((2100, 3), dtype=np.float32)
    for i, v in enumerate(values):
        x[2050 + i, 1] = v  # in the last chunk; +inf and -inf together sum to NaN
    with pytest.raises(NoisyProbeError, match="NaN or Inf"):
        Standardizer.fit(x, enabled=enabled)


def test_finite_float64_whose_sum_overflows_is_not_refused():
    x = np.full((4, 2), 1e308)
    assert Standardizer.fit(x, enabled=False).mean is None
