"""``noisyprobe study inheritance|similarity``: the controlled studies of ``noisyprobe.studies``."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "study",
        help="controlled studies: pretraining-noise inheritance, fine-tuning similarity",
        description="Run a controlled study; writes results.json, table.md and *.png into --out.",
    )
    studies = p.add_subparsers(dest="study", metavar="STUDY")
    studies.required = True
    inh = studies.add_parser(
        "inheritance",
        help="pretrain a CNN at several label-noise levels, probe its frozen features",
        description="Pretrain a small CNN on Fashion-MNIST with nested symmetric label noise, "
        "freeze it, and run lp/mlp/nmtune/skd and the feature diagnostics on in-domain "
        "and out-of-domain tasks. Resumable: rerun with the same --out to continue.",
    )
    inh.add_argument("--out", required=True, help="output folder (results.json, table.md, *.png)")
    inh.add_argument("--quick", action="store_true", help="tiny sizes (seconds), for tests")
    inh.add_argument("--levels", help="noise rates, e.g. 0,0.05,0.1,0.2,0.3")
    inh.add_argument("--seeds", help="pretraining seeds, e.g. 0-4")
    inh.add_argument("--pretrain-size", type=int, help="pretraining images")
    inh.add_argument("--epochs", type=int, help="pretraining epochs")
    inh.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda when available)")
    inh.add_argument("--no-progress", action="store_true")
    inh.set_defaults(func=run_inheritance)


def _device(name: str) -> str:
    if name != "auto":
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_inheritance(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from noisyprobe.commands._common import parse_seeds
    from noisyprobe.studies.inheritance import InheritanceConfig, levels_from, run_study

    config = InheritanceConfig.quick() if args.quick else InheritanceConfig()
    changes: dict = {}
    if args.levels:
        changes["levels"] = levels_from(args.levels)
    if args.seeds:
        changes["seeds"] = tuple(parse_seeds(args.seeds))
    if args.pretrain_size:
        changes["pretrain_size"] = args.pretrain_size
    if args.epochs:
        changes["pretrain"] = replace(config.pretrain, epochs=args.epochs)
    config = replace(config, **changes)
    results = run_study(
        args.out, config, device=_device(args.device), progress=not args.no_progress
    )
    print(results["table"])
    for f in results["findings"]:
        verdict = {True: "holds", False: "does not hold", None: "n/a"}[f["holds"]]
        print(f"- {f['finding']}: {verdict} ({f['evidence']})")
    print(f"wrote {args.out}/results.json", file=sys.stderr)
    return 0
