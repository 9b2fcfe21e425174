"""``noisyprobe demo``: the main job on the embedded default data."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on PadChest (and MNIST-5k) with offline backbones",
        description="Fetch PadChest, cache MiniLM features, measure the cost of real and "
        "injected label noise for robust heads, run a small benchmark grid, and write its "
        "self-contained HTML report (the path is printed last).",
    )
    p.add_argument("--quick", action="store_true", help="a smaller, faster version")
    p.add_argument(
        "--stage",
        action="append",
        choices=["cost", "heads", "bench"],
        help="run only these stages (repeatable; default: all)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from noisyprobe import demo

    return demo.run(quick=args.quick, progress=not args.no_progress, stages=args.stage or ())
