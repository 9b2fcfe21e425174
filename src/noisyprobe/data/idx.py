"""The IDX array format of MNIST and Fashion-MNIST (optionally gzip-compressed).

Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D
float32, 0x0E float64), the number of dimensions, then each dimension as a big-endian
uint32, then the data, big-endian, in C order.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from noisyprobe._io import atomic_path
from noisyprobe.errors import NoisyProbeError

_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (plain or gzip, detected from its first bytes) into a native array.

    Raises NoisyProbeError for a bad magic number, an unknown type code, or a size that
    does not match the header (a truncated download).

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "x-idx1-ubyte.gz"
        >>> write_idx(f, np.arange(5, dtype=np.uint8))
        >>> read_idx(f).tolist()
        [0, 1, 2, 3, 4]
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        magic = raw[:4].hex() or "empty file"
        raise NoisyProbeError(f"{path}: not an IDX file (magic number {magic}, expected 0000TTDD)")
    code, ndim = raw[2], raw[3]
    if code not in _DTYPES:
        raise NoisyProbeError(f"{path}: unknown IDX type code 0x{code:02x}")
    if ndim == 0:
        raise NoisyProbeError(f"{path}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise NoisyProbeError(f"{path}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = _DTYPES[code]
    count = int(np.prod(dims, dtype=np.int64))
    expected = count * dtype.itemsize
    if len(raw) - header != expected:
        raise NoisyProbeError(
            f"{path}: IDX data has {len(raw) - header} bytes, header {tuple(dims)} of "
            f"{dtype.name} needs {expected} (truncated or corrupt file)"
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzip-compressed when the name ends in ``.gz``.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "img-idx3-ubyte"
        >>> write_idx(f, np.zeros((2, 3, 3), np.uint8))
        >>> read_idx(f).shape
        (2, 3, 3)
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if native not in _CODES:
        raise NoisyProbeError(f"IDX cannot store dtype {array.dtype}")
    code = _CODES[native]
    if not 1 <= array.ndim <= 255:
        raise NoisyProbeError(f"IDX needs 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.name.endswith(".gz"):
            with gzip.open(tmp, "wb") as fh:
                fh.write(payload)
        else:
            tmp.write_bytes(payload)


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise NoisyProbeError(f"cannot read {path}: {exc}") from None
    return raw
