"""``hf:<dir>``: any local Hugging Face ``transformers`` model directory as a frozen encoder.

Text encoders (BERT family: BERT, PubMedBERT, BioBERT, RoBERTa, ...) pool the last hidden
states (``mean`` or ``cls``). Vision encoders (ViT, DINOv2, CLIP/PLIP, SigLIP, ...) take the
CLS token or the pooled output; for a full CLIP checkpoint the vision tower's pooled output
(post-LayerNorm CLS, before the projection) is used. The modality comes from the model's
``config.json``. Images are preprocessed in torch from the directory's
``preprocessor_config.json`` (resize, center crop, rescale, normalise), without PIL.

Only local files are read (``local_files_only=True``); nothing is downloaded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe.backbones._image import preprocess_images
from noisyprobe.backbones._options import as_bool, as_choice, as_int
from noisyprobe.backbones._runtime import check_device, quiet_transformers, torch_threads
from noisyprobe.backbones._text import POOLINGS, as_texts, encode_texts
from noisyprobe.backbones._weights import fingerprint_files
from noisyprobe.backbones.base import Backbone
from noisyprobe.errors import NoisyProbeError, require

#: vision model types whose first token is a CLS token (default pooling ``cls``)
CLS_VISION_TYPES = {"vit", "dinov2", "dinov2_with_registers", "deit", "beit", "vit_msn"}
VISION_POOLINGS = ("cls", "pooler", "mean")
_PIL_RESAMPLE = {2: "bilinear", 3: "bicubic"}


def _resample_name(value: Any) -> str:
    """PIL resample code (2, 3) or name ("bicubic") to a torch interpolation mode."""
    if isinstance(value, str) and value.lower() in ("bilinear", "bicubic"):
        return value.lower()
    if isinstance(value, int):
        return _PIL_RESAMPLE.get(value, "bilinear")
    return "bilinear"


def model_files(path: Path) -> list[Path]:
    """The weight files of a local model directory, after checking its ``config.json``.

    Raises NoisyProbeError when ``path`` is not a local Hugging Face model directory.

    Example:
        >>> import tempfile, pathlib
        >>> try:
        ...     model_files(pathlib.Path(tempfile.mkdtemp()))
        ... except NoisyProbeError as err:
        ...     print("refused:", "no config.json" in str(err))
        refused: True
    """
    where = f"hf backbone {str(path)!r}"
    if not path.exists():
        raise NoisyProbeError(
            f"{where}: directory does not exist; expected a local Hugging Face "
            "model directory (config.json + weights)"
        )
    if not path.is_dir():
        raise NoisyProbeError(f"{where}: not a directory; expected a Hugging Face model directory")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise NoisyProbeError(
            f"{where}: no config.json, so not a Hugging Face model directory "
            "(save one with model.save_pretrained(dir))"
        )
    try:
        config = json.loads(config_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise NoisyProbeError(f"{where}: config.json is unreadable: {exc}") from exc
    if not isinstance(config, dict) or "model_type" not in config:
        raise NoisyProbeError(f"{where}: config.json has no model_type")
    weights = sorted(path.glob("*.safetensors")) or sorted(path.glob("pytorch_model*.bin"))
    if not weights:
        raise NoisyProbeError(f"{where}: no weights (*.safetensors or pytorch_model*.bin)")
    return weights


def detect_modality(config: Any) -> str:
    """``"image"`` for vision and vision-language checkpoints, ``"text"`` for text encoders.

    ``config`` is a ``transformers`` config (or anything with the same attributes).

    Example:
        >>> from types import SimpleNamespace as NS
        >>> detect_modality(NS(model_type="clip", vision_config=NS(), text_config=NS()))
        'image'
        >>> detect_modality(NS(model_type="bert", vocab_size=30522))
        'text'
    """
    if any(hasattr(config, key) for key in ("vision_config", "num_channels", "image_size")):
        return "image"
    if hasattr(config, "vocab_size"):
        if getattr(config, "is_encoder_decoder", False):
            raise NoisyProbeError(
                f"hf backbone: {config.model_type!r} is an encoder-decoder model; "
                "expected an encoder (BERT family) or a vision encoder"
            )
        return "text"
    raise NoisyProbeError(
        f"hf backbone: cannot tell the modality of model_type {config.model_type!r}; "
        "expected a text encoder (vocab_size) or a vision encoder (image_size)"
    )


def output_dim(config: Any) -> int:
    """Width of the features: hidden size of the (vision) encoder.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> output_dim(NS(hidden_size=16)), output_dim(NS(vision_config=NS(hidden_size=8)))
        (16, 8)
    """
    cfg = getattr(config, "vision_config", None) or config
    for key in ("hidden_size", "d_model", "dim"):
        if isinstance(getattr(cfg, key, None), int):
            return int(getattr(cfg, key))
    if isinstance(getattr(cfg, "hidden_sizes", None), list):  # convolutional vision models
        return int(cfg.hidden_sizes[-1])
    raise NoisyProbeError("hf backbone: the model config gives no hidden size")


def _size_pair(value: Any) -> tuple[int, int] | None:
    if isinstance(value, int):
        return value, value
    if isinstance(value, dict) and "height" in value and "width" in value:
        return int(value["height"]), int(value["width"])
    return None


def image_settings(path: Path, image_size: int | None) -> dict[str, Any]:
    """Resize/crop/normalisation read from ``preprocessor_config.json`` (0-255 scale).

    ``image_size`` (if given) replaces the final size: shorter side resized to it, then a
    square center crop.
    """
    file = path / "preprocessor_config.json"
    if not file.is_file():
        raise NoisyProbeError(
            f"hf backbone {str(path)!r}: no preprocessor_config.json; save the model's image "
            "processor there (AutoImageProcessor...save_pretrained(dir))"
        )
    cfg = json.loads(file.read_text())
    size, shortest, crop = None, None, None
    if cfg.get("do_resize", True):
        raw = cfg.get("size")
        size = _size_pair(raw) if not isinstance(raw, int) else None
        if isinstance(raw, int):
            shortest = raw
        elif isinstance(raw, dict) and "shortest_edge" in raw:
            shortest = int(raw["shortest_edge"])
        if size is None and shortest is None:
            raise NoisyProbeError(f"hf backbone {str(path)!r}: unsupported image size {raw!r}")
    if cfg.get("do_center_crop", False):
        crop = _size_pair(cfg.get("crop_size"))
    if image_size is not None:
        size, shortest, crop = None, image_size, (image_size, image_size)
    factor = float(cfg.get("rescale_factor", 1 / 255)) if cfg.get("do_rescale", True) else 1.0
    if cfg.get("do_normalize", True):
        mean = [float(m) / factor for m in cfg.get("image_mean", (0.5, 0.5, 0.5))]
        std = [float(s) / factor for s in cfg.get("image_std", (0.5, 0.5, 0.5))]
    else:
        mean, std = [0.0] * 3, [1.0 / factor] * 3
    return {
        "size": size,
        "shortest_edge": shortest,
        "crop": crop,
        "mean": mean,
        "std": std,
        "resample": _resample_name(cfg.get("resample", 2)),
    }


class HFBackbone(Backbone):
    """A local Hugging Face model directory as a frozen text or image encoder.

    Args:
        path: the model directory (``config.json`` + weights; ``preprocessor_config.json``
            for vision models; tokenizer files for text models).
        pooling: text: ``"mean"`` (default) / ``"cls"`` / ``"max"``; vision: ``"cls"``
            (default for ViT/DINOv2), ``"pooler"`` (default for CLIP and others) or
            ``"mean"`` (patch tokens).
        normalize: L2-normalise the features.
        max_length: text truncation length (default: the model's maximum, at most 512).
        image_size: vision: override the processor's final size (square).
        batch_size: samples per forward pass (features do not depend on it).
        num_threads: torch intra-op threads while encoding; ``None`` keeps torch's setting.
        device: ``"cpu"`` or ``"cuda[:N]"``.
        engine: text BERT models: ``"fast"`` (lean prepacked forward) or ``"transformers"``.

    Example:
        >>> import tempfile, transformers
        >>> d = tempfile.mkdtemp()
        >>> cfg = transformers.ViTConfig(image_size=16, patch_size=8, hidden_size=8,
        ...     num_hidden_layers=1, num_attention_heads=2, intermediate_size=16)
        >>> transformers.ViTModel(cfg).save_pretrained(d)
        >>> processor = transformers.ViTImageProcessorPil(size={"height": 16, "width": 16})
        >>> _ = processor.save_pretrained(d)
        >>> bb = HFBackbone(d)
        >>> bb.modality, bb.pooling, bb.encode([np.zeros((20, 30), np.uint8)]).shape
        ('image', 'cls', (1, 8))
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        pooling: str | None = None,
        normalize: bool = False,
        max_length: int | None = None,
        image_size: int | None = None,
        batch_size: int = 32,
        num_threads: int | None = None,
        device: str = "cpu",
        engine: str = "fast",
    ) -> None:
        self.path = Path(path).expanduser().resolve()
        self.weight_files = model_files(self.path)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        transformers = require("transformers", extra="text")
        try:
            self.config = transformers.AutoConfig.from_pretrained(
                str(self.path), local_files_only=True
            )
        except (OSError, ValueError, KeyError) as exc:
            raise NoisyProbeError(
                f"hf backbone {str(self.path)!r}: bad config.json: {exc}"
            ) from exc
        self.modality = detect_modality(self.config)
        self.model_type = str(self.config.model_type)
        self.name = f"hf:{self.path}"
        self.normalize = as_bool(normalize, "normalize")
        self.batch_size = as_int(batch_size, "batch_size")
        self.num_threads = as_int(num_threads, "num_threads", allow_none=True)
        self.device = check_device(device)
        self.engine = as_choice(engine, "engine", ("fast", "transformers"))
        self.dim = output_dim(self.config)
        if self.modality == "text":
            self.pooling = as_choice(pooling or "mean", "pooling", POOLINGS)
            positions = int(getattr(self.config, "max_position_embeddings", 512))
            if self.model_type in ("roberta", "xlm-roberta", "camembert"):
                positions -= 2  # these count positions from padding_idx + 1
            limit = min(positions, 512)
            self.max_length = as_int(max_length, "max_length", allow_none=True) or limit
            self.image = None
        else:
            default = "cls" if self.model_type in CLS_VISION_TYPES else "pooler"
            self.pooling = as_choice(pooling or default, "pooling", VISION_POOLINGS)
            size = as_int(image_size, "image_size", minimum=8, allow_none=True)
            self.image = image_settings(self.path, size)
            self.max_length = None
        self.fingerprint = fingerprint_files(self.weight_files)
        self.preprocessing = self._describe()
        self._model: Any = None
        self._tokenizer: Any = None
        self._forward: Any = None

    def _vision_config(self) -> Any:
        return getattr(self.config, "vision_config", None) or self.config

    def _describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "model_type": self.model_type,
            "pooling": self.pooling,
            "normalize": self.normalize,
        }
        if self.modality == "text":
            info["max_length"] = self.max_length
        else:
            info.update({k: list(v) if isinstance(v, tuple) else v for k, v in self.image.items()})
        return info

    def _load(self) -> None:
        transformers = require("transformers", extra="text")
        kwargs = {"local_files_only": True}
        path = str(self.path)
        try:
            with quiet_transformers():
                model = transformers.AutoModel.from_pretrained(path, **kwargs)
                if self.modality == "text":
                    self._tokenizer = transformers.AutoTokenizer.from_pretrained(path, **kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise NoisyProbeError(f"hf backbone {self.name!r}: cannot load: {exc}") from exc
        model = model.eval().to(self.device)
        if self.modality == "image":
            # a full CLIP/SigLIP checkpoint: keep its vision tower only
            self._model = getattr(model, "vision_model", model)
            return
        self._model = model
        from noisyprobe.backbones import _bert_fast

        if self.engine == "fast" and _bert_fast.supports(model.config):
            self._forward = _bert_fast.FastBert(model)
        else:

            def forward(ids: Any, mask: Any) -> Any:
                return model(input_ids=ids, attention_mask=mask.long()).last_hidden_state

            self._forward = forward

    def encode(self, batch: Sequence[Any]) -> np.ndarray:
        """Encode a batch; float32 [len(batch), dim], independent of batch mates."""
        with torch_threads(self.num_threads):
            if self.modality == "text":
                texts = as_texts(batch, self.name)
                if self._model is None:
                    self._load()
                return encode_texts(
                    texts,
                    tokenizer=self._tokenizer,
                    forward=self._forward,
                    max_length=self.max_length,
                    pooling=self.pooling,
                    normalize=self.normalize,
                    batch_size=self.batch_size,
                    dim=self.dim,
                    device=self.device,
                )
            return self._encode_images(batch)

    def _encode_images(self, batch: Sequence[Any]) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        items = list(batch) if not isinstance(batch, np.ndarray) else batch
        out = np.empty((len(items), self.dim), dtype=np.float32)
        if len(items) == 0:
            return out
        if self._model is None:
            self._load()
        with torch.inference_mode():
            for start in range(0, len(items), self.batch_size):
                chunk = items[start : start + self.batch_size]
                x = preprocess_images(chunk, backbone=self.name, **self.image)
                feats = self._pool_vision(x.to(self.device))
                if self.normalize:
                    feats = F.normalize(feats, p=2, dim=1)
                out[start : start + len(chunk)] = feats.float().cpu().numpy()
        return out

    def _pool_vision(self, pixel_values: Any) -> Any:
        vision = self._vision_config()
        kwargs = {}
        expected = _size_pair(getattr(vision, "image_size", None))
        if expected is not None and tuple(pixel_values.shape[-2:]) != expected:
            kwargs["interpolate_pos_encoding"] = True
        outputs = self._model(pixel_values=pixel_values, **kwargs)
        hidden = outputs.last_hidden_state
        if self.pooling == "pooler":
            pooled = getattr(outputs, "pooler_output", None)
            if pooled is None:
                raise NoisyProbeError(
                    f"hf backbone {self.name!r} has no pooled output; use pooling='cls' or 'mean'"
                )
            return pooled.flatten(1)
        if hidden.ndim == 4:  # convolutional feature map [B, C, H, W]
            if self.pooling == "cls":
                raise NoisyProbeError(f"hf backbone {self.name!r} has no CLS token; use 'mean'")
            return hidden.mean(dim=(2, 3))
        if self.pooling == "cls":
            return hidden[:, 0]
        # mean over patch tokens: skip the leading CLS/register tokens, whatever their number
        patch = getattr(vision, "patch_size", None)
        prefix = 0
        if isinstance(patch, int):
            h, w = pixel_values.shape[-2:]
            prefix = max(0, hidden.shape[1] - (h // patch) * (w // patch))
        return hidden[:, prefix:].mean(dim=1)
