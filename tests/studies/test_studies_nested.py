import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.studies.nested import nested_symmetric


def test_flip_sets_are_nested_with_the_same_wrong_labels():
    y = np.random.default_rng(1).integers(0, 10, size=1000)
    prev_mask, prev_labels = None, None
    for rate in (0.0, 0.05, 0.1, 0.2, 0.3):
        noisy, mask = nested_symmetric(y, rate, num_classes=10, seed=3)
        assert mask.sum() == round(rate * 1000)
        assert np.array_equal(mask, noisy != y)  # every flip goes to another class
        if prev_mask is not None:
            assert mask[prev_mask].all()
            assert np.array_equal(noisy[prev_mask], prev_labels[prev_mask])
        prev_mask, prev_labels = mask, noisy


def test_wrong_labels_are_uniform_over_other_classes():
    y = np.zeros(30000, dtype=np.int64)
    noisy, mask = nested_symmetric(y, 1.0, num_classes=4, seed=0)
    counts = np.bincount(noisy, minlength=4)
    assert counts[0] == 0
    assert np.allclose(counts[1:] / 30000, 1 / 3, atol=0.01)


def test_seeds_differ_and_bad_input_is_rejected():
    y = np.arange(100) % 10
    a = nested_symmetric(y, 0.2, num_classes=10, seed=0)[1]
    b = nested_symmetric(y, 0.2, num_classes=10, seed=1)[1]
    assert not np.array_equal(a, b)
    with pytest.raises(NoisyProbeError):
        nested_symmetric(y, 1.5, num_classes=10, seed=0)
    with pytest.raises(NoisyProbeError):
        nested_symmetric(y, 0.1, num_classes=5, seed=0)
