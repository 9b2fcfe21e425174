"""``hf:<dir>`` against the transformers models themselves, and its refusals."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from backbone_samples import TEXTS, images, save_tiny_bert, save_tiny_vision

import noisyprobe.backbones as backbones
from noisyprobe.errors import NoisyProbeError


def _hf(path, **options):
    options.setdefault("num_threads", 1)  # see conftest.shared_backbone
    return backbones.get(f"hf:{path}", **options)


def _reference_text(path, texts, pooling):
    """Features computed directly with transformers: one text at a time, no padding."""
    import transformers

    tok = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            enc = tok(
                text,
                truncation=True,
                max_length=model.config.max_position_embeddings,
                return_tensors="pt",
            )
            hidden = model(**enc).last_hidden_state[0]
            rows.append(hidden[0] if pooling == "cls" else hidden.mean(0))
    return torch.stack(rows).numpy()


@pytest.mark.parametrize("engine", ["fast", "transformers"])
@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_bert_matches_transformers(tiny_model_dirs, engine, pooling):
    path = tiny_model_dirs["tiny-bert"]
    bb = _hf(path, pooling=pooling, engine=engine)
    assert (bb.modality, bb.dim, bb.max_length) == ("text", 32, 64)
    np.testing.assert_allclose(
        bb.encode(TEXTS), _reference_text(path, TEXTS, pooling), rtol=0, atol=2e-5
    )


def test_bert_normalize_and_truncation(tiny_model_dirs):
    path = tiny_model_dirs["tiny-bert"]
    feats = _hf(path, normalize="true").encode(TEXTS[:3])
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 1.0, rtol=1e-5)
    short = _hf(path, max_length=4)
    # only the first 2 word pieces survive, so a longer text with the same start is identical
    a, b = short.encode(["derrame pleural normal", "derrame pleural sin hallazg"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_fingerprint_changes_with_weights_not_with_format(tmp_path):
    a = _hf(save_tiny_bert(tmp_path / "a", seed=0))
    b = _hf(save_tiny_bert(tmp_path / "b", seed=1))
    c = _hf(save_tiny_bert(tmp_path / "c", seed=0, safe_serialization=False))
    assert list((tmp_path / "c").glob("*.bin")) and not list((tmp_path / "c").glob("*.safetensors"))
    assert a.fingerprint != b.fingerprint
    assert a.fingerprint == c.fingerprint  # same tensors, other file format
    np.testing.assert_allclose(a.encode(TEXTS), c.encode(TEXTS), atol=1e-6)
    assert a.id.startswith(f"hf:{(tmp_path / 'a').resolve()}@")


def test_vision_fingerprint_changes_with_weights(tmp_path):
    a = _hf(save_tiny_vision("vit", tmp_path / "a", seed=0))
    b = _hf(save_tiny_vision("vit", tmp_path / "b", seed=1))
    assert a.fingerprint != b.fingerprint and a.id != b.id


@pytest.mark.parametrize("kind", ["tiny-vit", "tiny-dinov2", "tiny-clip", "tiny-clip-vision"])
def test_image_preprocessing_matches_hf_image_processor(tiny_model_dirs, kind):
    """Our torch resize/crop/normalise agrees with the saved (PIL) HF image processor."""
    import transformers

    path = tiny_model_dirs[kind]
    processor = transformers.AutoImageProcessor.from_pretrained(str(path), local_files_only=True)
    bb = _hf(path)
    from noisyprobe.backbones._image import preprocess_images

    for img in images():
        ours = preprocess_images([img], backbone="t", **bb.image)
        rgb = np.repeat(img[:, :, None], 3, 2) if img.ndim == 2 else img
        rgb = np.repeat(rgb, 3, 2) if rgb.shape[2] == 1 else rgb
        ref = processor(images=[rgb], return_tensors="pt")["pixel_values"]
        assert ours.shape == ref.shape
        # within one grey level of Pillow's resize, after normalisation
        level = 1.0 / min(bb.image["std"])
        assert (ours - ref).abs().max() <= 1.001 * level
        assert (ours - ref).abs().mean() < 0.35 * level


def _pixel_features(path, pixel_values, pooling):
    import transformers

    model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    vision = getattr(model, "vision_model", model)
    with torch.no_grad():
        out = vision(pixel_values=pixel_values)
    if pooling == "pooler":
        return out.pooler_output.numpy()
    if pooling == "cls":
        return out.last_hidden_state[:, 0].numpy()
    return out.last_hidden_state[:, 1:].mean(1).numpy()  # 16 patches after one CLS token


@pytest.mark.parametrize(
    ("kind", "pooling"),
    [
        ("tiny-vit", "cls"),
        ("tiny-dinov2", "cls"),
        ("tiny-dinov2", "mean"),
        ("tiny-dinov2", "pooler"),
        ("tiny-clip", "pooler"),
        ("tiny-clip-vision", "pooler"),
        ("tiny-clip", "cls"),
    ],
)
def test_vision_pooling_matches_transformers(tiny_model_dirs, kind, pooling):
    path = tiny_model_dirs[kind]
    bb = _hf(path, pooling=pooling)
    from noisyprobe.backbones._image import preprocess_images

    imgs = images()
    pixels = preprocess_images(imgs, backbone="t", **bb.image)
    np.testing.assert_allclose(
        bb.encode(imgs), _pixel_features(path, pixels, pooling), rtol=0, atol=1e-5
    )


def test_default_poolings(tiny_model_dirs):
    assert _hf(tiny_model_dirs["tiny-vit"]).pooling == "cls"
    assert _hf(tiny_model_dirs["tiny-dinov2"]).pooling == "cls"
    assert _hf(tiny_model_dirs["tiny-clip"]).pooling == "pooler"
    assert _hf(tiny_model_dirs["tiny-bert"]).pooling == "mean"


def test_clip_checkpoint_uses_its_vision_tower(tiny_model_dirs):
    full, tower = _hf(tiny_model_dirs["tiny-clip"]), _hf(tiny_model_dirs["tiny-clip-vision"])
    assert full.modality == tower.modality == "image"
    assert full.dim == tower.dim == 32


def test_image_size_option_resizes_and_interpolates(tiny_model_dirs):
    bb = _hf(tiny_model_dirs["tiny-dinov2"], image_size=48)
    assert bb.preprocessing["crop"] == [48, 48]
    feats = bb.encode(images())
    assert feats.shape == (5, 32) and np.isfinite(feats).all()


def test_refusals(tmp_path, tiny_model_dirs):
    with pytest.raises(NoisyProbeError, match="does not exist"):
        _hf(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoisyProbeError, match="no config.json"):
        _hf(tmp_path / "empty")
    bad = tmp_path / "noweights"
    shutil.copytree(tiny_model_dirs["tiny-vit"], bad)
    (bad / "model.safetensors").unlink()
    with pytest.raises(NoisyProbeError, match="no weights"):
        _hf(bad)
    noproc = tmp_path / "noproc"
    shutil.copytree(tiny_model_dirs["tiny-vit"], noproc)
    (noproc / "preprocessor_config.json").unlink()
    with pytest.raises(NoisyProbeError, match="preprocessor_config.json"):
        _hf(noproc)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(NoisyProbeError, match="unreadable"):
        _hf(broken)
    with pytest.raises(NoisyProbeError, match="pooling"):
        _hf(tiny_model_dirs["tiny-vit"], pooling="max")
    with pytest.raises(NoisyProbeError, match="has no option 'colour'"):
        _hf(tiny_model_dirs["tiny-vit"], colour="red")
    with pytest.raises(NoisyProbeError, match="not a directory"):
        _hf(tiny_model_dirs["tiny-vit"] / "config.json")


def test_config_without_model_type_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"hidden_size": 3}))
    with pytest.raises(NoisyProbeError, match="model_type"):
        _hf(tmp_path)
