"""``csv-manifest``: images listed in a CSV with a path column and a label column.

Relative paths are resolved inside ``root`` (default: the CSV's folder). A path that
leaves the root (an absolute path elsewhere, ``..``, or a symlink pointing outside) is
refused, so a manifest cannot make noisyprobe read arbitrary files. Labels are class names
or integer indices; an optional split column assigns train/val/test, otherwise a seeded
stratified split is drawn.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import sha256_file
from noisyprobe.data._images import ImageFiles
from noisyprobe.data._options import (
    as_existing_path,
    as_fractions,
    as_int,
    as_names,
    split_name,
)
from noisyprobe.data._spec import DatasetSpec, register
from noisyprobe.data._split import stratified_split
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError

NAME = "csv-manifest"


def locate(*, path: Any = None) -> Path:
    """The user's manifest CSV (there is no download step)."""
    if path is None:
        raise NoisyProbeError("csv-manifest reads your manifest: pass path=/--path to the CSV")
    return as_existing_path(path, "path", kind="file")


def resolve_inside(root: Path, raw: str) -> Path:
    """Resolve ``raw`` (relative to ``root``, or absolute) and refuse it if it leaves ``root``.

    Symlinks are followed before the check, so a link pointing outside is refused too.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp()).resolve()
        >>> resolve_inside(root, "a/b.png") == root / "a" / "b.png"
        True
        >>> resolve_inside(root, "../x.png")
        Traceback (most recent call last):
        noisyprobe.errors.NoisyProbeError: path '../x.png' escapes the root ...
    """
    root = root.resolve()
    candidate = Path(os.path.expanduser(raw))
    if not candidate.is_absolute():
        candidate = root / candidate
    real = candidate.resolve()
    if real != root and root not in real.parents:
        raise NoisyProbeError(f"path {raw!r} escapes the root {root}")
    return real


def load(
    *,
    path: Any = None,
    root: Any = None,
    path_column: str = "path",
    label_column: str = "label",
    split_column: str | None = None,
    classes: Any = None,
    fractions: Any = (0.7, 0.1, 0.2),
    seed: Any = 0,
) -> Dataset:
    """Read an image manifest CSV.

    Args:
        path: the CSV file (required).
        root: folder that relative paths are resolved in and may not leave (default: the
            CSV's folder).
        path_column, label_column: column names.
        split_column: optional column with train/val/test per row.
        classes: class names in label order; required order for integer labels, optional
            for named labels (default: sorted names, or ``class_0``... for integers).
        fractions, seed: the stratified split used when there is no split column.

    Example:
        >>> # load(path="manifest.csv", split_column="split").classes -> ['benign', 'malignant']
    """
    import pandas as pd

    file = locate(path=path)
    root_dir = file.parent if root is None else as_existing_path(root, "root", kind="dir")
    root_dir = root_dir.resolve()
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise NoisyProbeError(f"cannot read {file} as CSV: {exc}") from None
    wanted = [c for c in (path_column, label_column, split_column) if c is not None]
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        have = ", ".join(map(str, table.columns))
        raise NoisyProbeError(f"{file}: no column {missing[0]!r} (columns: {have})")
    if table.empty:
        raise NoisyProbeError(f"{file}: the manifest has no rows")
    paths = []
    for row, raw in enumerate(table[path_column].tolist(), start=2):
        if not raw.strip():
            raise NoisyProbeError(f"{file}: line {row}: empty {path_column!r}")
        try:
            real = resolve_inside(root_dir, raw.strip())
        except NoisyProbeError as exc:
            raise NoisyProbeError(f"{file}: line {row}: {exc}") from None
        if not real.is_file():
            raise NoisyProbeError(f"{file}: line {row}: file not found: {real}")
        paths.append(real)
    names = None if classes is None else as_names(classes, "classes")
    labels, class_names = _labels(file, table[label_column].tolist(), names)
    if split_column is not None:
        splits = []
        for row, raw in enumerate(table[split_column].tolist(), start=2):
            name = split_name(raw)
            if name is None:
                raise NoisyProbeError(
                    f"{file}: line {row}: split {raw!r} in {split_column!r}, "
                    "expected train, val or test"
                )
            splits.append(name)
        split_arr = np.asarray(splits)
    else:
        fractions = as_fractions(fractions)
        seed = as_int(seed, "seed", minimum=0)
        split_arr = stratified_split(labels, fractions, seed=seed)
    options = {"root": str(root_dir), "path_column": path_column, "label_column": label_column}
    options["split_column"] = split_column
    if split_column is None:
        options.update(fractions=list(fractions), seed=seed)
    return Dataset(
        name=NAME,
        modality="image",
        classes=class_names,
        items=ImageFiles(paths),
        labels=labels,
        splits=split_arr,
        ids=np.asarray([p.relative_to(root_dir).as_posix() for p in paths]),
        metadata={
            "source": str(file.resolve()),
            "sha256": sha256_file(file),
            "options": options,
            "class_counts": np.bincount(labels, minlength=len(class_names)).tolist(),
        },
    )


def _labels(file: Path, raw: list[str], names: list[str] | None) -> tuple[np.ndarray, list[str]]:
    """Labels as indices: names (matched to ``names`` when given) or integer indices."""
    values = [v.strip() for v in raw]
    for row, v in enumerate(values, start=2):
        if not v:
            raise NoisyProbeError(f"{file}: line {row}: empty label")
    if names is not None and set(values) <= set(names):
        index = {n: k for k, n in enumerate(names)}
        return np.asarray([index[v] for v in values], dtype=np.int64), names
    if all(_is_int(v) for v in values):
        labels = np.asarray([int(v) for v in values], dtype=np.int64)
        if labels.min() < 0:
            raise NoisyProbeError(f"{file}: negative label {labels.min()}")
        count = int(labels.max()) + 1
        if names is None:
            return labels, [f"class_{k}" for k in range(count)]
        if len(names) < count:
            raise NoisyProbeError(f"{file}: label {count - 1} but only {len(names)} classes given")
        return labels, names
    if names is not None:
        unknown = sorted(set(values) - set(names))
        raise NoisyProbeError(f"{file}: label {unknown[0]!r} is not one of classes {names}")
    class_names = sorted(set(values))
    index = {n: k for k, n in enumerate(class_names)}
    return np.asarray([index[v] for v in values], dtype=np.int64), class_names


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


SPEC = register(
    DatasetSpec(
        name=NAME,
        modality="image",
        summary="images listed in a CSV (path and label columns, optional split column)",
        load=load,
        locate=locate,
    )
)
