"""``noisyprobe report``: one self-contained HTML file of a benchmark ledger."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a ledger (tables and figures, no network)",
        description="Methods table, Friedman test and Nemenyi critical-difference diagram, rank "
        "heatmap, regret by noise kind and rate, per-class recall with zero-recall flags and "
        "selector validation of LEDGER; optionally diagnostics (noisyprobe diagnose --json) "
        "and study folders (JSON results and PNG/SVG figures). Needs noisyprobe[report].",
    )
    p.add_argument("ledger", metavar="LEDGER", help="benchmark ledger (from noisyprobe bench)")
    p.add_argument(
        "--diagnose",
        action="extend",
        nargs="+",
        default=[],
        metavar="JSON",
        help="diagnostics written by noisyprobe diagnose --json (repeatable)",
    )
    p.add_argument(
        "--study",
        action="extend",
        nargs="+",
        default=[],
        metavar="DIR",
        help="study folder with *.json results and *.png/*.svg figures (repeatable)",
    )
    p.add_argument("--out", required=True, help="the HTML file to write, e.g. report.html")
    p.add_argument("--metric", help="metric of the statistics (default: the ledger's)")
    p.add_argument("--alpha", type=float, default=0.05, help="level of the critical difference")
    p.add_argument("--title", help="page title")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from noisyprobe.report import write_report

    out = write_report(
        args.out,
        args.ledger,
        diagnose=args.diagnose,
        studies=args.study,
        metric=args.metric,
        alpha=args.alpha,
        title=args.title,
    )
    print(f"report: {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0
