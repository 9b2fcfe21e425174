"""Atomic file output and safe array loading (no pickle anywhere)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Works for files and directories. Readers never see a half-written result.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text("done")
        >>> target.read_text()
        'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    tmp.rmdir()
    try:
        yield tmp
        if path.is_dir() and tmp.is_dir():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def save_npy(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Save an array atomically as ``.npy`` (object arrays are refused: no pickle)."""
    if array.dtype == object:
        raise TypeError("object arrays cannot be saved without pickle")
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)


def load_npy(path: str | os.PathLike[str], *, mmap: bool = False) -> np.ndarray:
    """Load an ``.npy`` file without pickle, optionally memory-mapped read-only.

    Raises:
        NoisyProbeError: naming the file when it is not a readable ``.npy`` array (a corrupt
            header, a truncated file, or pickled data, which is never loaded).
    """
    import tokenize

    from noisyprobe.errors import NoisyProbeError

    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, EOFError, SyntaxError, tokenize.TokenError) as exc:
        # numpy says "pickled data ... allow_pickle" for any file without a valid npy header;
        # the useful fact is that the file is not a plain .npy array.
        text = str(exc)
        if "pickle" in text or not text:
            text = "no valid .npy header (a corrupt file, or pickled data, which is refused)"
        raise NoisyProbeError(f"{path}: not a readable .npy array: {text}") from None


def sha256_file(path: str | os.PathLike[str], *, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    """The data/feature cache: ``$NOISYPROBE_CACHE`` or ``~/.cache/noisyprobe``."""
    root = os.environ.get("NOISYPROBE_CACHE")
    path = Path(root) if root else Path.home() / ".cache" / "noisyprobe"
    path.mkdir(parents=True, exist_ok=True)
    return path
