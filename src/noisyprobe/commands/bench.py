"""``noisyprobe bench``: run a grid into a ledger, summarise it, or export it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="run a benchmark grid into a resumable ledger; summarise or export it",
        description="Run every unfinished run of the grid SPEC into the SQLite ledger "
        "(kill it at any time and start it again: it redoes only unfinished runs). "
        "--summary LEDGER prints ranks, wins, Friedman test, critical difference and regret; "
        "--export FILE writes the runs as CSV or Parquet.",
    )
    p.add_argument("spec", nargs="?", help="grid spec (YAML), e.g. examples/bench-offline.yaml")
    p.add_argument("--ledger", help="SQLite ledger to create or resume (FILE.sqlite)")
    p.add_argument("--executor", choices=["local", "ray"], default="local")
    p.add_argument("--address", help="Ray cluster address (default: start a local Ray)")
    p.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--threads", type=int, help="PyTorch threads per local worker")
    p.add_argument("--stack-size", type=int, default=64, help="most runs per vectorised stack")
    p.add_argument("--no-regime", action="store_true", help="skip the selector's regime features")
    p.add_argument("--summary", metavar="LEDGER", help="print the summary tables of a ledger")
    p.add_argument("--metric", help="metric of the summary (default: the grid's)")
    p.add_argument("--alpha", type=float, default=0.05, help="level of the critical difference")
    p.add_argument(
        "--methods",
        help="with --summary: only these methods (comma-separated method labels), so that "
        "conditions some other method has not finished yet are compared too",
    )
    p.add_argument("--figures", metavar="DIR", help="with --summary: write CD diagram + heatmap")
    p.add_argument("--export", metavar="FILE", help="write the ledger's runs to FILE.csv/.parquet")
    p.add_argument("--all-runs", action="store_true", help="with --export: unfinished runs too")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from noisyprobe.errors import NoisyProbeError

    if args.summary and args.export:
        raise NoisyProbeError("give either --summary or --export, not both")
    if args.summary:
        if args.spec:
            raise NoisyProbeError("--summary takes the ledger, not a spec")
        return _summary(args)
    if args.export:
        if not args.ledger:
            raise NoisyProbeError("--export needs --ledger LEDGER")
        from noisyprobe.bench.export import export

        n = export(args.ledger, args.export, status=None if args.all_runs else "done")
        print(f"{args.export}: {n} runs")
        return 0
    if not args.spec:
        raise NoisyProbeError("give a grid SPEC (YAML), or --summary LEDGER / --export FILE")
    if not args.ledger:
        raise NoisyProbeError("--ledger FILE.sqlite is required to run a grid")
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from noisyprobe.bench.runner import run_grid
    from noisyprobe.errors import NoisyProbeError

    if args.executor == "ray":
        options = {"address": args.address}
    else:
        if args.address:
            raise NoisyProbeError("--address applies to --executor ray")
        options = {"workers": args.workers, "threads": args.threads}
    report = run_grid(
        args.spec,
        args.ledger,
        executor=args.executor,
        executor_options=options,
        stack_size=args.stack_size,
        regime=not args.no_regime,
        progress=not args.no_progress,
    )
    print(
        f"{args.ledger}: {report.total} runs in the grid, {report.already_done} already done, "
        f"{report.ran} run now, {report.failed} failed; {report.regimes} regimes estimated "
        f"({report.seconds:.1f} s)"
    )
    for line in report.failures:
        print(f"  failed: {line}", file=sys.stderr)
    return 1 if report.failed or report.failures else 0


def _summary(args: argparse.Namespace) -> int:
    from noisyprobe.bench.ledger import Ledger
    from noisyprobe.bench.summary import summarize, to_markdown

    with Ledger(args.summary, readonly=True) as ledger:
        metric = args.metric or ledger.get_meta("metric", "balanced_accuracy")
        runs = ledger.runs()
        counts = ledger.counts()
    s = summarize(
        runs, metric=metric, alpha=args.alpha, counts=counts, methods=method_list(args.methods)
    )
    print(to_markdown(s, title=f"Benchmark summary: {args.summary}"))
    if args.figures:
        from noisyprobe.bench.figures import cd_diagram, rank_heatmap

        out = Path(args.figures)
        m = s.matrix
        if s.friedman is not None:
            cd_path = cd_diagram(
                s.friedman.mean_ranks,
                m.methods,
                s.cd,
                s.cliques,
                out / "cd_diagram.png",
                title=f"{m.metric}: mean rank over {len(m.scores)} conditions",
            )
            heat_path = rank_heatmap(
                s.friedman.ranks,
                list(m.conditions["name"]),
                m.methods,
                out / "rank_heatmap.png",
                title=f"rank per condition ({m.metric})",
            )
            print(f"figures: {cd_path}, {heat_path}")
    return 0


def method_list(raw: str | None) -> list[str] | None:
    """``--methods a,b`` as a list (``None``: every method of the ledger).

    Example:
        >>> method_list("lp, gce"), method_list(None)
        (['lp', 'gce'], None)
    """
    if raw is None:
        return None
    names = [m.strip() for m in raw.split(",") if m.strip()]
    if not names:
        from noisyprobe.errors import NoisyProbeError

        raise NoisyProbeError("--methods: expected comma-separated method labels, got none")
    return names
