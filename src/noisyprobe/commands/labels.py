"""``noisyprobe labels audit``: rank likely-mislabelled samples, estimate the noise."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "labels",
        help="audit the labels of a FeatureSet (likely mislabelled samples, noise rate)",
        description="Label tools on cached features.",
    )
    actions = p.add_subparsers(dest="labels_command", metavar="ACTION")
    actions.required = True
    a = actions.add_parser(
        "audit",
        help="rank likely-mislabelled samples; estimate the noise rate and transition matrix",
        description="Cross-validated ensemble of linear heads on the features; confident "
        "learning's calibrated joint says how many samples of each label are of each other "
        "class, the samples with the largest such margins that every head predicts as "
        "another class are flagged, and the heads are refitted without them (--refits "
        "rounds) to re-rank.",
    )
    a.add_argument("--features", required=True, help="FeatureSet folder")
    a.add_argument("--labels", help="label column to audit (default: the main labels)")
    a.add_argument("--split", help="only this split (default: every labelled sample)")
    a.add_argument("--json", help="write the full audit as JSON here (atomically)")
    a.add_argument("--top", type=int, default=20, help="likely issues to print (default 20)")
    a.add_argument("--folds", type=int, default=5)
    a.add_argument("--refits", type=int, default=4, help="clean-and-refit rounds (default 4)")
    a.add_argument("--seed", type=int, default=0)
    a.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from noisyprobe._io import write_json
    from noisyprobe.errors import NoisyProbeError
    from noisyprobe.features.store import FeatureSet
    from noisyprobe.labels.finder import audit_featureset

    if args.top < 0:
        raise NoisyProbeError(f"--top: expected a count >= 0, got {args.top}")
    rows, result = audit_featureset(
        args.features,
        labels=args.labels,
        split=args.split,
        folds=args.folds,
        refits=args.refits,
        seed=args.seed,
    )
    fs = FeatureSet.load(args.features)
    column = fs.label_column(None if args.labels in (None, "labels") else args.labels)[rows]
    names = fs.classes
    flagged = int(result.issues.sum())
    print(
        f"{args.features} [{args.labels or 'labels'}]: {rows.size} samples, {flagged} likely "
        f"mislabelled, estimated noise rate {result.noise_rate:.3f} "
        f"(confident learning: {result.cl_noise_rate:.3f})"
    )
    order = [int(i) for i in result.ranking if result.issues[i]][: args.top]
    if order:
        print(f"{'id':>12}  {'given':<20} {'predicted':<20} score  p(given)")
        for i in order:
            print(
                f"{fs.ids[rows[i]]:>12}  {names[column[i]]:<20} "
                f"{names[result.predicted[i]]:<20} {result.scores[i]:.3f}  "
                f"{result.probs[i, column[i]]:.3f}"
            )
    if args.json:
        issues = np.flatnonzero(result.issues)
        write_json(
            args.json,
            {
                "features": str(args.features),
                "labels": args.labels or "labels",
                "samples": int(rows.size),
                "classes": names,
                "noise_rate": result.noise_rate,
                "cl_noise_rate": result.cl_noise_rate,
                "joint": result.joint,
                "transition": result.transition,
                "issues": [
                    {
                        "id": str(fs.ids[rows[i]]),
                        "row": int(rows[i]),
                        "given": names[column[i]],
                        "predicted": names[result.predicted[i]],
                        "score": float(result.scores[i]),
                    }
                    for i in issues[np.argsort(-result.scores[issues], kind="stable")]
                ],
                "ensemble": result.info,
            },
        )
        print(f"wrote {args.json}")
    return 0
