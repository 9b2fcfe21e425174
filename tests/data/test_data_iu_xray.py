"""iu-xray-reports on a small tgz of synthetic XML reports in the real layout."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

import noisyprobe.data as data
from noisyprobe.data._iu_parse import TASKS, agreement
from noisyprobe.errors import NoisyProbeError


def _xml(rid: int, findings: str, impression: str, major: list[str], auto: list[str]) -> bytes:
    mesh = "".join(f"<major>{m}</major>" for m in major)
    mesh += "".join(f"<automatic>{a}</automatic>" for a in auto)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><eCitation><IUXRId id="{rid}"/>'
        "<licenseURL>http://creativecommons.org/licenses/by-nc-nd/4.0/</licenseURL>"
        '<MedlineCitation><Article><Abstract><AbstractText Label="COMPARISON">None.'
        f'</AbstractText><AbstractText Label="FINDINGS">{findings}</AbstractText>'
        f'<AbstractText Label="IMPRESSION">{impression}</AbstractText></Abstract></Article>'
        f"</MedlineCitation><MeSH>{mesh}</MeSH></eCitation>"
    ).encode()


REPORTS = [
    (1, "Clear lungs.", "Normal chest.", ["normal"], []),
    (2, "Heart is enlarged.", "Cardiomegaly.", ["Cardiomegaly/mild"], ["Cardiomegaly"]),
    (3, "Large heart.", "Enlarged.", ["Cardiomegaly"], []),  # automatic missed it
    (4, "Small effusion.", "Effusion.", ["Pleural Effusion/left/small"], ["pleural effusions"]),
    (5, "No effusion.", "Normal.", ["normal"], []),
    (6, "Basilar opacity.", "Atelectasis.", ["Opacity/lung/base"], ["opacity", "atelectases"]),
    (7, "", "", ["normal"], []),  # no text: dropped
    (8, "Film.", "Limited.", ["No Indexing"], []),  # not coded: dropped
]


@pytest.fixture
def tgz(tmp_path):
    path = tmp_path / "NLMCXR_reports.tgz"
    with tarfile.open(path, "w:gz") as tf:
        for rid, *rest in REPORTS:
            blob = _xml(rid, *rest)
            info = tarfile.TarInfo(f"ecgen-radiology/{rid}.xml")
            info.size = len(blob)
            tf.addfile(info, io.BytesIO(blob))
    return path


def test_registered():
    assert "iu-xray-reports" in data.available()


def test_normal_task_labels_and_text(tgz):
    ds = data.get("iu-xray-reports", path=tgz)
    assert ds.ids.tolist() == ["CXR1", "CXR2", "CXR3", "CXR4", "CXR5", "CXR6"]
    assert ds.classes == ["normal", "abnormal"]
    assert ds.items[1] == "Heart is enlarged. Cardiomegaly."
    assert ds.labels.tolist() == [0, 1, 1, 1, 0, 1]
    assert ds.extra_labels["automatic"].tolist() == [0, 1, 0, 1, 0, 1]
    assert set(ds.splits.tolist()) <= {"train", "val", "test"}


def test_finding_tasks(tgz):
    ds = data.get("iu-xray-reports", path=tgz, task="cardiomegaly")
    assert ds.classes == ["absent", "present"]
    assert ds.labels.tolist() == [0, 1, 1, 0, 0, 0]
    assert ds.extra_labels["automatic"].tolist() == [0, 1, 0, 0, 0, 0]
    assert ds.extra_labels["human_effusion"].tolist() == [0, 0, 0, 1, 0, 0]
    assert ds.extra_labels["automatic_atelectasis"].tolist() == [0, 0, 0, 0, 0, 1]
    assert ds.extra_labels["human_atelectasis"].tolist() == [0] * 6
    assert {f"human_{t}" for t in TASKS} <= set(ds.extra_labels)


def test_measured_noise_matches_sklearn_confusion(tgz):
    from sklearn.metrics import confusion_matrix

    ds = data.get("iu-xray-reports", path=tgz, task="cardiomegaly")
    noise = ds.metadata["noise"]["cardiomegaly"]
    ref = confusion_matrix(ds.labels, ds.extra_labels["automatic"], labels=[0, 1])
    assert noise["counts"] == ref.tolist()
    np.testing.assert_allclose(noise["transition"], ref / ref.sum(axis=1, keepdims=True))
    assert noise["rate"] == pytest.approx(1 / 6)


def test_agreement_limit_cases():
    same = agreement(np.array([0, 1, 1]), np.array([0, 1, 1]))
    assert same["rate"] == 0.0 and same["transition"] == [[1.0, 0.0], [0.0, 1.0]]
    empty_row = agreement(np.array([0, 0]), np.array([1, 1]))
    assert empty_row["transition"] == [[0.0, 1.0], [0.0, 0.0]]


def test_split_is_seeded_and_by_report(tgz):
    a = data.get("iu-xray-reports", path=tgz, seed=3)
    b = data.get("iu-xray-reports", path=tgz, seed=3, task="effusion", all_tasks=False)
    assert a.splits.tolist() == b.splits.tolist()
    assert set(b.extra_labels) == {"automatic"}


def test_bad_options(tgz, tmp_path):
    with pytest.raises(NoisyProbeError, match="task"):
        data.get("iu-xray-reports", path=tgz, task="fracture-of-everything")
    with pytest.raises(NoisyProbeError, match="all_tasks"):
        data.get("iu-xray-reports", path=tgz, all_tasks="maybe")
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"not a tar")
    with pytest.raises(NoisyProbeError, match="cannot read"):
        data.get("iu-xray-reports", path=bad)


def test_describe_counts(tgz):
    info = data.describe("iu-xray-reports", path=tgz)
    assert "automatic" in info["columns"]
    assert sum(sum(v) for v in info["counts"]["labels"].values()) == 6


@pytest.mark.slow
def test_real_reports():
    real = Path.home() / ".cache" / "noisyprobe" / "torchxrayvision" / "NLMCXR_reports.tgz"
    if not real.is_file():
        pytest.skip("the real tgz is not cached (noisyprobe datasets fetch iu-xray-reports)")
    ds = data.get("iu-xray-reports", path=real)
    assert len(ds) == 3832
    assert 0.05 < ds.metadata["noise"]["normal"]["rate"] < 0.12
