"""Atomic, pickle-free training checkpoints (``torch.save`` of tensors, weights_only load)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from noisyprobe._io import atomic_path


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write ``state`` (tensors, state_dicts, ints, floats) atomically to ``path``.

    Example:
        >>> import tempfile, torch
        >>> p = Path(tempfile.mkdtemp()) / "c.pt"
        >>> save_checkpoint(p, {"epoch": 3, "w": torch.zeros(2)})
        >>> load_checkpoint(p)["epoch"]
        3
    """
    import torch

    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The checkpoint at ``path`` (``None`` if there is none), loaded with weights_only=True.

    Example:
        >>> load_checkpoint("/nonexistent/c.pt") is None
        True
    """
    import torch

    path = Path(path)
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)
