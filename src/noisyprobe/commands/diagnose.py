"""``noisyprobe diagnose``: feature-space diagnostics of FeatureSets, or the small-loss study.

Profile mode prints one column per FeatureSet (moments, spectrum, k-NN, CKA to the first);
``--small-loss`` trains heads on injected noise and prints loss overlap, loss AUROC and
matched-rate clean-sample precisions per method.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from noisyprobe.commands._common import parse_key_values, parse_seeds


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diagnose",
        help="feature-space diagnostics (skew/kurt, SVE/LSVR, k-NN, CKA) or the small-loss study",
        description="Profile FeatureSets side by side (skewness/kurtosis, singular value entropy, "
        "LSVR, effective rank, k-NN accuracy, CKA to the first), or with --small-loss train "
        "heads on injected label noise and measure whether small loss still finds clean samples.",
    )
    p.add_argument("--features", required=True, help="FeatureSet folder")
    p.add_argument("--compare", nargs="+", default=[], metavar="DIR", help="more FeatureSets")
    p.add_argument("--json", help="write all results as JSON here (atomically)")
    p.add_argument(
        "--figures", help="write PNG figures into this folder (needs noisyprobe[report])"
    )
    p.add_argument("--k", type=int, default=20, help="neighbours for k-NN (default 20)")
    p.add_argument("--metric", choices=["cosine", "euclidean"], default="cosine")
    p.add_argument(
        "--knn-queries",
        type=int,
        default=5000,
        help="evaluate k-NN on at most this many query samples, 0 = all (default 5000)",
    )
    p.add_argument("--labels", help="label column for k-NN / to corrupt (default: 'labels')")
    p.add_argument("--seed", type=int, default=0, help="seed of hold-out split and subsample")
    sl = p.add_argument_group("small-loss study")
    sl.add_argument("--small-loss", action="store_true", help="run the small-loss analysis")
    sl.add_argument("--noise", help="noise kind(s), comma-separated (e.g. symmetric,asymmetric)")
    sl.add_argument("--rate", help="noise rate(s), comma-separated (e.g. 0.2,0.4)")
    sl.add_argument("--counting", choices=["exact", "bernoulli"], default="exact")
    sl.add_argument("--method", action="append", help="method name (repeatable; default lp)")
    sl.add_argument(
        "--param", action="append", metavar="K=V", help="hyperparameter for all methods"
    )
    sl.add_argument("--seeds", default="0-2", help="e.g. 0-2 or 0,3 (default 0-2)")
    sl.add_argument("--epochs", type=int, help="training epochs (default: TrainConfig)")
    sl.add_argument("--lr", type=float, help="learning rate (default: TrainConfig)")
    sl.add_argument("--batch-size", type=int, help="mini-batch size (default: TrainConfig)")
    sl.add_argument("--device", default="cpu", help="cpu or cuda")
    sl.add_argument("--epoch", type=int, default=-1, help="epoch for matched-rate (default last)")
    sl.add_argument("--selection-rate", type=float, help="default: 1 - realized noise rate")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from noisyprobe._io import write_json
    from noisyprobe.errors import NoisyProbeError

    if args.figures:
        from noisyprobe.diagnostics.plots import check_plotting

        check_plotting()  # fail before the expensive work, naming the extra
    if args.k < 1:
        raise NoisyProbeError(f"--k: expected a positive integer, got {args.k}")
    if args.knn_queries < 0:
        raise NoisyProbeError(f"--knn-queries: expected >= 0, got {args.knn_queries}")
    if args.small_loss:
        result = _run_small_loss(args)
    else:
        if args.noise or args.rate:
            raise NoisyProbeError("--noise/--rate need --small-loss")
        result = _run_profiles(args)
    if args.json:
        write_json(args.json, jsonable(result))
        print(f"results written to {args.json}")
    return 0


# ----------------------------------------------------------------------------- profiles
def _run_profiles(args: argparse.Namespace) -> dict[str, Any]:
    from noisyprobe.diagnostics.profile import feature_profile
    from noisyprobe.features.store import FeatureSet

    paths = [args.features, *args.compare]
    names = column_names(paths)
    sets = [FeatureSet.load(p) for p in paths]
    profiles = {}
    for name, fs in zip(names, sets):
        profiles[name] = feature_profile(
            fs,
            reference=sets[0] if fs is not sets[0] else None,
            k=args.k,
            metric=args.metric,
            knn_queries=args.knn_queries or None,
            label_column=args.labels,
            seed=args.seed,
            progress=not args.no_progress,
        )
    print(format_profile_table(profiles, reference=names[0]))
    if args.figures:
        from noisyprobe.diagnostics.plots import plot_moment_histograms, plot_singular_spectra

        folder = Path(args.figures)
        moments = {n: p["moments"] for n, p in profiles.items() if p["moments"] is not None}
        written = [
            plot_moment_histograms(moments, folder / "moments.png"),
            plot_singular_spectra(
                {n: p["spectrum"]["uncentred"]["singular_values"] for n, p in profiles.items()},
                folder / "spectrum.png",
            ),
        ]
        print("figures: " + ", ".join(str(w) for w in written))
    return {"features": dict(zip(names, map(str, paths))), "profiles": profiles}


def column_names(paths: Sequence[str]) -> list[str]:
    """Folder names, or the paths themselves where two folders share a name."""
    base = [Path(p).name or str(p) for p in paths]
    return [b if base.count(b) == 1 else str(p) for b, p in zip(base, paths)]


def format_profile_table(profiles: Mapping[str, Mapping[str, Any]], *, reference: str) -> str:
    """One row per diagnostic, one column per FeatureSet (plain text, aligned).

    Example:
        >>> print(format_profile_table({"a": {"n": 3, "d": 2}}, reference="a").splitlines()[1])
        N                           3
    """

    def get(p: Mapping[str, Any], *keys: str) -> Any:
        for key in keys:
            if not isinstance(p, Mapping) or p.get(key) is None:
                return None
            p = p[key]
        return p

    rows: list[tuple[str, list[str]]] = []

    def row(label: str, fn: Any) -> None:
        rows.append((label, [fn(p) for p in profiles.values()]))

    row("N", lambda p: _fmt(p.get("n"), "d"))
    row("D", lambda p: _fmt(p.get("d"), "d"))
    row("skew mean", lambda p: _fmt(get(p, "moments", "skew_mean")))
    row("skew median", lambda p: _fmt(get(p, "moments", "skew_median")))
    row("share |skew| > 1", lambda p: _fmt(get(p, "moments", "share_abs_skew_gt")))
    row("kurt mean", lambda p: _fmt(get(p, "moments", "kurt_mean")))
    row("kurt median", lambda p: _fmt(get(p, "moments", "kurt_median")))
    row("share |kurt| > 3", lambda p: _fmt(get(p, "moments", "share_abs_kurt_gt")))
    for conv in ("uncentred", "centred"):
        row(f"SVE ({conv})", lambda p, c=conv: _fmt(get(p, "spectrum", c, "sve")))
        row(f"LSVR ({conv})", lambda p, c=conv: _fmt(get(p, "spectrum", c, "lsvr")))
        row(
            f"effective rank ({conv})",
            lambda p, c=conv: _fmt(get(p, "spectrum", c, "effective_rank"), ".1f"),
        )
    row("k-NN protocol", lambda p: get(p, "knn", "protocol") or "-")
    row("k-NN accuracy", lambda p: _fmt(get(p, "knn", "accuracy")))
    row("k-NN balanced accuracy", lambda p: _fmt(get(p, "knn", "balanced_accuracy")))
    row("k-NN vote ECE (15 bins)", lambda p: _fmt(get(p, "knn", "ece")))
    row(f"CKA to {reference}", lambda p: _fmt(get(p, "cka_to_reference", "linear_cka")))
    row("debiased CKA", lambda p: _fmt(get(p, "cka_to_reference", "debiased_cka")))
    return _table(["diagnostic", *profiles], rows)


# --------------------------------------------------------------------------- small loss
def _run_small_loss(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import replace

    from noisyprobe.errors import NoisyProbeError

    if args.compare:
        raise NoisyProbeError("--small-loss takes one FeatureSet; drop --compare")
    if not args.noise or args.rate is None:
        raise NoisyProbeError("--small-loss needs --noise KIND and --rate R")
    kinds = [k.strip() for k in args.noise.split(",") if k.strip()]
    try:
        rates = [float(r) for r in args.rate.split(",") if r.strip()]
    except ValueError:
        raise NoisyProbeError(
            f"--rate {args.rate!r}: expected numbers like 0.2 or 0.2,0.4"
        ) from None
    if not kinds or not rates:
        raise NoisyProbeError("--noise and --rate need at least one value each")
    from noisyprobe.diagnostics.small_loss_study import run_small_loss_study
    from noisyprobe.features.store import FeatureSet
    from noisyprobe.methods import available
    from noisyprobe.train import TrainConfig

    methods = args.method or ["lp"]
    unknown = [m for m in methods if m not in available()]
    if unknown:
        raise NoisyProbeError(
            f"unknown method {unknown[0]!r}; expected one of: {', '.join(available())}"
        )
    params = parse_key_values(args.param, flag="--param")
    overrides = {
        k: v
        for k, v in {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size}.items()
        if v is not None
    }
    config = replace(TrainConfig(), device=args.device, **overrides)
    fs = FeatureSet.load(args.features)
    epoch_name = "final epoch" if args.epoch == -1 else f"epoch {args.epoch}"
    studies = []
    for kind in kinds:
        for rate in rates:
            study = run_small_loss_study(
                fs,
                noise_kind=kind,
                rate=rate,
                methods={m: params for m in methods},
                seeds=parse_seeds(args.seeds),
                config=config,
                label_column=args.labels,
                counting=args.counting,
                epoch=args.epoch,
                selection_rate=args.selection_rate,
                progress=not args.no_progress,
            )
            print(format_small_loss_table(study, fs.classes))
            print()
            if args.figures:
                from noisyprobe.diagnostics.plots import plot_loss_densities

                out = Path(args.figures) / f"loss_densities_{kind}_{rate:g}.png"
                plot_loss_densities(
                    study["densities"], out, title=f"{kind} noise, rate {rate:g} ({epoch_name})"
                )
                print(f"figure: {out}")
            studies.append(study)
    return {"features": str(args.features), "config": dict(config.__dict__), "studies": studies}


def format_small_loss_table(study: Mapping[str, Any], classes: Sequence[str]) -> str:
    """One row per method: overlap, AUROC and matched-rate precisions (means over seeds)."""
    cond = study["condition"]
    title = (
        f"## small-loss analysis: {cond['noise_kind']} noise, rate {cond['rate']:g} "
        f"({cond['counting']}), seeds {', '.join(map(str, study['seeds']))}"
    )
    rows = []
    for method, s in study["summary"].items():
        zero = [classes[c] for c in s.get("zero_recall_classes", [])]
        rows.append(
            (
                method,
                [
                    _fmt(s["noise_rate"], ".3f"),
                    _fmt(s["overlap"]),
                    _fmt(s["auroc"]),
                    _fmt(s["selection_rate"], ".3f"),
                    _fmt(s.get("precision_small_loss")),
                    _fmt(s.get("precision_agreement")),
                    _fmt(s.get("precision_peer_agreement")),
                    _fmt(s.get("precision_epoch_agreement")),
                    _fmt(s.get("accuracy")),
                    _fmt(s.get("balanced_accuracy")),
                    ", ".join(zero) or "-",
                ],
            )
        )
    header = [
        "method",
        "noise",
        "overlap",
        "loss AUROC",
        "sel. rate",
        "P small-loss",
        "P agree",
        "P peer",
        "P epochs",
        "accuracy",
        "bal. acc",
        "zero recall",
    ]
    note = (
        "overlap = shared area of clean/noisy loss densities; P = precision of the clean set "
        "each selector keeps at the same rate"
    )
    return f"{title}\n{_table(header, rows)}\n{note}"


# ------------------------------------------------------------------------------ helpers
def _fmt(value: Any, spec: str = ".4f") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan"
    return format(value, spec)


def _table(header: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    cells = [list(header)] + [[label, *vals] for label, vals in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    lines = []
    for r in cells:
        first = str(r[0]).ljust(widths[0])
        lines.append("  ".join([first, *(str(v).rjust(w) for v, w in zip(r[1:], widths[1:]))]))
    return "\n".join(lines)


def jsonable(value: Any) -> Any:
    """Arrays -> lists, NumPy scalars -> Python, NaN/Inf -> None (strict JSON)."""
    import numpy as np

    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value
