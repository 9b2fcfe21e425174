"""Shared fixtures: a deterministic toy backbone and small datasets/FeatureSets."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own noisyprobe cache unless it sets one itself."""
    if "NOISYPROBE_TEST_REAL_CACHE" not in os.environ:
        monkeypatch.setenv("NOISYPROBE_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def toy_featureset():
    from noisyprobe.features.store import FeatureSet

    rng = np.random.default_rng(0)
    n, d, c = 120, 6, 3
    labels = np.arange(n) % c
    centers = rng.normal(size=(c, d)) * 3
    feats = (centers[labels] + rng.normal(size=(n, d))).astype(np.float32)
    splits = np.array(["train"] * 80 + ["val"] * 10 + ["test"] * 30)
    noisy = labels.copy()
    noisy[::5] = (noisy[::5] + 1) % c
    return FeatureSet(
        feats,
        labels,
        splits,
        extra_labels={"weak": noisy},
        classes=["a", "b", "c"],
        metadata={"dataset": "toy"},
    )
