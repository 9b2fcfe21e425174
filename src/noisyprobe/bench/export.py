"""Export a ledger's runs as CSV or Parquet (one row per run, every column)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from noisyprobe._io import atomic_path
from noisyprobe.errors import NoisyProbeError, require

FORMATS = (".csv", ".parquet")


def export(
    ledger_path: str | os.PathLike[str], out: str | os.PathLike[str], *, status: str | None = "done"
) -> int:
    """Write the runs of a ledger to ``out`` (format from the suffix); returns the row count.

    JSON columns (params, per-class recall, versions) stay JSON text so both formats hold the
    same values. Parquet needs pyarrow (``pip install 'noisyprobe[bench]'``).

    Example:
        >>> import tempfile, pathlib
        >>> from noisyprobe.bench.ledger import Ledger
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> Ledger(d / "l.sqlite").close()
        >>> export(d / "l.sqlite", d / "runs.csv")
        0
    """
    from noisyprobe.bench.ledger import Ledger

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise NoisyProbeError(f"--export {out}: expected a .csv or .parquet file name")
    with Ledger(ledger_path, readonly=True) as ledger:
        df = ledger.runs(status=status)
    for col in ("per_class_recall", "zero_recall_classes"):
        df[col] = [None if v is None else json.dumps(v) for v in df[col]]
    if suffix == ".parquet":
        require("pyarrow", extra="bench")
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False, engine="pyarrow")
    return len(df)
