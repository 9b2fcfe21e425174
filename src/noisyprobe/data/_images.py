"""Lazy image sequences: files decoded with PIL on access, or views over several arrays."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError, require

IMAGE_EXTENSIONS = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".tif",
    ".tiff",
    ".webp",
    ".ppm",
    ".pgm",
)


def load_image(path: str | Path) -> np.ndarray:
    """Decode an image file into uint8: grayscale as [H, W], colour as [H, W, 3].

    Palette and alpha images become RGB (or L when grayscale); 16-bit and float grayscale
    are rescaled to 0..255 from their type's range (16-bit) or clipped (float).

    Example:
        >>> # load_image("scan.png").dtype -> dtype('uint8')
    """
    image_module = require("PIL.Image", extra="vision")
    try:
        with image_module.open(path) as img:
            img.load()
            return _to_uint8(img)
    except (OSError, ValueError, image_module.DecompressionBombError) as exc:
        raise NoisyProbeError(f"cannot read image {path}: {exc}") from None


def _to_uint8(img: Any) -> np.ndarray:
    mode = img.mode
    if mode in ("L", "RGB"):
        return np.asarray(img, dtype=np.uint8).copy()
    if mode == "1":
        return np.asarray(img.convert("L"), dtype=np.uint8).copy()
    if mode in ("LA", "La"):
        return np.asarray(img.convert("L"), dtype=np.uint8).copy()
    if mode.startswith("I;16") or mode == "I":
        arr = np.asarray(img).astype(np.int64)
        if mode == "I" and arr.size and arr.min() >= 0 and arr.max() <= 255:
            return arr.astype(np.uint8)
        return np.clip(np.round(arr / 257.0), 0, 255).astype(np.uint8)
    if mode == "F":
        return np.clip(np.round(np.asarray(img, dtype=np.float64)), 0, 255).astype(np.uint8)
    if mode == "P":
        rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        gray = (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
        return rgb[..., 0].copy() if gray else rgb.copy()
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()  # RGBA, CMYK, YCbCr, ...


class ImageFiles(Sequence):
    """A sequence of image files, each decoded by :func:`load_image` when indexed."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [load_image(p) for p in self.paths[i]]
        return load_image(self.paths[int(i)])


class ConcatItems(Sequence):
    """``np.concatenate(parts)`` as a view: items are read from their own array on access."""

    def __init__(self, parts: Sequence[np.ndarray]) -> None:
        self.parts = list(parts)
        self._offsets = np.cumsum([0] + [len(p) for p in self.parts])

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        part = int(np.searchsorted(self._offsets, i, side="right")) - 1
        return self.parts[part][i - self._offsets[part]]
