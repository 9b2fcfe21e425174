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
    sim = studies.add_parser(
        "similarity",
        help="fine-tune EfficientNet-Lite0 (full, last blocks, low-rank adapter) and track "
        "CKA to the pretrained features, accuracy, ECE and forgetting",
        description="Fine-tune EfficientNet-Lite0 (ImageNet weights) on Fashion-MNIST in three "
        "modes over several seeds; per epoch accuracy, ECE, k-NN accuracy on MNIST-5k "
        "(forgetting proxy) and layer-wise linear CKA to the pretrained model. Writes the "
        "similarity-space plot and the CKA-ECE interval-average correlation. Resumable per run.",
    )
    sim.add_argument("--out", required=True, help="output folder (results.json, *.png)")
    sim.add_argument("--quick", action="store_true", help="tiny sizes (seconds), for tests")
    sim.add_argument("--seeds", help="seeds per mode, e.g. 0-3")
    sim.add_argument("--epochs", type=int, help="fine-tuning epochs")
    sim.add_argument("--image-size", type=int, help="input resolution (default 64)")
    sim.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda when available)")
    sim.set_defaults(func=run_similarity)


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


def run_similarity(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from noisyprobe.commands._common import parse_seeds
    from noisyprobe.studies.similarity import SimilarityConfig, run_study

    config = SimilarityConfig.quick() if args.quick else SimilarityConfig()
    changes: dict = {}
    if args.seeds:
        changes["seeds"] = tuple(parse_seeds(args.seeds))
    if args.epochs:
        changes["epochs"] = args.epochs
    if args.image_size:
        changes["image_size"] = args.image_size
    results = run_study(args.out, replace(config, **changes), device=_device(args.device))
    print(f"pretrained k-NN accuracy on MNIST-5k: {results['pretrained_knn_accuracy']:.4f}")
    for mode, m in results["final_by_mode"].items():
        print(
            f"{mode:>5}: accuracy {m['accuracy']:.4f}  ECE {m['ece']:.4f}  "
            f"k-NN {m['knn_accuracy']:.4f}  CKA {m['cka_mean']:.4f}"
        )
    c = results["correlation"]
    if c["pearson_r"] is not None:
        print(f"CKA-ECE on interval averages: r = {c['pearson_r']:+.3f}, slope {c['slope']:+.4f}")
    print(f"wrote {args.out}/results.json", file=sys.stderr)
    return 0
