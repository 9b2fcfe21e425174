"""The evaluation protocol's label draws: training labels and noisy validation labels."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet
from noisyprobe.train.protocol import Condition, training_labels, validation_labels


def _featureset(n: int = 600, c: int = 3) -> FeatureSet:
    rng = np.random.default_rng(0)
    y = np.arange(n) % c
    splits = np.array(["train"] * (n // 2) + ["val"] * (n // 4) + ["test"] * (n // 4))
    rnn = y.copy()
    rnn[::4] = (rnn[::4] + 1) % c
    rnn[1::50] = -1  # unlabelled by the labeller
    return FeatureSet(rng.normal(size=(n, 4)), y, splits, extra_labels={"rnn": rnn})


def test_clean_condition_gives_the_main_val_labels():
    fs = _featureset()
    idx, labels = validation_labels(fs, Condition(), seed=3)
    assert np.array_equal(idx, np.flatnonzero(fs.splits == "val"))
    assert np.array_equal(labels, fs.labels[idx])


def test_injected_noise_hits_val_at_the_rate_with_its_own_draw():
    fs = _featureset()
    cond = Condition(noise_kind="symmetric", rate=0.3)
    idx, labels = validation_labels(fs, cond, seed=1)
    assert np.mean(labels != fs.labels[idx]) == pytest.approx(0.3, abs=0.01)
    again = validation_labels(fs, cond, seed=1)[1]
    other = validation_labels(fs, cond, seed=2)[1]
    assert np.array_equal(labels, again) and not np.array_equal(labels, other)
    # independent of the training draw: not the same flip pattern on the first rows
    train_idx, train_labels, _ = training_labels(fs, cond, seed=1)
    k = idx.size
    assert not np.array_equal(
        train_labels[:k] != fs.labels[train_idx[:k]], labels != fs.labels[idx]
    )


def test_real_noise_column_gives_its_labelled_val_rows():
    fs = _featureset()
    idx, labels = validation_labels(fs, Condition(label_column="rnn"), seed=0)
    rnn = fs.label_column("rnn")
    assert np.array_equal(idx, np.flatnonzero((fs.splits == "val") & (rnn >= 0)))
    assert np.array_equal(labels, rnn[idx])


def test_missing_split_is_a_clear_error():
    fs = FeatureSet(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(NoisyProbeError, match="split 'val' has no samples"):
        validation_labels(fs, Condition(), seed=0)
