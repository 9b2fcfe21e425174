"""Summary, findings, table and figures of the inheritance study (pure over its records)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DIAGNOSTICS = ("sve", "lsvr", "skewness", "kurtosis")


def _stat(values: Sequence[float | None]) -> dict[str, Any]:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return {"mean": None, "std": None, "n": 0}
    return {
        "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
        "n": int(v.size),
    }


def summarize(records: Sequence[Mapping[str, Any]], levels: Sequence[float]) -> dict[str, Any]:
    """Mean, sample std and count over seeds of every number, per noise level.

    Example:
        >>> r = [{"rate": 0.0, "memorised": None, "clean_fit": 1.0, "pretrain_test_accuracy": .8,
        ...       "diagnostics": {"id": {"sve": 1.0}}, "accuracy": {"id_full": {"lp": .5}}}] * 2
        >>> summarize(r, [0.0])["0"]["accuracy"]["id_full"]["lp"]["mean"]
        0.5
    """
    out: dict[str, Any] = {}
    for level in levels:
        rs = [r for r in records if abs(r["rate"] - float(level)) < 1e-12]
        if not rs:
            continue
        entry: dict[str, Any] = {
            k: _stat([r[k] for r in rs])
            for k in ("memorised", "clean_fit", "pretrain_test_accuracy")
        }
        entry["accuracy"] = {
            task: {m: _stat([r["accuracy"][task][m] for r in rs]) for m in methods}
            for task, methods in rs[0]["accuracy"].items()
        }
        entry["diagnostics"] = {
            dom: {k: _stat([r["diagnostics"][dom][k] for r in rs]) for k in vals}
            for dom, vals in rs[0]["diagnostics"].items()
        }
        out[f"{float(level):g}"] = entry
    return out


def _series(
    summary: Mapping[str, Any], levels: Sequence[float], *path: str, stat: str = "mean"
) -> np.ndarray:
    """Per level, the ``stat`` (``"mean"`` or ``"std"``) at ``path``; NaN where absent."""
    vals = []
    for level in levels:
        node: Any = summary.get(f"{float(level):g}")
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        vals.append(np.nan if node is None or node[stat] is None else node[stat])
    return np.asarray(vals, dtype=np.float64)


def _ood_tasks(summary: Mapping[str, Any]) -> list[str]:
    first = next(iter(summary.values()))
    return [t for t in first["accuracy"] if t.startswith("ood_")]


def _methods(summary: Mapping[str, Any]) -> list[str]:
    first = next(iter(summary.values()))
    return list(next(iter(first["accuracy"].values())))


def findings(summary: Mapping[str, Any], levels: Sequence[float]) -> list[dict[str, Any]]:
    """Which of the papers' findings hold, each with ``holds`` (bool or None) and evidence.

    Example:
        >>> findings({}, [0.0])
        []
    """
    levels = [float(v) for v in levels]
    if not summary or len(levels) < 2 or levels[0] != 0.0:
        return []
    from scipy.stats import spearmanr

    out = []
    slight = [i for i, r in enumerate(levels) if 0 < r <= 0.1]
    for task in ("id_full", "id_fewshot"):
        acc = _series(summary, levels, "accuracy", task, "lp")
        sd = _series(summary, levels, "accuracy", task, "lp", stat="std")
        if slight and np.isfinite(acc).all():
            best = max(slight, key=lambda i: acc[i])
            out.append(
                {
                    "finding": "slight pretraining noise (5-10%) helps in-domain transfer "
                    f"({task}, lp)",
                    "holds": bool(acc[best] > acc[0]),
                    "evidence": f"lp accuracy {acc[0]:.4f} at 0% vs "
                    f"{acc[best]:.4f} at {levels[best]:g} (seed sd {sd[0]:.4f} / {sd[best]:.4f})",
                }
            )
    ood = _ood_tasks(summary)
    drops = {t: _series(summary, levels, "accuracy", t, "lp") for t in ood}
    hurt = [t for t, a in drops.items() if a[-1] < a[0]]
    rho = {t: float(spearmanr(levels, a).statistic) for t, a in drops.items()}
    out.append(
        {
            "finding": "pretraining noise always hurts out-of-domain transfer (lp)",
            "holds": len(hurt) == len(ood),
            "evidence": f"accuracy lower at {levels[-1]:g} than at 0 on "
            f"{len(hurt)}/{len(ood)} OOD tasks; "
            + ", ".join(f"{t} rho={r:+.2f}" for t, r in rho.items()),
        }
    )
    sve = _series(summary, levels, "diagnostics", "id", "sve")
    peak = int(np.nanargmax(sve))
    out.append(
        {
            "finding": "in-domain SVE first rises then falls with noise",
            "holds": bool(0 < peak < len(levels) - 1),
            "evidence": "SVE(ID) " + ", ".join(f"{r:g}:{v:.4f}" for r, v in zip(levels, sve)),
        }
    )
    lsvr = _series(summary, levels, "diagnostics", "ood", "lsvr")
    r_lsvr = float(spearmanr(levels, lsvr).statistic)
    out.append(
        {
            "finding": "out-of-domain LSVR increases monotonically with noise",
            "holds": bool(np.all(np.diff(lsvr) > 0)),
            "evidence": "LSVR(OOD) "
            + ", ".join(f"{r:g}:{v:.4f}" for r, v in zip(levels, lsvr))
            + f" (Spearman {r_lsvr:+.2f})",
        }
    )
    for dom in ("id", "ood"):
        sk = _series(summary, levels, "diagnostics", dom, "skewness")
        ku = _series(summary, levels, "diagnostics", dom, "kurtosis")
        out.append(
            {
                "finding": f"noise flattens the feature space: lower skewness and kurtosis ({dom})",
                "holds": bool(sk[-1] < sk[0] and ku[-1] < ku[0]),
                "evidence": f"skew {sk[0]:.3f} -> {sk[-1]:.3f}, kurt {ku[0]:.3f} -> {ku[-1]:.3f} "
                f"(0 -> {levels[-1]:g})",
            }
        )
    methods = _methods(summary)
    noisy = [i for i, r in enumerate(levels) if r > 0]
    for m in ("nmtune", "skd"):
        if m not in methods:
            continue
        for base in ("lp", "mlp"):
            if base not in methods:
                continue
            gains = [
                _series(summary, levels, "accuracy", t, m)[i]
                - _series(summary, levels, "accuracy", t, base)[i]
                for t in ood + ["id_full", "id_fewshot"]
                for i in noisy
            ]
            gains = np.asarray(gains)
            out.append(
                {
                    "finding": f"{m} recovers accuracy lost to pretraining noise (vs {base})",
                    "holds": bool(np.nanmean(gains) > 0),
                    "evidence": f"mean gain {np.nanmean(gains):+.4f} "
                    "over noisy levels and all tasks; "
                    f"positive in {int((gains > 0).sum())}/{gains.size}",
                }
            )
    return out


def _fmt(node: Mapping[str, Any] | None, scale: float = 100.0) -> str:
    if not node or node.get("mean") is None:
        return "-"
    return f"{node['mean'] * scale:.2f}±{node['std'] * scale:.2f}"


def table(summary: Mapping[str, Any], levels: Sequence[float]) -> str:
    """Markdown tables (mean ± std over seeds, accuracies in %) of the study.

    Example:
        >>> table({}, [0.0])
        ''
    """
    if not summary:
        return ""
    ood = _ood_tasks(summary)
    methods = _methods(summary)
    tasks = list(next(iter(summary.values()))["accuracy"])
    head = ["noise", "memorised %", "pretrain test %"] + [f"{t} lp" for t in tasks]
    head += ["SVE id", "LSVR ood", "skew id", "kurt id", "skew ood", "kurt ood"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for level in levels:
        e = summary.get(f"{float(level):g}")
        if e is None:
            continue
        d = e["diagnostics"]
        row = [f"{float(level):g}", _fmt(e["memorised"]), _fmt(e["pretrain_test_accuracy"])]
        row += [_fmt(e["accuracy"][t]["lp"]) for t in tasks]
        row += [_fmt(d["id"]["sve"], 1), _fmt(d["ood"]["lsvr"], 1)]
        row += [_fmt(d[dom][k], 1) for dom in ("id", "ood") for k in ("skewness", "kurtosis")]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "| noise | task | " + " | ".join(methods) + " |",
        "|---|---|" + "---|" * len(methods),
    ]
    for level in levels:
        e = summary.get(f"{float(level):g}")
        if e is None:
            continue
        for t in ["id_full", "id_fewshot"] + ood:
            if t in e["accuracy"]:
                lines.append(
                    f"| {float(level):g} | {t} | "
                    + " | ".join(_fmt(e["accuracy"][t][m]) for m in methods)
                    + " |"
                )
    return "\n".join(lines)


def write_figures(
    summary: Mapping[str, Any], levels: Sequence[float], out: str | Path
) -> list[str]:
    """``accuracy.png`` (per task, per head) and ``diagnostics.png`` vs noise level.

    Returns the written paths (empty without matplotlib).

    Example:
        >>> write_figures({}, [0.0], "/tmp")
        []
    """
    if not summary:
        return []
    from noisyprobe._figures import pyplot, save_png

    try:
        plt = pyplot()
    except ImportError:  # MissingExtraError: no figures without the report extra
        return []

    x = np.asarray(levels, dtype=float) * 100
    tasks = list(next(iter(summary.values()))["accuracy"])
    methods = _methods(summary)
    written = []
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 3.0), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for m in methods:
            mean = _series(summary, levels, "accuracy", task, m)
            std = _series(summary, levels, "accuracy", task, m, stat="std")
            ax.errorbar(x, mean * 100, yerr=std * 100, marker="o", capsize=2, label=m)
        ax.set_title(task)
        ax.set_xlabel("pretraining noise %")
    axes[0][0].set_ylabel("accuracy %")
    axes[0][0].legend(fontsize=7)
    written.append(str(save_png(fig, plt, Path(out) / "accuracy.png", dpi=110)))
    fig, axes = plt.subplots(1, 5, figsize=(16, 3.0))
    for ax, key in zip(axes, DIAGNOSTICS):
        for dom in ("id", "ood"):
            ax.errorbar(
                x,
                _series(summary, levels, "diagnostics", dom, key),
                yerr=_series(summary, levels, "diagnostics", dom, key, stat="std"),
                marker="o",
                capsize=2,
                label=dom,
            )
        ax.set_title(key)
        ax.set_xlabel("pretraining noise %")
        ax.legend(fontsize=7)
    axes[4].errorbar(
        x,
        _series(summary, levels, "memorised") * 100,
        yerr=_series(summary, levels, "memorised", stat="std") * 100,
        marker="o",
        capsize=2,
    )
    axes[4].set_title("flipped labels memorised %")
    axes[4].set_xlabel("pretraining noise %")
    written.append(str(save_png(fig, plt, Path(out) / "diagnostics.png", dpi=110)))
    return written
