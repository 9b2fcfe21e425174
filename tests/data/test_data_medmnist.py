"""MedMNIST .npz loader on small files the tests write."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe import data
from noisyprobe.errors import NoisyProbeError


def _write(path, *, shape=(4, 4), labels_shape=None, sizes=(6, 2, 3), drop=None, **override):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in zip(("train", "val", "test"), sizes):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
        y = (np.arange(n) % 3).reshape(n, 1)
        arrays[f"{split}_labels"] = y if labels_shape is None else np.zeros((n, *labels_shape))
    arrays.update(override)
    if drop:
        arrays.pop(drop)
    np.savez(path, **arrays)
    return arrays


def test_loads_grayscale_npz(tmp_path):
    f = tmp_path / "toymnist.npz"
    arrays = _write(f)
    ds = data.get("medmnist", path=f)
    assert len(ds) == 11 and ds.classes == ["class_0", "class_1", "class_2"]
    assert ds.splits.tolist() == ["train"] * 6 + ["val"] * 2 + ["test"] * 3
    assert ds.labels.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 2]
    np.testing.assert_array_equal(ds.items[6], arrays["val_images"][0])
    np.testing.assert_array_equal(ds.items[-1], arrays["test_images"][2])
    assert ds.items[0].dtype == np.uint8 and ds.ids[8] == "test-000000"
    sub = ds.subset([10, 0])
    np.testing.assert_array_equal(sub.items[0], arrays["test_images"][2])


def test_rgb_and_class_names(tmp_path):
    f = tmp_path / "rgb.npz"
    _write(f, shape=(5, 5, 3))
    ds = data.get("medmnist", path=f, classes="benign, malignant, other")
    assert ds.classes == ["benign", "malignant", "other"] and ds.items[0].shape == (5, 5, 3)
    info = data.describe("medmnist", path=f)
    assert info["counts"]["labels"]["train"] == [2, 2, 2]
    with pytest.raises(NoisyProbeError, match="2 names but"):
        data.get("medmnist", path=f, classes=["a", "b"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels_shape": (14,)}, "multi-label"),
        ({"drop": "val_labels"}, "missing val_labels"),
        ({"shape": (4, 4, 4)}, "3D volumes are not supported"),
        ({"train_images": np.zeros((6, 4, 4), np.float32)}, "must be uint8"),
        ({"test_labels": np.array([[0], [1]])}, "2 labels for 3 images"),
        ({"train_labels": -np.ones((6, 1), np.int64)}, "negative label"),
    ],
)
def test_bad_files_refused(tmp_path, kwargs, message):
    f = tmp_path / "bad.npz"
    _write(f, **kwargs)
    with pytest.raises(NoisyProbeError, match=message):
        data.get("medmnist", path=f)


def test_pickled_and_missing_files_refused(tmp_path):
    f = tmp_path / "obj.npz"
    _write(f, train_labels=np.array([[0], [1], None, [0], [1], [2]], dtype=object))
    with pytest.raises(NoisyProbeError, match="without pickle"):
        data.get("medmnist", path=f)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(NoisyProbeError, match="cannot read"):
        data.get("medmnist", path=tmp_path / "junk.npz")
    with pytest.raises(NoisyProbeError, match="path=/--path"):
        data.get("medmnist")
    with pytest.raises(NoisyProbeError, match="does not exist"):
        data.get("medmnist", path=tmp_path / "nope.npz")
