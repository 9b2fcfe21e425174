"""``noisyprobe datasets list|fetch|show``: what datasets exist, get them, look inside."""

from __future__ import annotations

import argparse
from typing import Any

from noisyprobe.commands._common import parse_key_values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datasets",
        help="list, fetch and inspect datasets",
        description="List the named datasets, fetch one into the cache, or show its classes "
        "and per-split label counts.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser("list", help="names, modality and a one-line summary")
    fetch = actions.add_parser("fetch", help="download or locate a dataset's source")
    fetch.add_argument("name", help="dataset name (noisyprobe datasets list)")
    fetch.add_argument("--path", help="use this source file or folder instead")
    fetch.add_argument("--force", action="store_true", help="download again (padchest-reports)")
    show = actions.add_parser("show", help="class list and counts per split and label column")
    show.add_argument("name", help="dataset name (noisyprobe datasets list)")
    show.add_argument("--path", help="dataset source file or folder")
    show.add_argument("--option", action="append", metavar="K=V", help="dataset option")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from noisyprobe import data

    if args.action == "list":
        for name in data.available():
            s = data.spec(name)
            print(f"{name:<18} {s.modality:<6} {s.summary}")
        return 0
    if args.action == "fetch":
        options: dict[str, Any] = {}
        if args.path:
            options["path"] = args.path
        if args.force:
            options["force"] = True
        print(data.fetch(args.name, **options))
        return 0
    options = parse_key_values(args.option)
    if args.path:
        options["path"] = args.path
    print(format_description(data.describe(args.name, **options)))
    return 0


def format_description(info: dict[str, Any]) -> str:
    """A markdown table: one row per class, one column per (label column, split).

    Example:
        >>> print(format_description({"name": "toy", "modality": "text", "num_samples": 3,
        ...     "classes": ["a", "b"], "columns": ["labels"], "splits": ["train"],
        ...     "counts": {"labels": {"train": [2, 1]}}, "asymmetric_map": None,
        ...     "metadata": {}}))
        toy: text, 3 samples, 2 classes
        <BLANKLINE>
        | class | labels/train |
        |---|---:|
        | a | 2 |
        | b | 1 |
        | total | 3 |
    """
    classes = info["classes"]
    header = [
        f"{info['name']}: {info['modality']}, {info['num_samples']:,} samples, "
        f"{len(classes)} classes"
    ]
    meta = info.get("metadata") or {}
    if meta.get("source"):
        sha = meta.get("sha256")
        suffix = f" (sha256 {sha[:12]})" if isinstance(sha, str) else ""
        header.append(f"source: {meta['source']}{suffix}")
    cells = [
        (column, split, info["counts"][column][split])
        for column in info["columns"]
        for split in info["splits"]
        if split in info["counts"][column]
    ]
    lines = [
        "| class | " + " | ".join(f"{c}/{s}" for c, s, _ in cells) + " |",
        "|---|" + "---:|" * len(cells),
    ]
    for k, name in enumerate(classes):
        lines.append(f"| {name} | " + " | ".join(str(v[k]) for _, _, v in cells) + " |")
    lines.append("| total | " + " | ".join(str(sum(v)) for _, _, v in cells) + " |")
    out = [*header, "", *lines]
    amap = info.get("asymmetric_map")
    if amap:
        pairs = ", ".join(f"{classes[int(a)]}->{classes[int(b)]}" for a, b in amap.items())
        out += ["", f"asymmetric map: {pairs}"]
    return "\n".join(out)
