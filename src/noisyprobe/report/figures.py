"""Figures of the report as ``data:`` URIs (needs the ``report`` extra: matplotlib).

New figures are drawn here and embedded as SVG; the existing PNG figures of
:mod:`noisyprobe.bench.figures` and :mod:`noisyprobe.diagnostics.plots` are rendered into a
temporary folder by :func:`via_png` and embedded as PNG.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._figures import pyplot
from noisyprobe.errors import NoisyProbeError

MIME = {".png": "image/png", ".svg": "image/svg+xml"}


def data_uri(payload: bytes, mime: str) -> str:
    """Base64 ``data:`` URI of bytes.

    Example:
        >>> data_uri(b"<svg/>", "image/svg+xml")
        'data:image/svg+xml;base64,PHN2Zy8+'
    """
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def file_uri(path: str | os.PathLike[str]) -> str:
    """A PNG or SVG file as a ``data:`` URI.

    Raises:
        NoisyProbeError: not a .png/.svg file, or unreadable.
    """
    path = Path(path)
    mime = MIME.get(path.suffix.lower())
    if mime is None:
        raise NoisyProbeError(f"{path}: expected a .png or .svg figure")
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise NoisyProbeError(f"cannot read figure {path}: {exc.strerror}") from None
    return data_uri(payload, mime)


def svg_uri(fig: Any) -> str:
    """Render a matplotlib figure to SVG (text kept as text, no date) and close it."""
    plt = pyplot()
    try:
        fig.tight_layout()
        buf = io.BytesIO()
        with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "noisyprobe"}):
            fig.savefig(buf, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    return data_uri(buf.getvalue(), MIME[".svg"])


def via_png(draw: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Run a figure function that writes a PNG to the path after ``args``; embed that PNG.

    Example:
        >>> from noisyprobe.bench.figures import rank_heatmap
        >>> via_png(rank_heatmap, np.array([[1, 2]]), ["c"], ["a", "b"])[:22]
        'data:image/png;base64,'
    """
    with tempfile.TemporaryDirectory(prefix="noisyprobe-report-") as tmp:
        path = Path(tmp) / "figure.png"
        draw(*args, path, **kwargs)
        return data_uri(path.read_bytes(), MIME[".png"])


def matrix_heatmap(
    values: np.ndarray,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    title: str,
    label: str,
    cmap: str = "magma_r",
    vmin: float | None = None,
    vmax: float | None = None,
    flags: np.ndarray | None = None,
    digits: int = 1,
) -> str:
    """A labelled heatmap with the value in each cell; ``flags`` marks cells with a red box.

    Example:
        >>> matrix_heatmap(np.eye(2), ["a", "b"], ["x", "y"], title="t", label="v")[:26]
        'data:image/svg+xml;base64,'
    """
    plt = pyplot()
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    fig, ax = plt.subplots(figsize=(max(5.0, 2.5 + 0.75 * k), 1.4 + 0.3 * n))
    masked = np.ma.masked_invalid(values)
    image = ax.imshow(masked, cmap=cmap, aspect="auto", vmin=vmin, vmax=vmax)
    ax.set_xticks(range(k), labels=list(cols), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels=list(rows), fontsize=8)
    finite = values[np.isfinite(values)]
    mid = (float(finite.min()) + float(finite.max())) / 2 if finite.size else 0.0
    if n * k <= 900:
        for i in range(n):
            for j in range(k):
                v = values[i, j]
                text = "n/a" if not np.isfinite(v) else f"{v:.{digits}f}"
                dark = np.isfinite(v) and (v > mid) == (cmap.endswith("_r"))
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "black",
                )
    if flags is not None:
        for i, j in zip(*np.nonzero(np.asarray(flags, dtype=bool))):
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2))
    fig.colorbar(image, ax=ax, label=label)
    ax.set_title(title, fontsize=10)
    return svg_uri(fig)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str) -> str:
    """Horizontal bars, one per label, in the given order (top to bottom).

    Example:
        >>> bar_chart(["a", "b"], [1.0, 2.0], title="t", xlabel="x")[:26]
        'data:image/svg+xml;base64,'
    """
    plt = pyplot()
    vals = np.asarray(values, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(7.0, 1.0 + 0.32 * len(labels)))
    y = np.arange(len(labels))
    ax.barh(y, np.nan_to_num(vals), color="tab:blue")
    ax.set_yticks(y, labels=list(labels), fontsize=8)
    ax.invert_yaxis()
    for yi, v in zip(y, vals):
        ax.text(float(np.nan_to_num(v)), yi, f" {v:.2f}", va="center", fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    return svg_uri(fig)
