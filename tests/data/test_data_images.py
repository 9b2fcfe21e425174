"""image-folder and csv-manifest on tiny PNGs the tests write (decoding, layout, path safety)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from noisyprobe import data
from noisyprobe.data._images import ConcatItems, load_image
from noisyprobe.errors import NoisyProbeError

Image = pytest.importorskip("PIL.Image")


def _png(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=mode).save(path)
    return array


def _gray(value, shape=(3, 4)):
    return np.full(shape, value, dtype=np.uint8)


def test_load_image_modes(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    rgb = np.arange(36, dtype=np.uint8).reshape(3, 4, 3) * 7
    _png(tmp_path / "g.png", gray)
    _png(tmp_path / "c.png", rgb)
    np.testing.assert_array_equal(load_image(tmp_path / "g.png"), gray)
    np.testing.assert_array_equal(load_image(tmp_path / "c.png"), rgb)
    rgba = np.dstack([rgb, np.full((3, 4), 255, np.uint8)])
    _png(tmp_path / "a.png", rgba)
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), rgb)
    deep = np.array([[0, 257, 65535]], dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "d.png")
    assert load_image(tmp_path / "d.png").tolist() == [[0, 1, 255]]
    (tmp_path / "broken.png").write_bytes(b"\x89PNG nope")
    with pytest.raises(NoisyProbeError, match="cannot read image"):
        load_image(tmp_path / "broken.png")


def test_image_folder_class_layout(tmp_path):
    for k in range(10):
        _png(tmp_path / "benign" / f"b{k}.png", _gray(k))
        _png(tmp_path / "malignant" / "sub" / f"m{k}.jpg", _gray(100 + k))
    (tmp_path / "benign" / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden").mkdir()
    ds = data.get("image-folder", path=tmp_path, fractions="0.6,0.2,0.2", seed=1)
    assert ds.classes == ["benign", "malignant"] and len(ds) == 20
    assert ds.ids[0] == "benign/b0.png" and ds.ids[10] == "malignant/sub/m0.jpg"
    np.testing.assert_array_equal(ds.items[3], _gray(3))
    for split, n in {"train": 6, "val": 2, "test": 2}.items():
        assert ds.class_counts(split=split).tolist() == [n, n]
    again = data.get("image-folder", path=tmp_path, fractions="0.6,0.2,0.2", seed=1)
    np.testing.assert_array_equal(ds.splits, again.splits)


def test_image_folder_split_layout(tmp_path):
    _png(tmp_path / "train" / "a" / "1.png", _gray(1))
    _png(tmp_path / "train" / "b" / "2.png", np.zeros((2, 2, 3), np.uint8))
    _png(tmp_path / "valid" / "a" / "3.png", _gray(3))
    _png(tmp_path / "test" / "c" / "4.png", _gray(4))
    ds = data.get("image-folder", path=tmp_path)
    assert ds.classes == ["a", "b", "c"]
    assert ds.splits.tolist() == ["test", "train", "train", "val"]
    assert ds.labels.tolist() == [2, 0, 1, 0]
    assert ds.items[2].shape == (2, 2, 3) and ds.items[0].shape == (3, 4)


def test_image_folder_errors(tmp_path):
    with pytest.raises(NoisyProbeError, match="no class folders"):
        data.get("image-folder", path=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoisyProbeError, match="holds no image files"):
        data.get("image-folder", path=tmp_path)
    with pytest.raises(NoisyProbeError, match="is not a directory"):
        data.get("image-folder", path=__file__)


def _manifest(tmp_path, rows, header="path,label"):
    f = tmp_path / "manifest.csv"
    f.write_text(header + "\n" + "\n".join(rows) + "\n")
    return f


def test_csv_manifest_names_and_splits(tmp_path):
    for k in range(4):
        _png(tmp_path / "img" / f"{k}.png", _gray(10 * k))
    f = _manifest(
        tmp_path,
        [
            "img/0.png,cyst,train",
            "img/1.png,tumor,train",
            "./img/2.png,cyst,validation",
            "img/3.png,tumor,test",
        ],
        header="file,diagnosis,fold",
    )
    ds = data.get(
        "csv-manifest", path=f, path_column="file", label_column="diagnosis", split_column="fold"
    )
    assert ds.classes == ["cyst", "tumor"] and ds.labels.tolist() == [0, 1, 0, 1]
    assert ds.splits.tolist() == ["train", "train", "val", "test"]
    assert ds.ids.tolist() == ["img/0.png", "img/1.png", "img/2.png", "img/3.png"]
    np.testing.assert_array_equal(ds.items[2], _gray(20))
    ordered = data.get(
        "csv-manifest",
        path=f,
        path_column="file",
        label_column="diagnosis",
        split_column="fold",
        classes=["tumor", "cyst"],
    )
    assert ordered.labels.tolist() == [1, 0, 1, 0]


def test_csv_manifest_integer_labels_and_drawn_split(tmp_path):
    rows = []
    for k in range(20):
        _png(tmp_path / f"{k}.png", _gray(k))
        rows.append(f"{tmp_path / f'{k}.png'},{k % 2}")  # absolute paths inside the root
    f = _manifest(tmp_path, rows)
    ds = data.get("csv-manifest", path=f, fractions=[0.5, 0.2, 0.3], seed=2)
    assert ds.classes == ["class_0", "class_1"]
    assert ds.class_counts(split="test").tolist() == [3, 3]
    named = data.get("csv-manifest", path=f, classes="neg,pos")
    assert named.classes == ["neg", "pos"] and named.labels.tolist() == ds.labels.tolist()


@pytest.mark.parametrize(
    "bad_path",
    ["../outside.png", "img/../../outside.png", "ABS", "link.png"],
)
def test_csv_manifest_refuses_escaping_paths(tmp_path, bad_path):
    root = tmp_path / "root"
    _png(root / "img" / "ok.png", _gray(1))
    _png(tmp_path / "outside.png", _gray(2))
    if bad_path == "ABS":
        bad_path = str(tmp_path / "outside.png")
    if bad_path == "link.png":
        os.symlink(tmp_path / "outside.png", root / "link.png")
    f = _manifest(root, ["img/ok.png,a", f"{bad_path},b"])
    with pytest.raises(NoisyProbeError, match=r"line 3: path .* escapes the root"):
        data.get("csv-manifest", path=f)


def test_csv_manifest_other_errors(tmp_path):
    _png(tmp_path / "a.png", _gray(1))
    with pytest.raises(NoisyProbeError, match="no column 'label'"):
        data.get("csv-manifest", path=_manifest(tmp_path, ["a.png,x"], header="path,y"))
    with pytest.raises(NoisyProbeError, match="line 2: file not found"):
        data.get("csv-manifest", path=_manifest(tmp_path, ["missing.png,x"]))
    with pytest.raises(NoisyProbeError, match="split 'holdout'"):
        data.get(
            "csv-manifest",
            path=_manifest(tmp_path, ["a.png,x,holdout"], header="path,label,split"),
            split_column="split",
        )
    with pytest.raises(NoisyProbeError, match="'z' is not one of classes"):
        data.get("csv-manifest", path=_manifest(tmp_path, ["a.png,z"]), classes="x,y")
    with pytest.raises(NoisyProbeError, match="no rows"):
        data.get("csv-manifest", path=_manifest(tmp_path, []))


def test_concat_items_indexing():
    items = ConcatItems([np.arange(3), np.arange(10, 12)])
    assert len(items) == 5 and items[3] == 10 and items[-1] == 11 and items[1:4] == [1, 2, 10]
    with pytest.raises(IndexError):
        items[5]


def test_image_folder_refuses_file_symlink_outside_root(tmp_path):
    root = tmp_path / "root"
    _png(root / "cat" / "a.png", _gray(1))
    _png(tmp_path / "secret" / "x.png", _gray(2))
    (root / "dog").mkdir()
    os.symlink(tmp_path / "secret" / "x.png", root / "dog" / "b.png")
    with pytest.raises(NoisyProbeError, match="outside the folder"):
        data.get("image-folder", path=root)
    # a symlink that stays inside the root is fine
    (root / "dog" / "b.png").unlink()
    os.symlink(root / "cat" / "a.png", root / "dog" / "b.png")
    assert len(data.get("image-folder", path=root)) == 2
