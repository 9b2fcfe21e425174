"""Safe loading of weight files and a memoised fingerprint of what they hold.

A backbone's ``id`` must name its exact weights, yet a feature-cache hit should not pay for
loading the model. So the fingerprint is computed from the weight files themselves (the
state dict they hold, via :func:`fingerprint_state_dict`) and memoised on each file's path,
size and modification time: in the process, and in ``<cache_dir>/backbone-fingerprints.json``
across processes (a changed file gets a new key, so a stale entry is never used). Loading
never unpickles: safetensors, or ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from noisyprobe._io import cache_dir, write_json
from noisyprobe.backbones.base import fingerprint_state_dict
from noisyprobe.errors import NoisyProbeError

_MEMO: dict[str, str] = {}
_DISK_FILE = "backbone-fingerprints.json"
_DISK_MAX_ENTRIES = 256


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Tensors of one weight file (``.safetensors``, or a torch ``.bin``/``.pt``/``.pth``).

    Example:
        >>> import torch, tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "w.pt"
        >>> torch.save({"w": torch.ones(2)}, f)
        >>> load_state_dict(f)["w"].tolist()
        [1.0, 1.0]
    """
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return dict(load_file(str(path), device="cpu"))
        import torch

        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError) as exc:
        raise NoisyProbeError(f"cannot read weights {path}: {exc}") from exc
    except Exception as exc:  # safetensors raises its own error type on corrupt headers
        if type(exc).__name__ == "SafetensorError":
            raise NoisyProbeError(f"cannot read weights {path}: {exc}") from exc
        raise
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise NoisyProbeError(f"cannot read weights {path}: expected a state dict")
    return state


def fingerprint_files(paths: Sequence[str | os.PathLike[str]]) -> str:
    """Fingerprint (16 hex) of the state dict held by ``paths`` together (shards merge).

    Equal tensors give equal fingerprints whatever the file format; computed once per
    process for unchanged files.

    Example:
        >>> import torch, tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "w.pt"
        >>> torch.save({"w": torch.ones(2)}, f)
        >>> fingerprint_files([f]) == fingerprint_state_dict({"w": torch.ones(2)})
        True
    """
    if not paths:
        raise NoisyProbeError("no weight files to fingerprint")
    resolved = sorted(Path(p).resolve() for p in paths)
    key_parts = []
    for path in resolved:
        try:
            stat = path.stat()
        except OSError as exc:
            raise NoisyProbeError(f"cannot read weights {path}: {exc.strerror}") from exc
        key_parts.append(f"{path}|{stat.st_size}|{stat.st_mtime_ns}")
    key = "\n".join(key_parts)
    if key in _MEMO:
        return _MEMO[key]
    disk = _read_disk_memo()
    value = disk.get(key)
    if not (isinstance(value, str) and len(value) == 16):
        state: dict[str, Any] = {}
        for path in resolved:
            state.update(load_state_dict(path))
        value = fingerprint_state_dict(state)
        _write_disk_memo(disk, key, value)
    _MEMO[key] = value
    return value


def _read_disk_memo() -> dict[str, Any]:
    try:
        data = json.loads((cache_dir() / _DISK_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_disk_memo(disk: dict[str, Any], key: str, value: str) -> None:
    entries = {k: v for k, v in disk.items() if k != key}
    entries = dict(list(entries.items())[-(_DISK_MAX_ENTRIES - 1) :])
    entries[key] = value
    with contextlib.suppress(OSError):  # a read-only cache only costs recomputation later
        write_json(cache_dir() / _DISK_FILE, entries)
