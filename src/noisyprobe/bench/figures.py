"""Figures of a benchmark summary: a critical-difference diagram and a rank heatmap (PNG).

matplotlib is imported inside the functions (``pip install 'noisyprobe[report]'``) with the
non-interactive Agg backend; files are written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from noisyprobe._figures import pyplot, save_png


def cd_diagram(
    mean_ranks: Sequence[float],
    methods: Sequence[str],
    cd: float,
    cliques: Sequence[Sequence[int]],
    path: str | os.PathLike[str],
    *,
    title: str = "",
) -> Path:
    """Demšar-style critical-difference diagram: methods on a rank axis, bars join the
    groups whose mean ranks lie within ``cd`` (not significantly different).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "cd.png"
        >>> cd_diagram([1.2, 2.0, 2.8], ["a", "b", "c"], 0.9, [(0, 1), (1, 2)], p).exists()
        True
    """
    plt = pyplot()
    ranks = np.asarray(mean_ranks, dtype=float)
    k = len(methods)
    order = np.argsort(ranks, kind="stable")
    half = (k + 1) // 2
    height = 1.2 + 0.32 * max(half, k - half) + 0.18 * len(cliques)
    fig, ax = plt.subplots(figsize=(7.5, height))
    lo, hi = 1, max(k, 2)
    ax.set_xlim(lo - 0.3, hi + 0.3)
    ax.set_ylim(0, height)
    top = height - 0.5
    ax.hlines(top, lo, hi, color="black", lw=1)
    for r in range(lo, hi + 1):
        ax.vlines(r, top, top + 0.08, color="black", lw=1)
        ax.text(r, top + 0.12, str(r), ha="center", va="bottom", fontsize=9)
    # CD scale bar
    ax.hlines(top + 0.38, lo, lo + cd, color="black", lw=1.5)
    # the label sits beside the bar, inside the axes: above it, it overlapped the bar's ends
    ax.text(lo + cd + 0.08, top + 0.38, f"CD = {cd:.2f}", ha="left", va="center", fontsize=8)
    for pos, j in enumerate(order):
        left = pos < half
        level = pos if left else k - 1 - pos
        y = top - 0.35 - 0.32 * level - 0.18 * len(cliques)
        x_text = lo - 0.25 if left else hi + 0.25
        ax.plot([ranks[j], ranks[j], x_text], [top, y, y], color="black", lw=0.8)
        ax.text(
            x_text + (-0.03 if left else 0.03),
            y,
            f"{methods[j]} ({ranks[j]:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=9,
        )
    for i, clique in enumerate(cliques):
        rs = ranks[list(clique)]
        y = top - 0.15 - 0.14 * i
        ax.hlines(y, rs.min() - 0.03, rs.max() + 0.03, color="tab:red", lw=3)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return save_png(fig, plt, path)


def rank_heatmap(
    ranks: np.ndarray,
    conditions: Sequence[str],
    methods: Sequence[str],
    path: str | os.PathLike[str],
    *,
    title: str = "",
) -> Path:
    """Heatmap of each method's rank (1 = best) in every condition.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "ranks.png"
        >>> rank_heatmap(np.array([[1, 2], [2, 1]]), ["c1", "c2"], ["a", "b"], p).exists()
        True
    """
    plt = pyplot()
    ranks = np.asarray(ranks, dtype=float)
    n, k = ranks.shape
    fig, ax = plt.subplots(figsize=(max(5.0, 3.0 + 0.6 * k), 1.5 + 0.22 * n))
    image = ax.imshow(ranks, cmap="viridis_r", aspect="auto", vmin=1, vmax=max(k, 2))
    ax.set_xticks(range(k), labels=list(methods), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels=list(conditions), fontsize=7)
    if n * k <= 600:
        for i in range(n):
            for j in range(k):
                dark = ranks[i, j] > (k + 1) / 2
                ax.text(
                    j,
                    i,
                    f"{ranks[i, j]:g}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if dark else "black",
                )
    fig.colorbar(image, ax=ax, label="rank (1 = best)")
    if title:
        ax.set_title(title, fontsize=10)
    return save_png(fig, plt, path)
