"""``medmnist``: a MedMNIST dataset in its official ``.npz`` form (e.g. ``pathmnist.npz``).

The file holds ``train_images``, ``train_labels``, ``val_images``, ``val_labels``,
``test_images``, ``test_labels``; images are uint8 [N, H, W] (grayscale) or [N, H, W, 3],
labels [N, 1] for multi-class tasks. Multi-label files ([N, L], e.g. ChestMNIST) and 3D
volumes are refused: noisyprobe studies single-label classification of 2D images.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import sha256_file
from noisyprobe.data._images import ConcatItems
from noisyprobe.data._options import SPLITS, as_existing_path, as_names
from noisyprobe.data._spec import DatasetSpec, register
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError

NAME = "medmnist"
KEYS = tuple(f"{split}_{kind}" for split in SPLITS for kind in ("images", "labels"))


def locate(*, path: Any = None) -> Path:
    """The user's ``.npz`` (MedMNIST files are downloaded by the user; no download here)."""
    if path is None:
        raise NoisyProbeError(
            "medmnist reads your file: pass path=/--path to an official MedMNIST .npz "
            "(e.g. pathmnist.npz)"
        )
    return as_existing_path(path, "path", kind="file")


def load(*, path: Any = None, classes: Any = None) -> Dataset:
    """Load a MedMNIST ``.npz``; class names from ``classes`` (else ``class_0``, ...).

    Args:
        path: the ``.npz`` file (required).
        classes: class names in label order (a list or ``"a,b,c"``).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "toy.npz"
        >>> x, y = np.zeros((3, 4, 4), np.uint8), np.array([[0], [1], [2]])
        >>> np.savez(f, **{k: (x if k.endswith("images") else y) for k in KEYS})
        >>> load(path=f, classes="a,b,c").class_counts(split="val").tolist()
        [1, 1, 1]
    """
    file = locate(path=path)
    arrays = _read_npz(file)
    images, labels = [], []
    for split in SPLITS:
        x, y = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        images.append(_check_images(file, split, x))
        labels.append(_check_labels(file, split, y, len(x)))
    all_labels = np.concatenate(labels)
    num_classes = int(all_labels.max()) + 1 if all_labels.size else 0
    if classes is not None:
        names = as_names(classes, "classes")
        if len(names) < num_classes:
            raise NoisyProbeError(
                f"option classes: {len(names)} names but {file} has labels up to {num_classes - 1}"
            )
    else:
        names = [f"class_{k}" for k in range(num_classes)]
    if len({x.shape[1:] for x in images}) != 1:
        raise NoisyProbeError(f"{file}: splits have different image shapes")
    return Dataset(
        name=NAME,
        modality="image",
        classes=names,
        items=ConcatItems(images),
        labels=all_labels,
        splits=np.concatenate([np.full(len(y), s) for s, y in zip(SPLITS, labels)]),
        ids=np.asarray([f"{s}-{i:06d}" for s, y in zip(SPLITS, labels) for i in range(len(y))]),
        metadata={
            "source": str(file),
            "sha256": sha256_file(file),
            "options": {"classes": names},
            "image_shape": list(images[0].shape[1:]),
        },
    )


def _read_npz(file: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as npz:
            missing = [k for k in KEYS if k not in npz.files]
            if missing:
                raise NoisyProbeError(
                    f"{file}: not a MedMNIST .npz, missing {', '.join(missing)} "
                    f"(expected {', '.join(KEYS)})"
                )
            return {k: npz[k] for k in KEYS}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise NoisyProbeError(f"cannot read {file} as a .npz without pickle: {exc}") from None


def _check_images(file: Path, split: str, x: np.ndarray) -> np.ndarray:
    key = f"{split}_images"
    if x.dtype != np.uint8:
        raise NoisyProbeError(f"{file}: {key} must be uint8, got {x.dtype}")
    if x.ndim == 4 and x.shape[-1] != 3:
        raise NoisyProbeError(
            f"{file}: {key} has shape {x.shape}; 3D volumes are not supported "
            "(expected [N, H, W] or [N, H, W, 3])"
        )
    if x.ndim not in (3, 4):
        raise NoisyProbeError(
            f"{file}: {key} has shape {x.shape}, expected [N, H, W] or [N, H, W, 3]"
        )
    return x


def _check_labels(file: Path, split: str, y: np.ndarray, n: int) -> np.ndarray:
    key = f"{split}_labels"
    if y.ndim == 2 and y.shape[1] > 1:
        raise NoisyProbeError(
            f"{file}: {key} has shape {y.shape}: a multi-label task ({y.shape[1]} labels per "
            "image) is not supported; noisyprobe needs one class per image ([N, 1])"
        )
    if y.ndim not in (1, 2):
        raise NoisyProbeError(f"{file}: {key} has shape {y.shape}, expected [N, 1]")
    y = y.reshape(-1)
    if y.shape[0] != n:
        raise NoisyProbeError(f"{file}: {key} has {y.shape[0]} labels for {n} images")
    whole = np.issubdtype(y.dtype, np.integer) or (
        np.issubdtype(y.dtype, np.floating) and bool(np.all(np.isfinite(y) & (y == np.round(y))))
    )
    if not whole:
        raise NoisyProbeError(f"{file}: {key} must hold integer class indices, got {y.dtype}")
    if y.size and y.min() < 0:
        raise NoisyProbeError(f"{file}: {key} holds a negative label ({y.min()})")
    return y.astype(np.int64)


SPEC = register(
    DatasetSpec(
        name=NAME,
        modality="image",
        summary="an official MedMNIST .npz from path= (single-label 2D tasks)",
        load=load,
        locate=locate,
    )
)
