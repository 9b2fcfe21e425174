"""Shared image preprocessing in torch (no torchvision, no PIL needed for arrays).

Inputs are uint8 arrays [H, W] (grayscale, repeated to 3 channels), [H, W, 1], [H, W, 3],
or PIL images (converted to RGB). Each image is resized on its own, so its features never
depend on its batch mates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError

IMAGENET_MEAN = (0.485 * 255, 0.456 * 255, 0.406 * 255)
IMAGENET_STD = (0.229 * 255, 0.224 * 255, 0.225 * 255)
RESAMPLE = ("bilinear", "bicubic")


def to_rgb_array(item: Any, index: int, backbone: str) -> np.ndarray:
    """One image as a uint8 [H, W, 3] array.

    Example:
        >>> to_rgb_array(np.zeros((4, 5), np.uint8), 0, "x").shape
        (4, 5, 3)
    """
    if hasattr(item, "convert") and hasattr(item, "mode"):  # a PIL image, without importing PIL
        item = np.asarray(item.convert("RGB"))
    if not isinstance(item, np.ndarray):
        raise NoisyProbeError(
            f"backbone {backbone!r} encodes images: item {index} is {type(item).__name__}, "
            "expected a uint8 array [H, W] or [H, W, 3] or a PIL image"
        )
    if item.dtype != np.uint8:
        raise NoisyProbeError(
            f"backbone {backbone!r}: item {index} has dtype {item.dtype}, expected uint8 (0-255)"
        )
    if item.ndim == 3 and item.shape[2] == 1:
        item = item[:, :, 0]
    if item.ndim == 2:
        item = np.repeat(item[:, :, None], 3, axis=2)
    if item.ndim != 3 or item.shape[2] != 3 or min(item.shape[:2]) < 1:
        raise NoisyProbeError(
            f"backbone {backbone!r}: item {index} has shape {item.shape}, "
            "expected [H, W] or [H, W, 3]"
        )
    return item


def resize_output_size(height: int, width: int, shortest_edge: int) -> tuple[int, int]:
    """(h, w) with the shorter side equal to ``shortest_edge``, aspect ratio kept.

    Example:
        >>> resize_output_size(100, 200, 50)
        (50, 100)
    """
    if height <= width:
        return shortest_edge, max(1, int(shortest_edge * width / height))
    return max(1, int(shortest_edge * height / width)), shortest_edge


def preprocess_images(
    batch: Sequence[Any],
    *,
    backbone: str,
    size: tuple[int, int] | None = None,
    shortest_edge: int | None = None,
    crop: tuple[int, int] | None = None,
    mean: Sequence[float],
    std: Sequence[float],
    resample: str = "bilinear",
) -> Any:
    """Images to a normalised float32 tensor [B, 3, h, w].

    Resize (to ``size``, or the shorter side to ``shortest_edge``) with antialiased
    ``resample`` interpolation as Pillow does (:func:`resize_like_pil`), center-crop to
    ``crop`` if given, then ``(x - mean) / std`` with ``mean``/``std`` on the 0-255 scale.

    Example:
        >>> x = preprocess_images([np.full((8, 6), 255, np.uint8)], backbone="x", size=(4, 4),
        ...                       mean=(127.0,) * 3, std=(128.0,) * 3)
        >>> tuple(x.shape), round(float(x[0, 0, 0, 0]), 4)
        ((1, 3, 4, 4), 1.0)
    """
    import torch

    if isinstance(batch, np.ndarray) and batch.ndim in (3, 4) and batch.dtype == np.uint8:
        batch = list(batch)
    tensors = []
    for index, item in enumerate(batch):
        arr = to_rgb_array(item, index, backbone)
        x = torch.from_numpy(np.array(arr, dtype=np.float32)).permute(2, 0, 1)[None]
        target = size
        if target is None and shortest_edge is not None:
            target = resize_output_size(arr.shape[0], arr.shape[1], shortest_edge)
        if target is not None and tuple(target) != tuple(arr.shape[:2]):
            x = resize_like_pil(x, (int(target[0]), int(target[1])), resample)
        if crop is not None:
            x = center_crop(x, crop)
        tensors.append(x)
    shapes = {tuple(t.shape[-2:]) for t in tensors}
    if len(shapes) > 1:
        raise NoisyProbeError(
            f"backbone {backbone!r}: images of sizes {sorted(shapes)} in one batch and no "
            "resize configured; expected images of one size"
        )
    images = torch.cat(tensors)
    mean_t = torch.tensor(mean, dtype=torch.float32)[None, :, None, None]
    std_t = torch.tensor(std, dtype=torch.float32)[None, :, None, None]
    return (images - mean_t) / std_t


def resize_like_pil(x: Any, size: tuple[int, int], mode: str = "bilinear") -> Any:
    """Resize 0-255 images [B, C, H, W] as PIL does: width pass, then height pass, each
    antialiased and rounded to whole grey levels.

    Pillow resamples uint8 images in two separable passes with an 8-bit intermediate; doing
    the same (torch's antialiased kernels are Pillow's) reproduces Pillow, and so the
    Hugging Face image processors, within one grey level, where a single float pass can be
    off by 15 on high-frequency content.

    Example:
        >>> import torch
        >>> resize_like_pil(torch.full((1, 1, 4, 6), 9.0), (2, 3)).flatten().tolist()
        [9.0, 9.0, 9.0, 9.0, 9.0, 9.0]
    """
    import torch.nn.functional as F

    height, width = x.shape[-2:]
    if size[1] != width:
        x = F.interpolate(x, size=(height, size[1]), mode=mode, align_corners=False, antialias=True)
        x = x.round().clamp(0, 255)
    if size[0] != height:
        x = F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=True)
        x = x.round().clamp(0, 255)
    return x


def center_crop(x: Any, crop: tuple[int, int]) -> Any:
    """Center crop [.., H, W] to ``crop`` (zero-pads first if the image is smaller).

    Example:
        >>> import torch
        >>> center_crop(torch.arange(16.).view(1, 1, 4, 4), (2, 2)).flatten().tolist()
        [5.0, 6.0, 9.0, 10.0]
    """
    import torch.nn.functional as F

    ch, cw = crop
    h, w = x.shape[-2:]
    if h < ch or w < cw:
        ph, pw = max(0, ch - h), max(0, cw - w)
        x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        h, w = x.shape[-2:]
    top, left = (h - ch) // 2, (w - cw) // 2
    return x[..., top : top + ch, left : left + cw]
