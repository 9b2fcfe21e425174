import hashlib

import numpy as np
import pytest

from noisyprobe.backbones.base import Backbone
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.extract import extract, select_samples
from noisyprobe.features.store import FeatureSet


class HashBackbone(Backbone):
    """Deterministic, batch-independent toy text encoder; can fail after some calls."""

    name = "hash"
    modality = "text"
    dim = 8
    fingerprint = "0123456789abcdef"
    preprocessing = {"kind": "sha256"}

    def __init__(self, fail_after: int | None = None, nan_for: str | None = None) -> None:
        self.calls = 0
        self.fail_after = fail_after
        self.nan_for = nan_for

    def encode(self, batch):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt("simulated kill")
        rows = []
        for text in batch:
            digest = hashlib.sha256(text.encode()).digest()[: self.dim]
            row = np.frombuffer(digest, dtype=np.uint8).astype(np.float32) / 255
            if text == self.nan_for:
                row = row * np.nan
            rows.append(row)
        return np.stack(rows)

    def sort_key(self, item):
        return len(item)


def make_dataset(n=50):
    texts = [("word " * (i % 7 + 1)) + str(i) for i in range(n)]
    return Dataset(
        name="toy-text",
        modality="text",
        classes=["x", "y"],
        items=texts,
        labels=np.arange(n) % 2,
        splits=np.where(np.arange(n) < 40, "train", "test"),
        ids=[f"s{i}" for i in range(n)],
        extra_labels={"weak": (np.arange(n) + 1) % 2},
        metadata={"source": "test"},
    )


def test_extract_writes_featureset_in_dataset_order(tmp_path):
    ds = make_dataset()
    fs = extract(ds, HashBackbone(), tmp_path / "fs", batch_size=4, chunk_size=16, progress=False)
    expected = HashBackbone().encode(list(ds.items))
    np.testing.assert_array_equal(fs.features, expected)
    assert fs.metadata["backbone_id"] == "hash@0123456789abcdef"
    assert fs.extra_labels["weak"].tolist() == ds.extra_labels["weak"].tolist()
    assert not (tmp_path / "fs.partial").exists()


def test_interrupted_extraction_resumes_to_identical_arrays(tmp_path):
    ds = make_dataset()
    reference = extract(
        ds, HashBackbone(), tmp_path / "ref", batch_size=4, chunk_size=16, progress=False
    )
    with pytest.raises(KeyboardInterrupt):
        extract(
            ds,
            HashBackbone(fail_after=6),
            tmp_path / "fs",
            batch_size=4,
            chunk_size=16,
            progress=False,
        )
    assert not (tmp_path / "fs").exists()
    chunks = sorted((tmp_path / "fs.partial").glob("chunk_*.npy"))
    assert len(chunks) == 1  # 16 samples = 4 batches done; the second chunk died mid-way
    resumed = HashBackbone()
    fs = extract(ds, resumed, tmp_path / "fs", batch_size=4, chunk_size=16, progress=False)
    assert resumed.calls == 34 // 4 + 1  # only the 34 remaining samples were encoded
    np.testing.assert_array_equal(fs.features, reference.features)


def test_matching_cache_is_a_hit_and_mismatch_is_refused(tmp_path):
    ds = make_dataset()
    extract(ds, HashBackbone(), tmp_path / "fs", progress=False)
    again = HashBackbone()
    extract(ds, again, tmp_path / "fs", progress=False)
    assert again.calls == 0
    other = select_samples(ds, splits=["test"])
    with pytest.raises(NoisyProbeError, match="different dataset"):
        extract(other, HashBackbone(), tmp_path / "fs", progress=False)
    fs = extract(other, HashBackbone(), tmp_path / "fs", progress=False, force=True)
    assert len(fs) == 10


def test_corrupt_cache_refused_then_rebuilt_with_force(tmp_path):
    ds = make_dataset()
    extract(ds, HashBackbone(), tmp_path / "fs", progress=False)
    feats = tmp_path / "fs" / "features.npy"
    raw = bytearray(feats.read_bytes())
    raw[-3] ^= 0xFF
    feats.write_bytes(bytes(raw))
    with pytest.raises(NoisyProbeError, match="sha256"):
        extract(ds, HashBackbone(), tmp_path / "fs", progress=False)
    fs = extract(ds, HashBackbone(), tmp_path / "fs", progress=False, force=True)
    FeatureSet.load(tmp_path / "fs")  # verifies hashes
    assert len(fs) == 50


def test_nan_features_are_refused_and_nothing_is_written(tmp_path):
    ds = make_dataset()
    with pytest.raises(NoisyProbeError, match="NaN/Inf features for sample 's7'"):
        extract(ds, HashBackbone(nan_for=ds.items[7]), tmp_path / "fs", progress=False)
    assert not (tmp_path / "fs").exists()


def test_modality_mismatch_and_bad_selection(tmp_path):
    ds = make_dataset()
    ds.modality = "image"
    with pytest.raises(NoisyProbeError, match="encodes text"):
        extract(ds, HashBackbone(), tmp_path / "fs", progress=False)
    with pytest.raises(NoisyProbeError, match="not in dataset"):
        select_samples(make_dataset(), splits=["val"])
    with pytest.raises(NoisyProbeError, match="positive"):
        select_samples(make_dataset(), limit=0)
    assert len(select_samples(make_dataset(), splits=["train"], limit=5)) == 5


def test_cache_hit_does_not_depend_on_string_dtype_width(tmp_path):
    """A dataset re-read from a cache may hold its ids as <U60 instead of <U66: same key."""
    from dataclasses import replace

    ds = make_dataset()
    first = extract(ds, HashBackbone(), tmp_path / "fs", progress=False)
    wide = replace(ds, ids=np.asarray(ds.ids, dtype="<U80"), splits=ds.splits.astype("<U9"))
    backbone = HashBackbone()
    again = extract(wide, backbone, tmp_path / "fs", progress=False)
    assert backbone.calls == 0
    np.testing.assert_array_equal(first.features, again.features)


def test_force_never_deletes_a_folder_that_is_not_a_featureset(tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "thesis.tex").write_text("years of work")
    with pytest.raises(NoisyProbeError, match="not a FeatureSet"):
        extract(make_dataset(), HashBackbone(), user, progress=False, force=True)
    assert (user / "thesis.tex").read_text() == "years of work"
    # a user's file named like the partial folder is not touched either
    (tmp_path / "fs.partial").mkdir()
    (tmp_path / "fs.partial" / "notes.txt").write_text("x")
    with pytest.raises(NoisyProbeError, match="not a FeatureSet"):
        extract(make_dataset(), HashBackbone(), tmp_path / "fs", progress=False, force=True)
    assert (tmp_path / "fs.partial" / "notes.txt").exists()
    # an existing, empty folder is fine, and a real FeatureSet can be rebuilt
    (tmp_path / "empty").mkdir()
    extract(make_dataset(), HashBackbone(), tmp_path / "empty", progress=False)
    extract(make_dataset(), HashBackbone(), tmp_path / "empty", progress=False, force=True)


def test_bad_sample_leaves_no_partial_folder(tmp_path):
    ds = make_dataset()
    with pytest.raises(NoisyProbeError):
        extract(
            ds, HashBackbone(nan_for=ds.items[45]), tmp_path / "fs", chunk_size=10, progress=False
        )
    assert not (tmp_path / "fs.partial").exists()
    assert not (tmp_path / "fs").exists()


class _BadItem(list):
    """Texts whose sample 45 cannot be read, like a corrupt image file."""

    def __getitem__(self, i):
        if i == 45:
            raise NoisyProbeError("bad.png: cannot decode image")
        return super().__getitem__(i)


def test_unreadable_sample_leaves_no_partial_folder(tmp_path):
    ds = make_dataset()
    bad = Dataset(
        name=ds.name,
        modality="text",
        classes=ds.classes,
        items=_BadItem(ds.items),
        labels=ds.labels,
        splits=ds.splits,
        ids=ds.ids,
        metadata={"source": "test"},
    )
    with pytest.raises(NoisyProbeError, match="cannot decode"):
        extract(bad, HashBackbone(), tmp_path / "fs", chunk_size=10, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
