"""IDX reader/writer and the fashion-mnist loader, on files the tests write (and the real ones)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from noisyprobe import data
from noisyprobe.data.fashion_mnist import DEFAULT_DIR
from noisyprobe.data.idx import read_idx, write_idx
from noisyprobe.errors import NoisyProbeError


def _idx_bytes(code: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    """An IDX file built by hand from the format description (independent of write_idx)."""
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload


def test_read_hand_built_uint8_and_big_endian_int32(tmp_path):
    f = tmp_path / "labels-idx1-ubyte"
    f.write_bytes(_idx_bytes(0x08, (4,), bytes([3, 1, 4, 1])))
    assert read_idx(f).tolist() == [3, 1, 4, 1]
    g = tmp_path / "ints.gz"
    g.write_bytes(gzip.compress(_idx_bytes(0x0C, (2, 2), struct.pack(">4i", 1, -2, 70000, 4))))
    arr = read_idx(g)
    assert arr.tolist() == [[1, -2], [70000, 4]]
    assert arr.dtype == np.dtype("int32") and arr.dtype.isnative


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_read_round_trip(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=(3, 5, 2)) * 50).astype(dtype)
    f = tmp_path / f"a-idx3{suffix}"
    write_idx(f, arr)
    back = read_idx(f)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)
    assert (f.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")


def test_writer_matches_hand_built_bytes(tmp_path):
    f = tmp_path / "x"
    write_idx(f, np.array([[1, 2, 3]], dtype=np.int16))
    assert f.read_bytes() == _idx_bytes(0x0B, (1, 3), struct.pack(">3h", 1, 2, 3))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not an IDX file"),
        (b"\x08\x03\x00\x00rest", "not an IDX file"),
        (_idx_bytes(0x07, (1,), b"\x00"), "unknown IDX type code 0x07"),
        (_idx_bytes(0x08, (2, 3), b"\x00" * 5), "truncated or corrupt"),
        (_idx_bytes(0x08, (2,), b"\x00" * 3), "truncated or corrupt"),
        (b"\x00\x00\x08\x02\x00\x00", "truncated IDX header"),
    ],
)
def test_bad_files_refused(tmp_path, content, message):
    f = tmp_path / "bad"
    f.write_bytes(content)
    with pytest.raises(NoisyProbeError, match=message):
        read_idx(f)


def test_truncated_gzip_refused(tmp_path):
    f = tmp_path / "bad.gz"
    f.write_bytes(gzip.compress(_idx_bytes(0x08, (100,), bytes(100)))[:-12])
    with pytest.raises(NoisyProbeError, match="cannot read"):
        read_idx(f)


def _write_fake_fashion(folder: Path, n_train: int = 50, n_test: int = 20, gz: bool = True):
    rng = np.random.default_rng(1)
    sfx = ".gz" if gz else ""
    train_y = np.arange(n_train, dtype=np.uint8) % 10
    test_y = np.arange(n_test, dtype=np.uint8) % 10
    train_x = rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8)
    test_x = rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8)
    write_idx(folder / f"train-images-idx3-ubyte{sfx}", train_x)
    write_idx(folder / f"train-labels-idx1-ubyte{sfx}", train_y)
    write_idx(folder / f"t10k-images-idx3-ubyte{sfx}", test_x)
    write_idx(folder / f"t10k-labels-idx1-ubyte{sfx}", test_y)
    return train_x, train_y, test_x, test_y


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_written_files(tmp_path, gz):
    train_x, train_y, test_x, test_y = _write_fake_fashion(tmp_path, gz=gz)
    ds = data.get("fashion-mnist", path=tmp_path, val_fraction=0.2, seed=3)
    assert len(ds) == 70 and ds.modality == "image" and len(ds.classes) == 10
    np.testing.assert_array_equal(ds.labels, np.concatenate([train_y, test_y]))
    assert ds.items[0].dtype == np.uint8 and ds.items[0].shape == (28, 28)
    np.testing.assert_array_equal(ds.items[50], test_x[0])
    np.testing.assert_array_equal(ds.items[7], train_x[7])
    assert (ds.splits[50:] == "test").all()
    # val carved out of train only, stratified: 5 per class x 10 classes, 20% -> 1 per class
    val = ds.splits == "val"
    assert val.sum() == 10 and np.bincount(ds.labels[val], minlength=10).tolist() == [1] * 10
    again = data.get("fashion-mnist", path=tmp_path, val_fraction=0.2, seed=3)
    np.testing.assert_array_equal(ds.splits, again.splits)
    other = data.get("fashion-mnist", path=tmp_path, val_fraction=0.2, seed=4)
    assert not np.array_equal(ds.splits, other.splits)
    assert ds.ids[0] == "train-00000" and ds.ids[50] == "test-00000"


def test_fashion_mnist_missing_or_inconsistent_files(tmp_path):
    _write_fake_fashion(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(NoisyProbeError, match="missing t10k-labels-idx1-ubyte"):
        data.get("fashion-mnist", path=tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(NoisyProbeError, match="5 labels for 20 images"):
        data.get("fashion-mnist", path=tmp_path)
    with pytest.raises(NoisyProbeError, match="val_fraction"):
        data.get("fashion-mnist", path=tmp_path, val_fraction=1.5)


@pytest.mark.skipif(not DEFAULT_DIR.is_dir(), reason="Debian dataset-fashion-mnist not installed")
def test_real_fashion_mnist_files():
    ds = data.get("fashion-mnist")
    assert len(ds) == 70_000
    counts = {s: int((ds.splits == s).sum()) for s in ("train", "val", "test")}
    assert counts == {"train": 54_000, "val": 6_000, "test": 10_000}
    # the first training labels of Fashion-MNIST: Ankle boot, T-shirt, T-shirt, Dress, ...
    assert ds.labels[:6].tolist() == [9, 0, 0, 3, 0, 2]
    assert np.bincount(ds.labels).tolist() == [7000] * 10
    assert ds.items[0].shape == (28, 28) and ds.items[0].dtype == np.uint8
    assert data.fetch("fashion-mnist") == DEFAULT_DIR
