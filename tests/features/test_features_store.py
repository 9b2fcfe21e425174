import json

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet


def test_roundtrip_preserves_everything(tmp_path, toy_featureset):
    path = toy_featureset.save(tmp_path / "fs")
    loaded = FeatureSet.load(path)
    assert isinstance(loaded.features, np.memmap)
    np.testing.assert_array_equal(loaded.features, toy_featureset.features)
    np.testing.assert_array_equal(loaded.labels, toy_featureset.labels)
    np.testing.assert_array_equal(loaded.splits, toy_featureset.splits)
    np.testing.assert_array_equal(loaded.extra_labels["weak"], toy_featureset.extra_labels["weak"])
    assert loaded.classes == ["a", "b", "c"]
    assert loaded.metadata == {"dataset": "toy"}
    manifest = json.loads((path / "manifest.json").read_text())
    assert set(manifest["sha256"]) == {
        "features.npy",
        "labels.npy",
        "splits.npy",
        "ids.npy",
        "labels.weak.npy",
    }


def test_arrays_load_without_pickle(tmp_path, toy_featureset):
    path = toy_featureset.save(tmp_path / "fs")
    for file in path.glob("*.npy"):
        np.load(file, allow_pickle=False)


def test_corrupt_array_is_refused(tmp_path, toy_featureset):
    path = toy_featureset.save(tmp_path / "fs")
    raw = bytearray((path / "labels.npy").read_bytes())
    raw[-1] ^= 1
    (path / "labels.npy").write_bytes(bytes(raw))
    with pytest.raises(NoisyProbeError, match="sha256"):
        FeatureSet.load(path)


def test_missing_manifest_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoisyProbeError, match="manifest.json missing"):
        FeatureSet.load(tmp_path / "empty")


def test_save_refuses_to_overwrite(tmp_path, toy_featureset):
    toy_featureset.save(tmp_path / "fs")
    with pytest.raises(NoisyProbeError, match="already exists"):
        toy_featureset.save(tmp_path / "fs")
    toy_featureset.save(tmp_path / "fs", overwrite=True)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("features", "labels", "message"),
    [
        (np.full((3, 2), np.nan), [0, 1, 0], "NaN or Inf in sample 0"),
        (np.ones((3, 2)), [0, 1], "expected 3 labels"),
        (np.ones(3), [0, 1, 0], "2-D"),
        (np.ones((3, 2)), [0, 1, -2], "out of range"),
        (np.ones((3, 2)), [0.5, 1, 0], "integers"),
        (np.ones((0, 2)), [], "empty"),
    ],
)
def test_bad_input_names_the_problem(features, labels, message):
    with pytest.raises(NoisyProbeError, match=message):
        FeatureSet(features, labels)


def test_labels_out_of_range_for_named_classes():
    with pytest.raises(NoisyProbeError, match="expected 0..1"):
        FeatureSet(np.ones((3, 2)), [0, 1, 2], classes=["x", "y"])


def test_indices_skip_missing_labels_and_reject_empty_split(toy_featureset):
    fs = FeatureSet(
        toy_featureset.features,
        np.where(np.arange(120) < 40, -1, toy_featureset.labels),
        toy_featureset.splits,
    )
    assert fs.indices("train").tolist() == list(range(40, 80))
    with pytest.raises(NoisyProbeError, match="split 'nope' has no samples"):
        fs.indices("nope")
    with pytest.raises(NoisyProbeError, match="unknown label column"):
        fs.indices("train", column="rnn")


def test_summary_counts(toy_featureset):
    summary = toy_featureset.summary()
    assert summary["splits"]["train"] == {"labels": 80, "weak": 80}
    assert summary["splits"]["test"]["labels"] == 30
