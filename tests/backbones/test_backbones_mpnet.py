"""``mpnet``: the split-wheel archive joins into the model folder; equals SentenceTransformer."""

from __future__ import annotations

import importlib.metadata
import zipfile

import numpy as np
import pytest
from backbone_samples import TEXTS

import noisyprobe.backbones.mpnet as mpnet
from noisyprobe.errors import MissingExtraError, NoisyProbeError


def _split_archive(tmp_path, pieces=3):
    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("all-mpnet-base-v2/model.safetensors", b"w" * 5000)
        zf.writestr("all-mpnet-base-v2/1_Pooling/config.json", b"{}")
        zf.writestr("all-mpnet-base-v2/desktop.ini", b"junk")
    blob = archive.read_bytes()
    cuts = np.linspace(0, len(blob), pieces + 1).astype(int)
    parts = []
    for i in range(pieces):
        part = tmp_path / f"all-mpnet-base-v2.zip.{i + 1:03d}"
        part.write_bytes(blob[cuts[i] : cuts[i + 1]])
        parts.append(part)
    return parts


def test_join_parts_rebuilds_the_folder(tmp_path):
    dest = mpnet.join_parts(_split_archive(tmp_path), tmp_path / "out" / "model")
    assert (dest / "model.safetensors").read_bytes() == b"w" * 5000
    assert (dest / "1_Pooling" / "config.json").read_text() == "{}"
    assert not (dest / "desktop.ini").exists()


def test_join_parts_refuses_a_missing_piece(tmp_path):
    parts = _split_archive(tmp_path)
    with pytest.raises(NoisyProbeError, match="cannot unpack"):
        mpnet.join_parts(parts[:2], tmp_path / "out" / "model")
    assert not (tmp_path / "out" / "model").exists()


def test_missing_wheel_names_the_extra(monkeypatch):
    monkeypatch.setattr(mpnet, "PARTS", ("noisyprobe-no-such-part-001",))
    with pytest.raises(MissingExtraError, match=r"noisyprobe\[mpnet\]"):
        mpnet.part_files()


def _installed() -> bool:
    try:
        for part in mpnet.PARTS:
            importlib.metadata.distribution(part)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.slow  # a 440 MB model, loaded twice
@pytest.mark.skipif(not _installed(), reason="needs noisyprobe[mpnet]")
def test_equals_sentence_transformers(shared_backbone):
    from sentence_transformers import SentenceTransformer

    bb = shared_backbone("mpnet")
    texts = [*TEXTS, "", "pleural effusion " * 400]  # empty and truncated inputs too
    ours = bb.encode(texts)
    ref = SentenceTransformer(str(bb.path), device="cpu").encode(texts, convert_to_numpy=True)
    cos = (ours * ref).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1)
    assert ours.shape == (len(texts), 768) and cos.min() >= 0.9999


def test_model_dir_joins_once_into_the_model_cache(tmp_path, monkeypatch):
    parts = _split_archive(tmp_path)
    monkeypatch.setattr(mpnet, "part_files", lambda: parts)
    monkeypatch.setenv("NOISYPROBE_MODEL_CACHE", str(tmp_path / "models"))
    built = mpnet.model_dir()
    assert built.parent == tmp_path / "models" and built.name.startswith("all-mpnet-base-v2-")
    assert (built / "model.safetensors").is_file()
    (built / "config.json").write_text("{}")  # the real archive has one

    def must_not_join(*args):
        raise AssertionError("joined again")

    monkeypatch.setattr(mpnet, "join_parts", must_not_join)
    assert mpnet.model_dir() == built
