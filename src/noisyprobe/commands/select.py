"""``noisyprobe select``: recommend a method for your data, or validate the selector."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "select",
        help="recommend a noisy-label method for a FeatureSet from a benchmark ledger",
        description="Estimate the noise regime of a FeatureSet's labelled training split from "
        "the data alone and recommend the method with the lowest regret expected from the "
        "nearest benchmark conditions. --validate LEDGER checks the selector by leaving one "
        "dataset out at a time.",
    )
    p.add_argument("--features", help="FeatureSet folder of your data")
    p.add_argument("--labels", help="label column with the given labels (default: main labels)")
    p.add_argument("--split", default="train", help="split describing your data (default train)")
    p.add_argument("--ledger", help="benchmark ledger (from noisyprobe bench)")
    p.add_argument("--validate", metavar="LEDGER", help="leave-one-dataset-out validation")
    p.add_argument("--k", type=int, default=5, help="nearest conditions (default 5)")
    p.add_argument(
        "--model",
        choices=("knn", "ridge", "validation", "blend", "blend-mean"),
        default="knn",
        help="selector: k-nearest conditions, per-method ridge (both on the regime "
        "features), the best noisy-validation score, or that score blended with ridge "
        "(blend) or with each method's mean benchmark regret (blend-mean); the last three "
        "train the ledger's methods on --features' train split, scored on its val split",
    )
    p.add_argument(
        "--validation-score",
        choices=("noisy", "corrected", "clean"),
        default="noisy",
        help="what validation and blend select on: the noisy val labels' balanced accuracy, "
        "that score corrected with the noise transition estimated on the training labels, "
        "or (--validate only, the ceiling) the val rows' clean labels",
    )
    p.add_argument(
        "--methods",
        help="only these ledger methods (comma-separated method labels): the conditions "
        "where all of them finished are used",
    )
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--metric", help="metric of the regret (default: the ledger's)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from noisyprobe.commands.bench import method_list
    from noisyprobe.errors import NoisyProbeError

    if args.validate:
        if args.features:
            raise NoisyProbeError("--validate takes only the ledger (no --features)")
        from noisyprobe.select.training import training_table
        from noisyprobe.select.validate import (
            guidance_markdown,
            leave_one_dataset_out,
            validation_markdown,
        )

        table = training_table(
            args.validate,
            metric=args.metric,
            methods=method_list(args.methods),
            validation_score=args.validation_score,
        )
        print(validation_markdown(leave_one_dataset_out(table, k=args.k, model=args.model)))
        print()
        print(guidance_markdown(table))
        return 0
    if not args.features or not args.ledger:
        raise NoisyProbeError("give --features DIR and --ledger LEDGER (or --validate LEDGER)")
    if args.validation_score == "clean":
        raise NoisyProbeError(
            "--validation-score clean needs clean labels: it measures selectors (--validate)"
        )
    from noisyprobe.bench.summary import markdown_table
    from noisyprobe.select.api import recommend
    from noisyprobe.select.validate import MODEL_NAMES

    sel = recommend(
        args.features,
        args.ledger,
        labels=args.labels,
        split=args.split,
        k=args.k,
        metric=args.metric,
        seed=args.seed,
        model=args.model,
        progress=not args.no_progress,
        validation_score=args.validation_score,
        methods=method_list(args.methods),
    )
    rec = sel.recommendation
    print(f"## Regime of {args.features} ({args.labels or 'labels'}, {sel.samples} samples)")
    print()
    print(markdown_table(["feature", "estimate"], [[k, f"{v:.4g}"] for k, v in sel.regime.items()]))
    print()
    print(f"## Recommendation (from {sel.conditions} benchmark conditions, {sel.metric})")
    print()
    ranked = sorted(rec.predicted.items(), key=lambda kv: kv[1])
    if sel.validation is None:
        print(f"**{rec.method}**, expected regret {rec.expected_regret:.2f} pp")
        print()
        rows = [[m, f"{v:.2f}"] for m, v in ranked]
        print(markdown_table(["method", "predicted regret (pp)"], rows))
    else:
        print(f"**{rec.method}** ({MODEL_NAMES[sel.model]}; prior weight {sel.weight:.1f})")
        print()
        rows = [[m, f"{100 * sel.validation[m]:.2f}", f"{v:.2f}"] for m, v in ranked]
        score = "corrected" if args.validation_score == "corrected" else "noisy"
        print(markdown_table(["method", f"{score}-val balanced acc.", "blended score"], rows))
    if rec.neighbours:
        print()
        print(
            "Nearest conditions: "
            + ", ".join(f"{n} ({d:.2f})" for n, d in zip(rec.neighbours, rec.distances))
        )
    return 0
