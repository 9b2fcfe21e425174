"""matplotlib for the package's PNG figures: imported on demand, Agg backend, atomic files.

Diagnostics, benchmark summaries, studies and the HTML report draw with these helpers, so
the optional import (``pip install 'noisyprobe[report]'``) and the write-then-rename of
each file live in one place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend.

    Raises:
        MissingExtraError: matplotlib is not installed (it names the ``report`` extra).

    Example:
        >>> plt = pyplot()
        >>> plt.get_backend().lower()
        'agg'
    """
    from noisyprobe.errors import require

    matplotlib = require("matplotlib", extra="report")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, plt: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Lay out ``fig``, write it to ``path`` as PNG atomically, and close it (even on error).

    Example:
        >>> import tempfile, pathlib
        >>> plt = pyplot()
        >>> fig, ax = plt.subplots()
        >>> save_png(fig, plt, pathlib.Path(tempfile.mkdtemp()) / "f.png").exists()
        True
    """
    from noisyprobe._io import atomic_path

    path = Path(path)
    try:
        fig.tight_layout()
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return path
