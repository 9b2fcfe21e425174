"""Resolve a grid's FeatureSets: use existing folders, extract missing dataset x backbone ones.

Only the manifest is read to describe a FeatureSet (its fingerprint, dataset, backbone and
label columns), so resolving a large grid costs no feature I/O.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from noisyprobe.bench.spec import FeatureSetEntry, FeatureSetInfo, GridSpec, canonical_json
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import read_manifest


def describe(name: str, path: str | os.PathLike[str]) -> FeatureSetInfo:
    """Describe the FeatureSet folder ``path`` from its manifest.

    The fingerprint is the sha256 of the canonical JSON of the manifest's per-array sha256
    table: it changes exactly when the stored features, labels or splits change.

    Example:
        >>> import numpy as np, tempfile, pathlib
        >>> from noisyprobe.features.store import FeatureSet
        >>> d = pathlib.Path(tempfile.mkdtemp()) / "fs"
        >>> _ = FeatureSet(np.ones((2, 3)), [0, 1], extra_labels={"rnn": [1, 0]}).save(d)
        >>> describe("toy", d).label_columns
        ('rnn',)
    """
    path = Path(path)
    manifest = read_manifest(path)
    hashes = manifest.get("sha256")
    if not isinstance(hashes, dict) or "features.npy" not in hashes:
        raise NoisyProbeError(f"corrupt FeatureSet at {path}: manifest has no array hashes")
    meta = manifest.get("metadata") or {}
    return FeatureSetInfo(
        name=name,
        path=path,
        fingerprint=hashlib.sha256(canonical_json(hashes).encode()).hexdigest(),
        dataset=str(meta.get("dataset") or name),
        backbone=str(meta.get("backbone") or ""),
        label_columns=tuple(manifest.get("extra_label_columns") or ()),
    )


def default_path(entry: FeatureSetEntry) -> Path:
    """Where a dataset x backbone FeatureSet without a ``path`` is cached."""
    from noisyprobe._io import cache_dir

    options = {
        "options": entry.options,
        "backbone_options": entry.backbone_options,
        "splits": entry.splits,
        "limit": entry.limit,
    }
    tag = hashlib.sha256(canonical_json(options).encode()).hexdigest()[:12]
    return cache_dir() / "features" / f"{entry.dataset}--{entry.backbone}-{tag}"


def resolve(entry: FeatureSetEntry, *, progress: bool = True) -> FeatureSetInfo:
    """Describe an entry's FeatureSet, extracting it first if it is a missing dataset x backbone.

    A view entry (``labels``, renamed ``label_columns`` or ``classes``) resolves the FeatureSet
    it relabels first, then derives the view next to it (``bench.views``): no re-encoding.

    Raises:
        NoisyProbeError: a ``path``-only entry whose folder holds no FeatureSet.
    """
    if entry.is_view:
        return _resolve_view(entry, progress=progress)
    path = entry.path if entry.path is not None else default_path(entry)
    if (path / "manifest.json").exists() or entry.dataset is None:
        if entry.dataset is None and not path.exists():
            raise NoisyProbeError(
                f"featuresets.{entry.name}.path: no FeatureSet at {path} "
                "(create it with `noisyprobe extract`, or give dataset and backbone)"
            )
        return describe(entry.name, path)
    from noisyprobe import backbones, data
    from noisyprobe.features.extract import extract, select_samples

    dataset = data.get(entry.dataset, **entry.options)
    backbone = backbones.get(entry.backbone, **entry.backbone_options)
    selected = select_samples(
        dataset, splits=list(entry.splits) if entry.splits else None, limit=entry.limit
    )
    extract(
        selected,
        backbone,
        path,
        progress=progress,
        options={"split": list(entry.splits) if entry.splits else None, "limit": entry.limit},
    )
    return describe(entry.name, path)


def _resolve_view(entry: FeatureSetEntry, *, progress: bool) -> FeatureSetInfo:
    from dataclasses import replace

    from noisyprobe.bench.views import derive_view, view_path

    base = resolve(replace(entry, labels=None, column_sources=(), classes=None), progress=progress)
    recipe = {
        "labels": entry.labels,
        "columns": [list(pair) for pair in entry.column_sources],
        "classes": list(entry.classes) if entry.classes is not None else None,
    }
    out = view_path(base.path, base.fingerprint, recipe)
    try:
        derive_view(
            base.path, out, labels=entry.labels, columns=entry.column_sources, classes=entry.classes
        )
    except NoisyProbeError as exc:
        raise NoisyProbeError(f"featuresets.{entry.name}.{exc}") from None
    return describe(entry.name, out)


def validate(info: FeatureSetInfo, spec: GridSpec) -> None:
    """Check a FeatureSet fully before any run starts: arrays, hashes, NaN, splits.

    A corrupt array or an ``eval_split`` the FeatureSet lacks must stop the grid now, not
    fail every stack later.

    Raises:
        NoisyProbeError: naming ``featuresets.<name>`` and the problem.
    """
    from noisyprobe.features.store import FeatureSet

    try:
        fs = FeatureSet.load(info.path, verify=True)
        fs.indices("train")
        fs.indices(spec.eval_split)
        if spec.train.get("early_stopping"):
            fs.indices("val")
    except NoisyProbeError as exc:
        raise NoisyProbeError(f"featuresets.{info.name}: {exc}") from None


def resolve_all(spec: GridSpec, *, progress: bool = True) -> dict[str, FeatureSetInfo]:
    """Resolve and validate every FeatureSet of ``spec`` (name -> info), refusing duplicates."""
    out: dict[str, FeatureSetInfo] = {}
    by_print: dict[str, str] = {}
    for entry in spec.featuresets:
        info = resolve(entry, progress=progress)
        validate(info, spec)
        if info.fingerprint in by_print:
            raise NoisyProbeError(
                f"featuresets.{entry.name}: same data as featuresets.{by_print[info.fingerprint]}"
            )
        by_print[info.fingerprint] = entry.name
        out[entry.name] = info
    return out
