"""Regime features from data alone: they track the injected noise and the class balance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.regime import REGIME_FEATURES, estimate_regime


def _data(n=1500, d=16, c=5, seed=0, sizes=None):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n) if sizes is None else np.repeat(np.arange(c), sizes)
    centers = rng.normal(size=(c, d)) * 1.5
    return centers[y] + rng.normal(size=(len(y), d)), y


def _corrupt(y, c, rate, kind, seed=1):
    rng = np.random.default_rng(seed)
    noisy = y.copy()
    flip = rng.random(y.size) < rate
    shift = 1 if kind == "pair" else rng.integers(1, c, y.size)
    noisy[flip] = ((y + shift) % c)[flip]
    return noisy


@pytest.fixture(scope="module")
def regimes():
    x, y = _data()
    out = {"clean": estimate_regime(x, y, 5)}
    for kind in ("sym", "pair"):
        for rate in (0.15, 0.3):
            out[(kind, rate)] = estimate_regime(x, _corrupt(y, 5, rate, kind), 5)
    return out


def test_every_feature_is_reported(regimes):
    assert set(regimes["clean"]) == set(REGIME_FEATURES)
    assert regimes["clean"]["num_classes"] == 5.0
    assert math.isnan(regimes["clean"]["loss_overlap"]) or regimes["clean"]["loss_overlap"] >= 0


def test_noise_rate_tracks_injected_noise(regimes):
    assert regimes["clean"]["noise_rate"] < 0.05
    for kind in ("sym", "pair"):
        low, high = regimes[(kind, 0.15)], regimes[(kind, 0.3)]
        assert low["noise_rate"] == pytest.approx(0.15, abs=0.06)
        assert high["noise_rate"] == pytest.approx(0.3, abs=0.08)
        assert high["knn_agreement"] < low["knn_agreement"] < regimes["clean"]["knn_agreement"]
        assert high["probe_agreement"] < low["probe_agreement"]


def test_asymmetry_separates_pair_from_symmetric_noise(regimes):
    for rate in (0.15, 0.3):
        assert regimes[("pair", rate)]["asymmetry"] > 0.6
        assert regimes[("sym", rate)]["asymmetry"] < 0.3


def test_feature_diagnostics_do_not_depend_on_labels(regimes):
    for name in ("skew_abs_mean", "kurt_median", "sve", "lsvr", "log_samples_per_class"):
        assert regimes["clean"][name] == pytest.approx(regimes[("sym", 0.3)][name])


def test_class_balance_features():
    x, y = _data(sizes=[400, 200, 100, 50, 25])
    r = estimate_regime(x, y, 5)
    assert r["log_imbalance"] == pytest.approx(math.log(400 / 25))
    p = np.array([400, 200, 100, 50, 25]) / 775
    assert r["class_entropy"] == pytest.approx(-(p * np.log(p)).sum() / math.log(5))
    assert r["log_samples_per_class"] == pytest.approx(math.log(775 / 5))


def test_deterministic_and_subsampled():
    x, y = _data(n=900)
    a = estimate_regime(x, y, 5, seed=3)
    b = estimate_regime(x, y, 5, seed=3)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key] or (math.isnan(a[key]) and math.isnan(b[key])), key
    small = estimate_regime(x, y, 5, max_samples=400, knn_queries=100)
    assert small["noise_rate"] < 0.1


def test_bad_input():
    with pytest.raises(NoisyProbeError, match="too few samples"):
        estimate_regime(np.zeros((6, 2)), np.arange(6) % 2, 2)
    with pytest.raises(NoisyProbeError, match="labels"):
        estimate_regime(np.zeros((60, 2)), np.arange(50) % 2, 2)
