"""Registry, options, light import, fingerprints and the shared text/image helpers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import noisyprobe.backbones as backbones
from noisyprobe.backbones import _weights
from noisyprobe.backbones._image import center_crop, preprocess_images, resize_output_size
from noisyprobe.backbones._runtime import torch_threads
from noisyprobe.backbones._text import as_texts, encode_texts, pool
from noisyprobe.backbones.base import fingerprint_state_dict
from noisyprobe.errors import NoisyProbeError


def test_available_lists_registered_names():
    assert backbones.available() == [
        "efficientnet-lite0",
        "efficientnet-lite1",
        "efficientnet-lite2",
        "minilm",
        "mpnet",
    ]


def test_import_is_light():
    code = (
        "import sys, noisyprobe, noisyprobe.backbones as b; b.available(); "
        "heavy = [m for m in ('transformers', 'sentence_transformers', 'PIL', "
        "'efficientnet_lite_pytorch', 'torch') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        (
            "nope",
            {},
            "unknown backbone 'nope'; expected one of: efficientnet-lite0, efficientnet-lite1",
        ),
        ("minilm", {"pooling": "cls"}, "has no option 'pooling'"),
        ("minilm", {"batch_size": 0}, "batch_size: expected an integer >= 1"),
        ("minilm", {"engine": "onnx"}, "engine: expected one of"),
        ("efficientnet-lite0", {"normalization": "x"}, "normalization: expected one of"),
        ("efficientnet-lite0", {"image_size": "big"}, "image_size: expected an integer"),
        ("hf:", {}, "needs a model directory"),
        (42, {}, "must be a string"),
    ],
)
def test_bad_names_and_options(name, options, message):
    with pytest.raises(NoisyProbeError, match=message):
        backbones.get(name, **options)


def test_string_options_from_the_cli_are_parsed():
    bb = backbones.get("efficientnet-lite0", image_size="96", batch_size="4")
    assert bb.image_size == 96 and bb.batch_size == 4
    assert bb.preprocessing["image_size"] == 96


def test_fingerprint_state_dict_reacts_to_values_names_and_shapes():
    base = {"a": torch.zeros(2, 3), "b": torch.ones(1)}
    fp = fingerprint_state_dict(base)
    assert re_hex(fp)
    assert fp == fingerprint_state_dict({"b": torch.ones(1), "a": torch.zeros(2, 3)})  # order-free
    assert fp != fingerprint_state_dict({**base, "b": torch.full((1,), 1.0 + 1e-7)})
    assert fp != fingerprint_state_dict({"a2": torch.zeros(2, 3), "b": torch.ones(1)})
    assert fp != fingerprint_state_dict({"a": torch.zeros(3, 2), "b": torch.ones(1)})
    assert re_hex(fingerprint_state_dict({"w": torch.ones(2, dtype=torch.bfloat16)}))


def re_hex(text: str) -> bool:
    return len(text) == 16 and all(c in "0123456789abcdef" for c in text)


def test_fingerprint_files_memo_follows_file_changes(tmp_path, monkeypatch):
    f = tmp_path / "w.pt"
    torch.save({"w": torch.zeros(3)}, f)
    first = _weights.fingerprint_files([f])
    assert first == fingerprint_state_dict({"w": torch.zeros(3)})
    # a second process (fresh in-memory memo) reads it from the disk memo without loading
    monkeypatch.setattr(_weights, "_MEMO", {})
    monkeypatch.setattr(_weights, "load_state_dict", lambda p: pytest.fail("recomputed"))
    assert _weights.fingerprint_files([f]) == first
    monkeypatch.undo()
    torch.save({"w": torch.ones(4)}, f)  # new size, new mtime: a new key
    assert _weights.fingerprint_files([f]) == fingerprint_state_dict({"w": torch.ones(4)})


def test_fingerprint_files_refuses_missing_and_corrupt(tmp_path):
    with pytest.raises(NoisyProbeError, match="cannot read weights"):
        _weights.fingerprint_files([tmp_path / "missing.safetensors"])
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(NoisyProbeError, match="cannot read weights"):
        _weights.fingerprint_files([bad])


def test_pool_against_hand_computed_values():
    hidden = torch.tensor(
        [[[1.0, 2.0], [3.0, -4.0], [50.0, 60.0]], [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]]
    )
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(hidden, mask, "mean").tolist() == [[2.0, -1.0], [2.0, 3.0]]
    assert pool(hidden, mask, "cls").tolist() == [[1.0, 2.0], [0.0, 1.0]]
    assert pool(hidden, mask, "max").tolist() == [[3.0, 2.0], [4.0, 5.0]]
    with pytest.raises(NoisyProbeError):
        pool(hidden, mask, "median")


class _CharTokenizer:
    """One id per character plus CLS/SEP; records the max_length it was given."""

    pad_token_id = 0

    def __call__(self, texts, truncation, max_length):
        assert truncation
        ids = [[1] + [ord(c) % 50 + 3 for c in t][: max_length - 2] + [2] for t in texts]
        return {"input_ids": ids}


def test_encode_texts_sorts_pads_and_restores_order():
    calls = []

    def forward(ids, mask):
        calls.append(tuple(ids.shape))
        return torch.stack([ids.float(), mask.float()], dim=-1)

    texts = ["a", "abcdef", "", "abc", "abcdefghij"]
    out = encode_texts(
        texts,
        tokenizer=_CharTokenizer(),
        forward=forward,
        max_length=8,
        pooling="mean",
        normalize=False,
        batch_size=2,
        dim=2,
    )
    # batches of 2 in decreasing token length, each padded only to its own longest text
    assert calls == [(2, 8), (2, 5), (1, 2)]
    for text, row in zip(texts, out):
        ids = _CharTokenizer()([text], True, 8)["input_ids"][0]
        assert row.tolist() == pytest.approx([np.mean(ids), 1.0])
    normed = encode_texts(
        texts,
        tokenizer=_CharTokenizer(),
        forward=forward,
        max_length=8,
        pooling="mean",
        normalize=True,
        batch_size=2,
        dim=2,
    )
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0, rtol=1e-6)


def test_as_texts_refuses_non_strings():
    assert as_texts(["a"], "x") == ["a"]
    with pytest.raises(NoisyProbeError, match="item 1 is int"):
        as_texts(["a", 3], "x")
    with pytest.raises(NoisyProbeError, match="one str"):
        as_texts("abc", "x")


def test_image_preprocessing_against_closed_forms():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    x = preprocess_images([gray], backbone="x", mean=(10.0, 20.0, 30.0), std=(2.0, 4.0, 8.0))
    expected = (gray[None].astype(np.float32) - np.array([10, 20, 30])[:, None, None]) / np.array(
        [2, 4, 8]
    )[:, None, None]
    np.testing.assert_allclose(x[0].numpy(), expected, rtol=1e-6)  # no resize: exact
    # constant images stay constant through an antialiased resize
    flat = preprocess_images(
        [np.full((9, 13, 3), 77, np.uint8)],
        backbone="x",
        size=(5, 5),
        mean=(0.0,) * 3,
        std=(1.0,) * 3,
    )
    np.testing.assert_allclose(flat.numpy(), 77.0, rtol=1e-6)
    # [H, W], [H, W, 1] and the 3-channel repeat are the same image
    a = preprocess_images([gray], backbone="x", size=(6, 6), mean=(0.0,) * 3, std=(1.0,) * 3)
    b = preprocess_images(
        [gray[:, :, None]], backbone="x", size=(6, 6), mean=(0.0,) * 3, std=(1.0,) * 3
    )
    c = preprocess_images(
        [np.repeat(gray[:, :, None], 3, 2)],
        backbone="x",
        size=(6, 6),
        mean=(0.0,) * 3,
        std=(1.0,) * 3,
    )
    assert torch.equal(a, b) and torch.equal(a, c)


def test_image_preprocessing_refuses_bad_items():
    kwargs = dict(backbone="x", mean=(0.0,) * 3, std=(1.0,) * 3)
    with pytest.raises(NoisyProbeError, match="dtype float64"):
        preprocess_images([np.zeros((4, 4))], **kwargs)
    with pytest.raises(NoisyProbeError, match="shape"):
        preprocess_images([np.zeros((4, 4, 2), np.uint8)], **kwargs)
    with pytest.raises(NoisyProbeError, match="item 0 is str"):
        preprocess_images(["img.png"], **kwargs)
    with pytest.raises(NoisyProbeError, match="one size"):  # no resize: sizes must agree
        preprocess_images([np.zeros((4, 4), np.uint8), np.zeros((5, 4), np.uint8)], **kwargs)


def test_resize_and_crop_helpers():
    assert resize_output_size(100, 200, 50) == (50, 100)
    assert resize_output_size(300, 100, 50) == (150, 50)
    grid = torch.arange(20.0).view(1, 1, 4, 5)
    assert center_crop(grid, (2, 3)).flatten().tolist() == [6.0, 7.0, 8.0, 11.0, 12.0, 13.0]
    assert tuple(center_crop(grid, (6, 5)).shape[-2:]) == (6, 5)  # pads when too small


def test_torch_threads_restores_setting():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
