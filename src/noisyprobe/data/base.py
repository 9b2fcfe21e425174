"""The in-memory form of a labelled dataset, before a backbone turns it into features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError


@dataclass
class Dataset:
    """Samples, labels, splits and provenance of one dataset.

    Attributes:
        name: registry name, e.g. ``"padchest-reports"``.
        modality: ``"text"`` (items are ``str``) or ``"image"`` (items are uint8 arrays
            [H, W] or [H, W, 3]; the sequence may load them lazily).
        classes: class names, index = label.
        items: the samples, indexable and sized.
        labels: int64 [N]; ``-1`` where the sample has no label in this column.
        splits: per-sample split names (``"train"``, ``"val"``, ``"test"``).
        ids: per-sample stable identifiers.
        extra_labels: further label columns with the same convention (e.g. ``"rnn"``).
        asymmetric_map: dataset-specific confusable-class map for asymmetric noise.
        metadata: JSON-serialisable provenance (source file, its sha256, options).
    """

    name: str
    modality: str
    classes: list[str]
    items: Sequence[Any]
    labels: np.ndarray
    splits: np.ndarray
    ids: np.ndarray
    extra_labels: dict[str, np.ndarray] = field(default_factory=dict)
    asymmetric_map: dict[int, int] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.items)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.splits = np.asarray(self.splits).astype(str)
        self.ids = np.asarray(self.ids).astype(str)
        for what, arr in [("labels", self.labels), ("splits", self.splits), ("ids", self.ids)]:
            if arr.shape != (n,):
                raise NoisyProbeError(
                    f"dataset {self.name}: {what} has shape {arr.shape}, expected ({n},)"
                )
        if self.modality not in ("text", "image"):
            raise NoisyProbeError(f"dataset {self.name}: modality must be 'text' or 'image'")

    def __len__(self) -> int:
        return len(self.items)

    def label_column(self, name: str = "labels") -> np.ndarray:
        """The label array ``name``: ``"labels"`` or a key of ``extra_labels``."""
        if name == "labels":
            return self.labels
        if name not in self.extra_labels:
            known = ", ".join(["labels", *self.extra_labels])
            raise NoisyProbeError(f"dataset {self.name}: no label column {name!r}; has {known}")
        return np.asarray(self.extra_labels[name], dtype=np.int64)

    def class_counts(self, column: str = "labels", split: str | None = None) -> np.ndarray:
        """Per-class counts (int64 [C]) of a label column, optionally within one split.

        Example:
            >>> d = Dataset("toy", "text", ["a", "b"], ["x", "y", "z"], [0, 1, -1],
            ...             ["train", "train", "test"], ["1", "2", "3"])
            >>> d.class_counts().tolist(), d.class_counts(split="test").tolist()
            ([1, 1], [0, 0])
        """
        values = self.label_column(column)
        if split is not None:
            values = values[self.splits == split]
        values = values[values >= 0]
        return np.bincount(values, minlength=len(self.classes)).astype(np.int64)

    def subset(self, indices: Sequence[int] | np.ndarray) -> Dataset:
        """A new Dataset with only ``indices`` (in that order)."""
        idx = np.asarray(indices, dtype=np.int64)
        items = _IndexedItems(self.items, idx)
        return Dataset(
            name=self.name,
            modality=self.modality,
            classes=list(self.classes),
            items=items,
            labels=self.labels[idx],
            splits=self.splits[idx],
            ids=self.ids[idx],
            extra_labels={k: v[idx] for k, v in self.extra_labels.items()},
            asymmetric_map=self.asymmetric_map,
            metadata=dict(self.metadata),
        )


class _IndexedItems(Sequence):
    """A lazy view of ``base[indices]`` that does not load every item."""

    def __init__(self, base: Sequence[Any], indices: np.ndarray) -> None:
        self._base = base
        self._indices = indices

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._base[int(j)] for j in self._indices[i]]
        return self._base[int(self._indices[i])]
