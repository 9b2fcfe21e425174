"""``image-folder``: one sub-folder of images per class, optionally inside split folders.

Two layouts are recognised:

- ``root/<class>/**/<image>``: the split is drawn per class, seeded (``fractions``, ``seed``);
- ``root/<split>/<class>/**/<image>`` when every sub-folder of ``root`` is a split name
  (``train``, ``val``/``valid``/``validation``, ``test``).

Classes are the sorted class-folder names. Images are decoded only when indexed (PIL loads
inside the loader), as uint8 [H, W] for grayscale or [H, W, 3] for colour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe.data._images import IMAGE_EXTENSIONS, ImageFiles
from noisyprobe.data._options import as_existing_path, as_fractions, as_int, split_name
from noisyprobe.data._spec import DatasetSpec, register
from noisyprobe.data._split import stratified_split
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError

NAME = "image-folder"


def locate(*, path: Any = None) -> Path:
    """The user's folder (there is no download step)."""
    if path is None:
        raise NoisyProbeError("image-folder reads your folder: pass path=/--path to it")
    return as_existing_path(path, "path", kind="dir")


def load(*, path: Any = None, fractions: Any = (0.7, 0.1, 0.2), seed: Any = 0) -> Dataset:
    """Index an image folder (files are not decoded until accessed).

    Args:
        path: the root folder (required).
        fractions: train/val/test shares per class when there are no split folders.
        seed: seed of that split.

    Example:
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for c in ("cat", "dog"):
        ...     (root / c).mkdir(); _ = (root / c / "a.png").write_bytes(b"")
        >>> load(path=root).classes
        ['cat', 'dog']
    """
    fractions = as_fractions(fractions)
    seed = as_int(seed, "seed", minimum=0)
    root = locate(path=path)
    subdirs = _subdirs(root)
    if not subdirs:
        raise NoisyProbeError(f"{root}: no class folders (expected root/<class>/<image files>)")
    split_layout = all(split_name(d.name) is not None for d in subdirs)
    groups = [(split_name(d.name), d) for d in subdirs] if split_layout else [(None, root)]
    found: list[tuple[str | None, str, Path]] = []
    for split, folder in groups:
        class_dirs = _subdirs(folder)
        if not class_dirs:
            raise NoisyProbeError(f"{folder}: no class folders (expected <class>/<image files>)")
        for class_dir in class_dirs:
            files = _images_under(class_dir)
            for f in files:
                _check_inside(root, f)
            if not files:
                raise NoisyProbeError(f"{class_dir}: class folder holds no image files")
            found.extend((split, class_dir.name, f) for f in files)
    classes = sorted({name for _, name, _ in found})
    index = {name: k for k, name in enumerate(classes)}
    labels = np.asarray([index[name] for _, name, _ in found], dtype=np.int64)
    if split_layout:
        splits = np.asarray([s for s, _, _ in found])
    else:
        splits = stratified_split(labels, fractions, seed=seed)
    paths = [f for _, _, f in found]
    return Dataset(
        name=NAME,
        modality="image",
        classes=classes,
        items=ImageFiles(paths),
        labels=labels,
        splits=splits,
        ids=np.asarray([f.relative_to(root).as_posix() for f in paths]),
        metadata={
            "source": str(root.resolve()),
            "layout": "split folders" if split_layout else "class folders",
            "options": {"fractions": list(fractions), "seed": seed} if not split_layout else {},
            "class_counts": np.bincount(labels, minlength=len(classes)).tolist(),
        },
    )


def _check_inside(root: Path, file: Path) -> None:
    """Refuse an image whose real path (symlinks followed) leaves ``root``, as csv-manifest does."""
    real_root = root.resolve()
    real = file.resolve()
    if real_root not in real.parents:
        raise NoisyProbeError(
            f"{file}: a symlink to {real}, outside the folder {real_root}; copy the file in instead"
        )


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images_under(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_EXTENSIONS
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


SPEC = register(
    DatasetSpec(
        name=NAME,
        modality="image",
        summary="your images, one folder per class (optionally inside train/val/test folders)",
        load=load,
        locate=locate,
    )
)
