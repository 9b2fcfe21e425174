"""Does the small-loss rule hold on frozen features? (the benchmark seed's case study)

Pure functions over per-sample training losses and predictions with a known noise mask:

- :func:`loss_overlap`: overlap coefficient OVL = ∫ min(f_clean, f_noisy) of the clean and
  noisy loss densities (1 = indistinguishable, 0 = perfectly separable). The seed reports
  53-61 % under frozen DINOv2 features.
- :func:`loss_auroc`: AUROC of the loss as a detector of noisy samples.
- :func:`matched_rate_detection`: at one selection rate (default: the realized clean share),
  the precision of small-loss selection versus prediction-agreement selection.
- :func:`collapsed_classes`: classes whose recall collapses to 0 while accuracy looks fine.
- :func:`small_loss_analysis`: all of it over a trainer's per-epoch history.

Nothing here trains; :mod:`noisyprobe.diagnostics.small_loss_study` wires in the trainer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError

DENSITY_METHODS = ("kde", "hist")


# --------------------------------------------------------------------------- densities
def loss_densities(
    clean_losses: np.ndarray,
    noisy_losses: np.ndarray,
    *,
    bins: int = 512,
    method: str = "kde",
) -> dict[str, np.ndarray]:
    """Densities of clean and noisy losses on one common grid (each integrates to 1).

    ``method="kde"``: Gaussian kernel density estimate of each group with Scott's bandwidth
    (``std(ddof=1) · n^(-1/5)``, as ``scipy.stats.gaussian_kde``), computed by linear binning
    onto ``bins`` grid points spanning both samples ± 4 bandwidths and a discrete Gaussian
    convolution (O(N + bins²), so a whole training history is cheap); a bandwidth is never
    below one grid step (a constant group becomes a narrow bump). ``method="hist"``: a
    histogram with ``bins`` equal bins over the pooled range.

    Returns:
        ``{"x": grid points or bin centres, "width": grid step, "clean": f, "noisy": g}``
        with ``sum(f) * width == 1``.

    Example:
        >>> d = loss_densities(np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0]), bins=64)
        >>> round(float(d["clean"].sum() * d["width"]), 6)
        1.0
    """
    clean = _losses(clean_losses, "clean_losses")
    noisy = _losses(noisy_losses, "noisy_losses")
    if not isinstance(bins, (int, np.integer)) or bins < 2:
        raise NoisyProbeError(f"bins: expected an integer >= 2, got {bins!r}")
    if method not in DENSITY_METHODS:
        raise NoisyProbeError(
            f"method: expected one of {', '.join(DENSITY_METHODS)}, got {method!r}"
        )
    lo = min(clean.min(), noisy.min())
    hi = max(clean.max(), noisy.max())
    if method == "hist":
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
        width = float(edges[1] - edges[0])
        dens = [np.histogram(v, bins=edges)[0] / (v.size * width) for v in (clean, noisy)]
        return {
            "x": (edges[:-1] + edges[1:]) / 2,
            "width": width,
            "clean": dens[0],
            "noisy": dens[1],
        }
    span = hi - lo
    floor = span * 1e-3 if span > 0 else max(abs(lo) * 1e-3, 1e-6)
    h = [_scott(v) for v in (clean, noisy)]
    reach = 4 * max(h[0], h[1], floor)
    grid = np.linspace(lo - reach, hi + reach, bins)
    width = float(grid[1] - grid[0])
    dens = [_binned_kde(v, grid, max(hv, width)) for v, hv in zip((clean, noisy), h)]
    return {"x": grid, "width": width, "clean": dens[0], "noisy": dens[1]}


def loss_overlap(
    clean_losses: np.ndarray,
    noisy_losses: np.ndarray,
    *,
    bins: int = 512,
    method: str = "kde",
) -> float:
    """Overlap coefficient ∫ min(f_clean, f_noisy) of the two loss densities, in [0, 1].

    See :func:`loss_densities` for the density estimate. Identical samples give exactly 1;
    for two normals with equal sigma the value approaches 2Φ(-|μ1 - μ2| / 2σ).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(0, 1, 20000), rng.normal(1, 1, 20000)
        >>> round(loss_overlap(a, b), 2)  # 2Φ(-0.5) = 0.617
        0.62
    """
    d = loss_densities(clean_losses, noisy_losses, bins=bins, method=method)
    return float(min(1.0, np.minimum(d["clean"], d["noisy"]).sum() * d["width"]))


def loss_auroc(losses: np.ndarray, is_noisy: np.ndarray) -> float:
    """AUROC of the per-sample loss as a score for "this label is noisy" (0.5 = no signal).

    Example:
        >>> loss_auroc(np.array([0.1, 0.2, 2.0, 0.3]), np.array([False, False, True, False]))
        1.0
    """
    from noisyprobe.metrics import auroc

    losses = _losses(losses, "losses")
    return float(auroc(losses, _mask(is_noisy, losses.size, "is_noisy")))


# ------------------------------------------------------------------ matched-rate selection
def matched_rate_detection(
    losses: np.ndarray,
    given_labels: np.ndarray,
    predictions: np.ndarray,
    is_noisy: np.ndarray,
    *,
    rate: float | None = None,
    peer_predictions: np.ndarray | None = None,
    epoch_predictions: np.ndarray | None = None,
) -> dict[str, Any]:
    """Precision of clean-sample selectors that all keep the same number of samples.

    Every selector ranks the samples and keeps the first ``round(rate · N)``; ``rate``
    defaults to ``1 - realized noise rate`` (a perfect selector then has precision 1):

    - ``small_loss``: smallest loss first;
    - ``agreement``: samples whose prediction equals the given label first, smaller loss first
      within each group (so the selected count is exact whether agreement is rarer or more
      common than the rate);
    - ``peer_agreement`` (with ``peer_predictions``): by how many of the two heads predict the
      given label (2, 1, 0), then loss;
    - ``epoch_agreement`` (with ``epoch_predictions`` [E, N]): by the share of those epochs
      whose prediction equals the given label, then loss.

    Remaining ties go to the smaller sample index. Each agreement selector also reports its
    ``natural_rate``/``natural_precision``: the share and precision of the samples in its top
    group (all heads/epochs agree), i.e. what it selects without rate matching.

    Returns:
        ``{"rate", "n_selected", "noise_rate", "chance_precision", <selector>: {"precision",
        "recall", ...}}`` where recall is the share of all clean samples that were selected.

    Example:
        >>> r = matched_rate_detection(
        ...     np.array([0.1, 0.2, 0.3, 0.9]), np.array([0, 1, 1, 0]),
        ...     np.array([0, 1, 0, 0]), np.array([False, False, True, False]))
        >>> r["n_selected"], r["small_loss"]["precision"], r["agreement"]["precision"]
        (3, 0.6666666666666666, 1.0)
    """
    losses = _losses(losses, "losses")
    n = losses.size
    given = _labels(given_labels, n, "given_labels")
    noisy = _mask(is_noisy, n, "is_noisy")
    clean = ~noisy
    if rate is None:
        rate = float(clean.mean())
    if not isinstance(rate, (int, float, np.floating)) or not 0 < rate <= 1:
        raise NoisyProbeError(f"rate: expected a selection rate in (0, 1], got {rate!r}")
    n_sel = max(1, int(round(rate * n)))
    out: dict[str, Any] = {
        "rate": float(rate),
        "n_selected": n_sel,
        "noise_rate": float(noisy.mean()),
        "chance_precision": float(clean.mean()),
    }
    out["small_loss"] = _selection_stats(np.zeros(n), losses, clean, n_sel)
    scores: dict[str, np.ndarray] = {
        "agreement": (_labels(predictions, n, "predictions") == given).astype(np.float64)
    }
    if peer_predictions is not None:
        peer = _labels(peer_predictions, n, "peer_predictions")
        scores["peer_agreement"] = scores["agreement"] + (peer == given)
    if epoch_predictions is not None:
        ep = np.asarray(epoch_predictions)
        if ep.ndim != 2 or ep.shape[1] != n or ep.shape[0] < 1:
            raise NoisyProbeError(
                f"epoch_predictions: expected shape [epochs, {n}], got {ep.shape}"
            )
        scores["epoch_agreement"] = (ep == given).mean(axis=0)
    for name, score in scores.items():
        stats = _selection_stats(score, losses, clean, n_sel)
        top = score == score.max()
        stats["natural_rate"] = float(top.mean())
        stats["natural_precision"] = float(clean[top].mean())
        out[name] = stats
    return out


def collapsed_classes(
    y_true: np.ndarray, y_pred: np.ndarray, *, num_classes: int | None = None
) -> dict[str, Any]:
    """Per-class recall and the classes whose recall is 0, beside accuracy and balanced accuracy.

    The seed's warning case: 68 % accuracy, 35 % balanced accuracy and three minority classes
    with zero recall. ``gap`` = accuracy - balanced accuracy.

    Example:
        >>> r = collapsed_classes(np.array([0, 0, 0, 0, 1, 2]), np.array([0, 0, 0, 0, 0, 2]))
        >>> r["zero_recall"], round(r["accuracy"], 3), round(r["balanced_accuracy"], 3)
        ([1], 0.833, 0.667)
    """
    from noisyprobe.metrics import (
        accuracy,
        balanced_accuracy,
        per_class_recall,
        zero_recall_classes,
    )

    t = np.asarray(y_true)
    c = (
        int(max(np.max(t, initial=-1), np.max(y_pred, initial=-1)) + 1)
        if num_classes is None
        else num_classes
    )
    acc = accuracy(t, y_pred)
    bacc = balanced_accuracy(t, y_pred, num_classes=c)
    zero = zero_recall_classes(t, y_pred, num_classes=c)
    return {
        "accuracy": acc,
        "balanced_accuracy": bacc,
        "gap": acc - bacc,
        "per_class_recall": per_class_recall(t, y_pred, num_classes=c),
        "zero_recall": zero,
        "collapsed": bool(zero),
    }


# ------------------------------------------------------------------------------ history
def small_loss_analysis(
    history: Mapping[str, np.ndarray],
    given_labels: np.ndarray,
    is_noisy: np.ndarray,
    *,
    epoch: int = -1,
    rate: float | None = None,
    agreement_window: int = 5,
    bins: int = 512,
    method: str = "kde",
) -> dict[str, Any]:
    """Loss overlap and AUROC per epoch, matched-rate precisions at ``epoch``.

    Args:
        history: the trainer's per-epoch record: ``"loss"`` float [E, N] (per-sample
            training loss against the given labels), ``"pred"`` int [E, N], optionally
            ``"pred_peer"`` int [E, N] (a second head).
        given_labels: the (noisy) training labels [N].
        is_noisy: True where the given label differs from the true one [N].
        epoch: epoch for the matched-rate comparison (negative counts from the end).
        rate: selection rate (default ``1 - realized noise rate``).
        agreement_window: ``epoch_agreement`` uses the predictions of this many epochs up
            to ``epoch`` (1 disables it).
        bins, method: density estimate of :func:`loss_overlap`.

    Returns:
        ``{"epochs", "epoch", "noise_rate", "overlap": [E], "auroc": [E],
        "mean_loss_clean": [E], "mean_loss_noisy": [E], "matched_rate": {...}}``; overlap
        and AUROC are NaN when the run has no noisy (or no clean) samples.

    Example:
        >>> h = {"loss": np.array([[0.1, 0.2, 0.9, 0.3]]), "pred": np.array([[0, 1, 1, 0]])}
        >>> r = small_loss_analysis(h, np.array([0, 1, 0, 0]), np.array([0, 0, 1, 0], bool))
        >>> r["auroc"], r["matched_rate"]["small_loss"]["precision"]
        ([1.0], 1.0)
    """
    if "loss" not in history or "pred" not in history:
        raise NoisyProbeError(
            "history: expected the keys 'loss' [epochs, N] and 'pred' [epochs, N]"
        )
    loss = np.asarray(history["loss"], dtype=np.float64)
    pred = np.asarray(history["pred"])
    if loss.ndim != 2 or pred.shape != loss.shape:
        raise NoisyProbeError(
            "history: 'loss' and 'pred' must both be [epochs, N]; "
            f"got {loss.shape} and {pred.shape}"
        )
    n_epochs, n = loss.shape
    if n_epochs == 0:
        raise NoisyProbeError("history: no epochs recorded")
    noisy = _mask(is_noisy, n, "is_noisy")
    given = _labels(given_labels, n, "given_labels")
    if not -n_epochs <= epoch < n_epochs:
        raise NoisyProbeError(f"epoch: expected -{n_epochs}..{n_epochs - 1}, got {epoch}")
    if not isinstance(agreement_window, (int, np.integer)) or agreement_window < 1:
        raise NoisyProbeError(
            f"agreement_window: expected an integer >= 1, got {agreement_window!r}"
        )
    e = epoch % n_epochs
    both = 0 < noisy.sum() < n
    nan = float("nan")
    overlap, auc, mean_clean, mean_noisy = [], [], [], []
    for row in loss:
        overlap.append(
            loss_overlap(row[~noisy], row[noisy], bins=bins, method=method) if both else nan
        )
        auc.append(loss_auroc(row, noisy) if both else nan)
        mean_clean.append(float(row[~noisy].mean()) if (~noisy).any() else nan)
        mean_noisy.append(float(row[noisy].mean()) if noisy.any() else nan)
    peer = history.get("pred_peer")
    window = pred[max(0, e - agreement_window + 1) : e + 1] if agreement_window > 1 else None
    matched = matched_rate_detection(
        loss[e],
        given,
        pred[e],
        noisy,
        rate=rate,
        peer_predictions=None if peer is None else np.asarray(peer)[e],
        epoch_predictions=window,
    )
    return {
        "epochs": n_epochs,
        "epoch": e,
        "noise_rate": float(noisy.mean()),
        "overlap": overlap,
        "auroc": auc,
        "mean_loss_clean": mean_clean,
        "mean_loss_noisy": mean_noisy,
        "matched_rate": matched,
    }


# ------------------------------------------------------------------------------ helpers
def _selection_stats(
    score: np.ndarray, losses: np.ndarray, clean: np.ndarray, n_sel: int
) -> dict[str, float]:
    order = np.lexsort((np.arange(losses.size), losses, -score))
    chosen = order[:n_sel]
    n_clean = int(clean.sum())
    return {
        "precision": float(clean[chosen].mean()),
        "recall": float(clean[chosen].sum() / n_clean) if n_clean else float("nan"),
    }


def _scott(v: np.ndarray) -> float:
    if v.size < 2:
        return 0.0
    return float(v.std(ddof=1) * v.size ** (-1 / 5))


def _binned_kde(v: np.ndarray, grid: np.ndarray, h: float) -> np.ndarray:
    g = grid.size
    width = grid[1] - grid[0]
    pos = np.clip((v - grid[0]) / width, 0, g - 1)
    left = np.minimum(np.floor(pos).astype(np.int64), g - 2)
    frac = pos - left
    mass = np.bincount(left, weights=1 - frac, minlength=g) + np.bincount(
        left + 1, weights=frac, minlength=g
    )
    half = min(int(np.ceil(4 * h / width)), g - 1)
    offsets = np.arange(-half, half + 1) * width
    kernel = np.exp(-0.5 * (offsets / h) ** 2)
    dens = np.convolve(mass, kernel)[half : half + g]
    return dens / (dens.sum() * width)


def _losses(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise NoisyProbeError(f"{name}: expected a non-empty 1-D array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise NoisyProbeError(f"{name}: contains NaN or Inf")
    return arr


def _mask(values: Any, n: int, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise NoisyProbeError(f"{name}: expected {n} booleans, got shape {arr.shape}")
    if arr.dtype != bool:
        if not np.isin(arr, (0, 1)).all():
            raise NoisyProbeError(f"{name}: expected booleans (or 0/1)")
        arr = arr.astype(bool)
    return arr


def _labels(values: Any, n: int, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,) or arr.dtype.kind not in "iu":
        raise NoisyProbeError(f"{name}: expected {n} integer labels, got {arr.dtype} {arr.shape}")
    return arr
