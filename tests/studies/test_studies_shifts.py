import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from noisyprobe.errors import NoisyProbeError
from noisyprobe.studies.shifts import SHIFTS, shift


def test_every_shift_keeps_shape_and_range():
    x = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    for kind in SHIFTS:
        s = shift(x, kind)
        assert s.shape == x.shape and s.min() >= 0 and s.max() <= 1
        assert not np.allclose(s, x)
        assert np.array_equal(s, shift(x, kind))  # seeded


def test_blur_and_contrast_match_closed_forms():
    x = np.random.default_rng(1).random((2, 10, 10), dtype=np.float32)
    assert np.allclose(shift(x, "blur")[0], np.clip(gaussian_filter(x[0], 1.5), 0, 1), atol=1e-6)
    m = x.mean(axis=(1, 2), keepdims=True)
    assert np.allclose(shift(x, "contrast"), m + 0.3 * (x - m), atol=1e-6)


def test_unknown_shift():
    with pytest.raises(NoisyProbeError):
        shift(np.zeros((1, 4, 4)), "warp")
