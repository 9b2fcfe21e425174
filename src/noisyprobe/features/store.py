"""The on-disk FeatureSet: cached frozen-backbone features with labels, splits and provenance.

A FeatureSet folder holds ``features.npy`` (float32 [N, D], memory-mapped on load),
``labels.npy`` (int64 [N], ``-1`` where a sample has no label in that column),
``splits.npy`` and ``ids.npy`` (unicode), one ``labels.<column>.npy`` per extra label
column (for example PadChest's noisy ``rnn`` labels), and ``manifest.json`` with the
provenance and the sha256 of every array. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import atomic_path, load_npy, save_npy, sha256_file, write_json
from noisyprobe.errors import NoisyProbeError

FORMAT_VERSION = 1
MISSING_LABEL = -1
_COLUMN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


class FeatureSet:
    """Frozen features of one dataset under one backbone, ready for head training.

    Args:
        features: float32 array [N, D] (other float dtypes are converted).
        labels: int array [N] in ``[0, C)``; ``-1`` marks a sample without a label.
        splits: per-sample split names such as ``"train"``, ``"val"``, ``"test"``;
            all ``"train"`` when omitted.
        ids: per-sample identifiers; ``"0"``, ``"1"``, ... when omitted.
        extra_labels: further label columns (same rules as ``labels``), e.g. the labels
            of a weaker labeller.
        classes: class names; ``class_0``... when omitted.
        metadata: JSON-serialisable provenance (dataset, backbone, preprocessing...).

    Example:
        >>> import numpy as np
        >>> fs = FeatureSet(np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1]))
        >>> fs.num_classes, fs.dim, len(fs)
        (2, 4, 4)
    """

    def __init__(
        self,
        features: np.ndarray,
        labels: np.ndarray | Sequence[int],
        splits: np.ndarray | Sequence[str] | None = None,
        *,
        ids: np.ndarray | Sequence[str] | None = None,
        extra_labels: Mapping[str, np.ndarray | Sequence[int]] | None = None,
        classes: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        check_finite: bool = True,
    ) -> None:
        features = np.asanyarray(features)
        if features.ndim != 2:
            raise NoisyProbeError(
                f"features must be a 2-D array [N, D], got shape {features.shape}"
            )
        if features.dtype != np.float32:
            features = features.astype(np.float32)
        n = features.shape[0]
        if n == 0:
            raise NoisyProbeError("features: the FeatureSet is empty (N = 0)")
        if check_finite:
            _check_finite(features)
        self.features = features
        labels_arr = _as_labels(labels, "labels", n)
        if classes is None:
            num_classes = int(max(labels_arr.max(initial=-1), 0)) + 1
            for col in (extra_labels or {}).values():
                num_classes = max(num_classes, int(np.max(col, initial=-1)) + 1)
            classes = [f"class_{c}" for c in range(num_classes)]
        self.classes = [str(c) for c in classes]
        if len(set(self.classes)) != len(self.classes):
            raise NoisyProbeError("classes: class names must be unique")
        self.labels = _check_range(labels_arr, "labels", len(self.classes))
        self.extra_labels: dict[str, np.ndarray] = {}
        for name, col in (extra_labels or {}).items():
            if not name or not set(name) <= _COLUMN_CHARS or name == "labels":
                raise NoisyProbeError(
                    f"extra label column name {name!r}: expected lowercase letters, digits, _ or -"
                )
            arr = _as_labels(col, f"label column {name!r}", n)
            self.extra_labels[name] = _check_range(arr, f"label column {name!r}", len(self.classes))
        if splits is None:
            splits = np.full(n, "train")
        self.splits = np.asarray(splits).astype(str)
        if self.splits.shape != (n,):
            raise NoisyProbeError(
                f"splits: expected {n} split names, got shape {self.splits.shape}"
            )
        self.ids = np.arange(n).astype(str) if ids is None else np.asarray(ids).astype(str)
        if self.ids.shape != (n,):
            raise NoisyProbeError(f"ids: expected {n} sample ids, got shape {self.ids.shape}")
        self.metadata: dict[str, Any] = dict(metadata or {})

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return int(self.features.shape[0])

    @property
    def dim(self) -> int:
        return int(self.features.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def label_columns(self) -> list[str]:
        """Names accepted by :meth:`label_column`: ``"labels"`` and the extra columns."""
        return ["labels", *sorted(self.extra_labels)]

    def label_column(self, name: str | None = None) -> np.ndarray:
        """The labels of column ``name`` (``None`` or ``"labels"`` for the main column)."""
        if name in (None, "labels"):
            return self.labels
        if name not in self.extra_labels:
            raise NoisyProbeError(
                f"unknown label column {name!r}; expected one of: {', '.join(self.label_columns)}"
            )
        return self.extra_labels[name]

    def split_names(self) -> list[str]:
        return sorted(set(self.splits.tolist()))

    def indices(self, split: str, *, column: str | None = None) -> np.ndarray:
        """Indices of samples in ``split`` that have a label in ``column``.

        Raises:
            NoisyProbeError: if no sample qualifies (an empty split is a user error).
        """
        mask = (self.splits == split) & (self.label_column(column) != MISSING_LABEL)
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            col = column or "labels"
            raise NoisyProbeError(
                f"split {split!r} has no samples labelled in column {col!r}; "
                f"splits present: {', '.join(self.split_names())}"
            )
        return idx

    def summary(self) -> dict[str, Any]:
        """Counts per split and label column, for manifests and ``datasets show``."""
        out: dict[str, Any] = {"num_samples": len(self), "dim": self.dim, "classes": self.classes}
        splits = {}
        for split in self.split_names():
            in_split = self.splits == split
            splits[split] = {
                col: int(((self.label_column(col) != MISSING_LABEL) & in_split).sum())
                for col in self.label_columns
            }
        out["splits"] = splits
        return out

    # ---------------------------------------------------------------- storage
    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the FeatureSet folder atomically (a temporary folder, then rename)."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise NoisyProbeError(f"{path} already exists; pass overwrite=True (CLI: --force)")
        with atomic_path(path) as tmp:
            tmp.mkdir(parents=True)
            arrays = {
                "features.npy": np.ascontiguousarray(self.features, dtype=np.float32),
                "labels.npy": self.labels,
                "splits.npy": self.splits,
                "ids.npy": self.ids,
            }
            for name, col in self.extra_labels.items():
                arrays[f"labels.{name}.npy"] = col
            hashes = {}
            for fname, arr in arrays.items():
                save_npy(tmp / fname, arr)
                hashes[fname] = sha256_file(tmp / fname)
            manifest = {
                "format_version": FORMAT_VERSION,
                "num_samples": len(self),
                "dim": self.dim,
                "classes": self.classes,
                "extra_label_columns": sorted(self.extra_labels),
                "sha256": hashes,
                "metadata": self.metadata,
                "summary": self.summary(),
            }
            write_json(tmp / "manifest.json", manifest)
        return path

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, mmap: bool = True, verify: bool = True
    ) -> FeatureSet:
        """Load a FeatureSet folder; refuse it if an array is missing or its hash differs.

        Example:
            >>> import numpy as np, tempfile, pathlib
            >>> d = pathlib.Path(tempfile.mkdtemp()) / "fs"
            >>> _ = FeatureSet(np.ones((2, 3)), [0, 1]).save(d)
            >>> FeatureSet.load(d).features.shape
            (2, 3)
        """
        path = Path(path)
        manifest = read_manifest(path)
        if verify:
            verify_hashes(path, manifest)
        try:
            features = load_npy(path / "features.npy", mmap=mmap)
            extra = {
                name: load_npy(path / f"labels.{name}.npy")
                for name in manifest.get("extra_label_columns", [])
            }
            fs = cls(
                features,
                load_npy(path / "labels.npy"),
                load_npy(path / "splits.npy"),
                ids=load_npy(path / "ids.npy"),
                extra_labels=extra,
                classes=manifest["classes"],
                metadata=manifest.get("metadata", {}),
                check_finite=False,
            )
        except (OSError, ValueError, KeyError) as exc:
            raise NoisyProbeError(f"corrupt FeatureSet at {path}: {exc}") from None
        if fs.features.shape != (manifest["num_samples"], manifest["dim"]):
            raise NoisyProbeError(f"corrupt FeatureSet at {path}: shape differs from manifest")
        if verify:  # the hashes were read anyway; a NaN row would only show up as NaN scores
            try:
                _check_finite(fs.features)
            except NoisyProbeError as exc:
                raise NoisyProbeError(f"FeatureSet at {path}: {exc}") from None
        return fs

    def __repr__(self) -> str:
        return (
            f"FeatureSet(n={len(self)}, dim={self.dim}, classes={self.num_classes}, "
            f"splits={self.split_names()}, extra={sorted(self.extra_labels)})"
        )


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``manifest.json`` of a FeatureSet folder with a clear error if it is unusable."""
    path = Path(path)
    file = path / "manifest.json"
    if not path.is_dir():
        raise NoisyProbeError(f"no FeatureSet at {path} (not a directory)")
    try:
        manifest = json.loads(file.read_text())
    except FileNotFoundError:
        raise NoisyProbeError(f"no FeatureSet at {path} (manifest.json missing)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise NoisyProbeError(f"corrupt FeatureSet manifest {file}: {exc}") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise NoisyProbeError(
            f"FeatureSet at {path} has format version {manifest.get('format_version')}, "
            f"expected {FORMAT_VERSION}"
        )
    return manifest


def verify_hashes(path: Path, manifest: Mapping[str, Any]) -> None:
    """Raise if any array's sha256 differs from the manifest (a corrupt cache)."""
    hashes = manifest.get("sha256")
    if not isinstance(hashes, Mapping) or "features.npy" not in hashes:
        raise NoisyProbeError(f"corrupt FeatureSet manifest at {path}: no sha256 table of arrays")
    for fname, expected in hashes.items():
        ok_name = isinstance(fname, str) and fname.endswith(".npy") and "/" not in fname
        ok_hash = isinstance(expected, str) and len(expected) == 64
        if not ok_name or not ok_hash or not set(expected) <= set("0123456789abcdef"):
            raise NoisyProbeError(
                f"corrupt FeatureSet manifest at {path}: malformed sha256 entry {fname!r}"
            )
        file = path / fname
        if not file.exists():
            raise NoisyProbeError(f"corrupt FeatureSet at {path}: {fname} is missing")
        if sha256_file(file) != expected:
            raise NoisyProbeError(
                f"corrupt FeatureSet at {path}: {fname} does not match its sha256 "
                "(rebuild with --force)"
            )


def _as_labels(values: np.ndarray | Sequence[int], what: str, n: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise NoisyProbeError(f"{what}: expected {n} labels, got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise NoisyProbeError(f"{what}: labels must be integers")
    elif arr.dtype.kind not in "iu":
        raise NoisyProbeError(f"{what}: labels must be integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _check_range(labels: np.ndarray, what: str, num_classes: int) -> np.ndarray:
    bad = (labels < MISSING_LABEL) | (labels >= num_classes)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise NoisyProbeError(
            f"{what}: label {int(labels[first])} at index {first} is out of range; "
            f"expected 0..{num_classes - 1} (or -1 for no label)"
        )
    return labels


def _check_finite(features: np.ndarray, chunk: int = 65536) -> None:
    for start in range(0, features.shape[0], chunk):
        block = features[start : start + chunk]
        if not np.isfinite(block).all():
            row = start + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
            raise NoisyProbeError(f"features: NaN or Inf in sample {row}")
