"""``noisyprobe extract``: encode a dataset with a frozen backbone into a FeatureSet folder."""

from __future__ import annotations

import argparse

from noisyprobe.commands._common import parse_key_values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="cache frozen-backbone features of a dataset",
        description="Encode a dataset with a frozen backbone into a FeatureSet folder "
        "(resumable; an existing matching FeatureSet is a cache hit).",
    )
    p.add_argument("--dataset", required=True, help="dataset name (noisyprobe datasets list)")
    p.add_argument("--backbone", required=True, help="backbone name, or hf:<model dir>")
    p.add_argument("--out", required=True, help="FeatureSet folder to write")
    p.add_argument("--split", action="append", help="only these splits (repeatable)")
    p.add_argument("--limit", type=int, help="only the first N selected samples")
    p.add_argument("--path", help="dataset source file or folder")
    p.add_argument("--option", action="append", metavar="K=V", help="dataset option")
    p.add_argument("--backbone-option", action="append", metavar="K=V", help="backbone option")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--chunk-size", type=int, default=1024, help="samples per resumable chunk")
    p.add_argument("--force", action="store_true", help="rebuild a mismatched or corrupt cache")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from noisyprobe import backbones, data
    from noisyprobe.features.extract import extract, select_samples

    options = parse_key_values(args.option)
    if args.path:
        options["path"] = args.path
    dataset = data.get(args.dataset, **options)
    backbone = backbones.get(
        args.backbone, **parse_key_values(args.backbone_option, flag="--backbone-option")
    )
    selected = select_samples(dataset, splits=args.split, limit=args.limit)
    fs = extract(
        selected,
        backbone,
        args.out,
        batch_size=args.batch_size,
        chunk_size=args.chunk_size,
        force=args.force,
        progress=not args.no_progress,
        options={"split": args.split, "limit": args.limit},
    )
    print(f"{args.out}: {fs!r} backbone={fs.metadata.get('backbone_id')}")
    return 0
