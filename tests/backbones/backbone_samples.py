"""Sample inputs and tiny randomly initialised Hugging Face models for the backbone tests."""

from __future__ import annotations

import string

import numpy as np

WORDS = ["derrame", "pleural", "normal", "sin", "hallazg", "cardiomegalia", "the", "a", "de"]
VOCAB = (
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    + WORDS
    + list(string.ascii_lowercase + string.digits + ".,")
    + ["##" + c for c in string.ascii_lowercase + string.digits]
)

TEXTS = [
    "derrame pleural derecho",
    "sin hallazgos",
    "a",
    "",
    "normal " * 40,
    "cardiomegalia. derrame 2 cm, de la base",
    "Ünïcödé áccents ñ",
]


def images() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [
        rng.integers(0, 256, (28, 28), dtype=np.uint8),
        rng.integers(0, 256, (40, 30, 3), dtype=np.uint8),
        np.zeros((16, 16), dtype=np.uint8),
        rng.integers(0, 256, (33, 47, 1), dtype=np.uint8),
        np.full((20, 20, 3), 255, dtype=np.uint8),
    ]


def _bert_config(transformers, **extra):
    return transformers.BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
        **extra,
    )


def save_tiny_bert(path, seed=0, *, safe_serialization=True):
    """A tiny BertModel with a WordPiece tokenizer over VOCAB, saved to ``path``."""
    import torch
    import transformers

    path.mkdir(parents=True, exist_ok=True)
    vocab_file = path / "vocab.txt"
    vocab_file.write_text("\n".join(VOCAB) + "\n")
    torch.manual_seed(seed)
    model = transformers.BertModel(_bert_config(transformers)).eval()
    model.save_pretrained(path)
    if not safe_serialization:  # the legacy torch format, written by hand (transformers 5 won't)
        torch.save(model.state_dict(), path / "pytorch_model.bin")
        (path / "model.safetensors").unlink()
    transformers.BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True).save_pretrained(
        path
    )
    return path


def _vit_kwargs():
    return dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64)


def save_tiny_vision(kind, path, seed=0):
    """Tiny ViT / DINOv2 / CLIP (full) / CLIP vision model + image processor config."""
    import torch
    import transformers

    path.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    if kind == "vit":
        model = transformers.ViTModel(
            transformers.ViTConfig(image_size=32, patch_size=8, **_vit_kwargs())
        )
        processor = transformers.ViTImageProcessorPil(size={"height": 32, "width": 32})
    elif kind == "dinov2":
        model = transformers.Dinov2Model(
            transformers.Dinov2Config(image_size=32, patch_size=8, **_vit_kwargs())
        )
        processor = transformers.BitImageProcessorPil(
            size={"shortest_edge": 36},
            crop_size={"height": 32, "width": 32},
            do_center_crop=True,
            resample=3,
            image_mean=[0.485, 0.456, 0.406],
            image_std=[0.229, 0.224, 0.225],
        )
    elif kind in ("clip", "clip-vision"):
        vision = dict(image_size=32, patch_size=8, **_vit_kwargs())
        if kind == "clip":
            config = transformers.CLIPConfig(
                text_config=dict(
                    vocab_size=len(VOCAB), max_position_embeddings=16, **_vit_kwargs()
                ),
                vision_config=vision,
                projection_dim=16,
            )
            model = transformers.CLIPModel(config)
        else:
            model = transformers.CLIPVisionModel(transformers.CLIPVisionConfig(**vision))
        processor = transformers.CLIPImageProcessorPil(
            size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
        )
    else:  # pragma: no cover - test misuse
        raise ValueError(kind)
    model.eval().save_pretrained(path)
    processor.save_pretrained(path)
    return path


TINY = ("tiny-bert", "tiny-vit", "tiny-dinov2", "tiny-clip", "tiny-clip-vision")
