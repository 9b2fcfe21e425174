"""The protocol every backbone keeps: registered ones and tiny Hugging Face models."""

from __future__ import annotations

import re

import numpy as np
import pytest
from backbone_samples import TEXTS, TINY, images

import noisyprobe.backbones as backbones
from noisyprobe.backbones.base import Backbone

NAMES = [*backbones.available(), *TINY]


@pytest.fixture
def backbone(request, tiny_model_dirs, shared_backbone) -> Backbone:
    name = request.param
    if name in tiny_model_dirs:
        return shared_backbone(f"hf:{tiny_model_dirs[name]}")
    if name.startswith("efficientnet-lite"):
        return shared_backbone(name, image_size=64)  # small inputs keep the test fast
    if name == "mpnet" and not _mpnet_installed():
        pytest.skip("mpnet needs the noisyprobe[mpnet] wheels (about 440 MB)")
    return shared_backbone(name)


def _mpnet_installed() -> bool:
    import importlib.metadata

    from noisyprobe.backbones.mpnet import PARTS

    try:
        for part in PARTS:
            importlib.metadata.distribution(part)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def samples(bb: Backbone) -> list:
    return list(TEXTS) if bb.modality == "text" else images()


@pytest.mark.parametrize("backbone", NAMES, indirect=True)
def test_shape_dtype_finite(backbone):
    items = samples(backbone)
    feats = backbone.encode(items)
    assert isinstance(feats, np.ndarray)
    assert feats.shape == (len(items), backbone.dim)
    assert feats.dtype == np.float32
    assert np.isfinite(feats).all()
    assert backbone.modality in ("text", "image")
    # distinct inputs give distinct features (the encoder is not constant)
    assert np.abs(feats[0] - feats[1]).max() > 1e-4


@pytest.mark.parametrize("backbone", NAMES, indirect=True)
def test_empty_batch(backbone):
    feats = backbone.encode([])
    assert feats.shape == (0, backbone.dim) and feats.dtype == np.float32


@pytest.mark.parametrize("backbone", NAMES, indirect=True)
def test_deterministic(backbone):
    items = samples(backbone)
    np.testing.assert_array_equal(backbone.encode(items), backbone.encode(items))


@pytest.mark.parametrize("backbone", NAMES, indirect=True)
def test_batch_independence(backbone):
    items = samples(backbone)
    together = backbone.encode(items)
    alone = np.concatenate([backbone.encode([item]) for item in items])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-4)
    # order within the batch does not matter either
    reversed_ = backbone.encode(items[::-1])[::-1]
    np.testing.assert_allclose(together, reversed_, rtol=0, atol=1e-4)


@pytest.mark.parametrize("backbone", NAMES, indirect=True)
def test_id_names_weights(backbone):
    assert re.fullmatch(r".+@[0-9a-f]{16}", backbone.id)
    assert backbone.id == f"{backbone.name}@{backbone.fingerprint}"
    assert isinstance(backbone.preprocessing, dict) and backbone.preprocessing


@pytest.mark.parametrize("backbone", NAMES, indirect=True)
def test_wrong_modality_is_refused(backbone):
    from noisyprobe.errors import NoisyProbeError

    wrong = [np.zeros((8, 8), np.uint8)] if backbone.modality == "text" else ["a text"]
    with pytest.raises(NoisyProbeError):
        backbone.encode(wrong)
