"""``fashion-mnist``: Zalando's 70,000 28x28 clothing images from the real IDX files.

Default location: the Debian package ``dataset-fashion-mnist``
(``apt-get install dataset-fashion-mnist`` puts ``train-images-idx3-ubyte.gz`` etc. in
``/usr/share/datasets/fashion-mnist/``); ``path=`` points at any folder with the four files
(gzip or not). Splits: the official test set, and the official training set minus a seeded,
stratified validation carve-out (``val_fraction``, default 10%).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import sha256_file
from noisyprobe.data._options import as_existing_path, as_fraction, as_int
from noisyprobe.data._spec import DatasetSpec, register
from noisyprobe.data._split import stratified_split
from noisyprobe.data.base import Dataset
from noisyprobe.data.idx import read_idx
from noisyprobe.errors import NoisyProbeError

NAME = "fashion-mnist"
DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
# The pairs that classifiers (and people) confuse most on Fashion-MNIST: upper-body garments
# among themselves and the three kinds of footwear.
ASYMMETRIC_MAP = {0: 6, 6: 0, 2: 4, 4: 2, 5: 7, 7: 5, 9: 7}
_INSTALL_HINT = "install it with `apt-get install dataset-fashion-mnist` or pass path=/--path"


def locate(*, path: Any = None) -> Path:
    """The folder holding the four Fashion-MNIST IDX files (checked to be all there).

    Example:
        >>> # locate()  # -> /usr/share/datasets/fashion-mnist
    """
    folder = DEFAULT_DIR if path is None else as_existing_path(path, "path", kind="dir")
    if path is None and not folder.is_dir():
        raise NoisyProbeError(f"Fashion-MNIST not found in {DEFAULT_DIR}; {_INSTALL_HINT}")
    for images, labels in FILES.values():
        _find(folder, images)
        _find(folder, labels)
    return folder


def load(*, path: Any = None, val_fraction: Any = 0.1, seed: Any = 0) -> Dataset:
    """Load Fashion-MNIST: items are uint8 [28, 28] arrays; splits train/val/test.

    Args:
        path: folder with the IDX files (default: the Debian package's folder).
        val_fraction: share of the official training set moved to ``val`` (stratified).
        seed: seed of the validation carve-out.

    Example:
        >>> # ds = load(); ds.items[0].shape -> (28, 28)
    """
    val_fraction = as_fraction(val_fraction, "val_fraction", high=1.0)
    seed = as_int(seed, "seed", minimum=0)
    folder = locate(path=path)
    parts, files = {}, {}
    for split, (images_name, labels_name) in FILES.items():
        images_file, labels_file = _find(folder, images_name), _find(folder, labels_name)
        parts[split] = _read_pair(images_file, labels_file)
        files[images_file.name] = sha256_file(images_file)
        files[labels_file.name] = sha256_file(labels_file)
    (train_x, train_y), (test_x, test_y) = parts["train"], parts["test"]
    train_splits = stratified_split(train_y, (1.0 - val_fraction, val_fraction, 0.0), seed=seed)
    ids = [f"train-{i:05d}" for i in range(len(train_y))]
    ids += [f"test-{i:05d}" for i in range(len(test_y))]
    return Dataset(
        name=NAME,
        modality="image",
        classes=list(CLASSES),
        items=np.concatenate([train_x, test_x]),
        labels=np.concatenate([train_y, test_y]).astype(np.int64),
        splits=np.concatenate([train_splits, np.full(len(test_y), "test")]),
        ids=np.asarray(ids),
        asymmetric_map=dict(ASYMMETRIC_MAP),
        metadata={
            "source": str(folder),
            "sha256": files,
            "options": {"val_fraction": val_fraction, "seed": seed},
        },
    )


def _find(folder: Path, stem: str) -> Path:
    """``stem`` or ``stem.gz``; also the dotted variant (``train-images.idx3-ubyte``)."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise NoisyProbeError(
        f"{folder}: missing {stem}[.gz] (Fashion-MNIST IDX file); {_INSTALL_HINT}"
    )


def _read_pair(images_file: Path, labels_file: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise NoisyProbeError(
            f"{images_file}: expected uint8 images [N, 28, 28], got {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise NoisyProbeError(f"{labels_file}: expected uint8 labels [N], got {labels.shape}")
    if labels.shape[0] != images.shape[0]:
        raise NoisyProbeError(
            f"{labels_file}: {labels.shape[0]} labels for {images.shape[0]} images in {images_file}"
        )
    if labels.size and labels.max() >= len(CLASSES):
        raise NoisyProbeError(f"{labels_file}: label {labels.max()} outside 0..{len(CLASSES) - 1}")
    return images, labels


SPEC = register(
    DatasetSpec(
        name=NAME,
        modality="image",
        summary="Fashion-MNIST, 70k 28x28 grayscale images, 10 classes (IDX files; Debian "
        "dataset-fashion-mnist)",
        load=load,
        locate=locate,
    )
)
