"""Shifted copies of a grey-image test set: rotation, additive noise, blur, contrast."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from noisyprobe.errors import NoisyProbeError


def _rotate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import rotate

    angles = rng.uniform(25.0, 45.0, size=len(x)) * rng.choice([-1.0, 1.0], size=len(x))
    return np.stack(
        [rotate(img, a, reshape=False, order=1, mode="constant") for img, a in zip(x, angles)]
    )


def _noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return x + rng.normal(0.0, 0.3, size=x.shape).astype(np.float32)


def _blur(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(x, sigma=(0, 1.5, 1.5))


def _contrast(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    mean = x.mean(axis=(1, 2), keepdims=True)
    return mean + 0.3 * (x - mean)


SHIFTS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "rotation": _rotate,
    "noise": _noise,
    "blur": _blur,
    "contrast": _contrast,
}


def shift(images: np.ndarray, kind: str, *, seed: int = 0) -> np.ndarray:
    """A shifted copy of float images [N, H, W] in [0, 1] (clipped back to [0, 1]).

    Kinds: ``rotation`` (25-45 degrees either way), ``noise`` (Gaussian, sd 0.3), ``blur``
    (Gaussian, sigma 1.5 px), ``contrast`` (scaled to 30% around each image's mean).

    Example:
        >>> x = np.full((2, 8, 8), 0.5, dtype=np.float32)
        >>> float(shift(x, "contrast").mean())
        0.5
    """
    fn = SHIFTS.get(kind)
    if fn is None:
        raise NoisyProbeError(f"unknown shift {kind!r}; expected one of: {', '.join(SHIFTS)}")
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3:
        raise NoisyProbeError(f"images must be [N, H, W], got shape {x.shape}")
    out = fn(x, np.random.default_rng([int(seed), 31337]))
    return np.clip(out, 0.0, 1.0).astype(np.float32)
