"""PNG figures of the diagnostics (needs the ``report`` extra: matplotlib).

matplotlib is imported inside each function (Agg backend, no display); without it the
functions raise :class:`noisyprobe.errors.MissingExtraError` naming the extra. Every figure
is written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._figures import pyplot, save_png
from noisyprobe.errors import require


def check_plotting() -> None:
    """Raise MissingExtraError (``pip install 'noisyprobe[report]'``) if matplotlib is absent."""
    require("matplotlib", extra="report")


def plot_moment_histograms(
    summaries: Mapping[str, Mapping[str, Any]], path: str | os.PathLike[str], *, bins: int = 50
) -> Path:
    """Overlaid histograms of per-feature skewness and kurtosis, one curve per FeatureSet.

    ``summaries`` maps a name to a :func:`~noisyprobe.diagnostics.summaries.moment_summary`
    result. Both panels share bins over the central 99 % of the pooled values, so one
    extreme feature does not squash the rest.

    Example:
        >>> from noisyprobe.diagnostics.summaries import moment_summary
        >>> import tempfile, pathlib
        >>> s = moment_summary(np.random.default_rng(0).exponential(size=(500, 8)))
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "m.png"
        >>> plot_moment_histograms({"exp": s}, out).exists()
        True
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, label in ((axes[0], "skew", "skewness"), (axes[1], "kurt", "excess kurtosis")):
        pooled = np.concatenate([_finite(s[key]) for s in summaries.values()] or [np.zeros(1)])
        lo, hi = np.percentile(pooled, [0.5, 99.5]) if pooled.size else (0.0, 1.0)
        edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
        for name, s in summaries.items():
            ax.hist(np.clip(_finite(s[key]), lo, hi), bins=edges, histtype="step", label=name)
        ax.set_xlabel(f"per-feature {label}")
        ax.set_ylabel("features")
    axes[0].legend(fontsize=8)
    fig.suptitle("Feature distribution shape (SKD: pretraining noise flattens it)")
    return save_png(fig, plt, path)


def plot_singular_spectra(
    spectra: Mapping[str, np.ndarray], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Normalised singular values sigma_i / sum sigma against their index (log-log).

    Example:
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "s.png"
        >>> plot_singular_spectra({"a": np.array([3.0, 2.0, 1.0])}, out).exists()
        True
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, sigma in spectra.items():
        sigma = np.asarray(sigma, dtype=np.float64)
        total = sigma.sum()
        if total <= 0:
            continue
        p = sigma / total
        keep = p > 0
        ax.loglog(np.arange(1, p.size + 1)[keep], p[keep], label=name)
    ax.set_xlabel("index i")
    ax.set_ylabel("sigma_i / sum sigma")
    ax.set_title(title or "Singular spectrum (NMTune: SVE, LSVR)")
    ax.legend(fontsize=8)
    return save_png(fig, plt, path)


def plot_loss_densities(
    densities: Mapping[str, Mapping[str, np.ndarray]],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
) -> Path:
    """Clean vs noisy per-sample loss densities, one panel per entry.

    ``densities`` maps a panel title (e.g. a method name) to a
    :func:`~noisyprobe.diagnostics.small_loss.loss_densities` result, optionally with an
    ``"overlap"`` value to print in the panel.

    Example:
        >>> from noisyprobe.diagnostics.small_loss import loss_densities
        >>> import tempfile, pathlib
        >>> rng = np.random.default_rng(0)
        >>> d = loss_densities(rng.gamma(1, 0.3, 300), rng.gamma(3, 0.5, 100))
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "l.png"
        >>> plot_loss_densities({"lp": d}, out).exists()
        True
    """
    plt = pyplot()
    n = max(1, len(densities))
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), squeeze=False)
    for ax, (name, d) in zip(axes[0], densities.items()):
        ax.fill_between(d["x"], d["clean"], alpha=0.4, label="clean labels")
        ax.fill_between(d["x"], d["noisy"], alpha=0.4, label="noisy labels")
        overlap = d.get("overlap")
        ax.set_title(name if overlap is None else f"{name} (overlap {float(overlap):.2f})")
        ax.set_xlabel("per-sample training loss")
    axes[0][0].set_ylabel("density")
    axes[0][0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return save_png(fig, plt, path)


def _finite(values: Any) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[np.isfinite(arr)]
