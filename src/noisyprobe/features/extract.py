"""Batched, resumable feature extraction from a dataset through a frozen backbone.

Work proceeds in chunks; each finished chunk is saved under ``<out>.partial/``, so a killed
extraction resumes where it stopped and ends with the same arrays as an uninterrupted run
(backbones are batch-independent and chunking is fixed). The final FeatureSet is written
atomically and the partial folder removed. An existing, matching FeatureSet is a cache hit.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import load_npy, save_npy, write_json
from noisyprobe.backbones.base import Backbone
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet, read_manifest, verify_hashes

JOB_FILE = "job.json"


def cache_key(
    dataset: Dataset, backbone: Backbone, *, options: dict[str, Any] | None = None
) -> str:
    """sha256 naming exactly which samples, labels and weights a FeatureSet holds."""
    digest = hashlib.sha256()
    spec = {
        "dataset": dataset.name,
        # where the source file lies does not change the features; its sha256 does
        "dataset_metadata": {k: v for k, v in dataset.metadata.items() if k != "source"},
        "backbone": backbone.id,
        "preprocessing": backbone.preprocessing,
        "options": options or {},
    }
    digest.update(json.dumps(spec, sort_keys=True, default=str).encode())
    for arr in (dataset.ids, dataset.labels, dataset.splits, *dataset.extra_labels.values()):
        digest.update(_canonical_bytes(np.asarray(arr)))
    return digest.hexdigest()


def _canonical_bytes(arr: np.ndarray) -> bytes:
    """Bytes of an id/label/split array that do not depend on its numpy dtype width.

    ``<U60`` and ``<U66`` arrays of the same strings (a freshly parsed dataset vs one read
    back from a cache) must give the same cache key, and so must int32 and int64 labels.
    """
    if arr.dtype.kind in "US":
        return "\x00".join(arr.astype(str).tolist()).encode("utf-8") + b"\x00"
    if arr.dtype.kind in "iub":
        return np.ascontiguousarray(arr, dtype=np.int64).tobytes()
    return np.ascontiguousarray(arr).tobytes()


def select_samples(
    dataset: Dataset, *, splits: list[str] | None = None, limit: int | None = None
) -> Dataset:
    """Restrict a dataset to some splits and to its first ``limit`` samples (in order)."""
    idx = np.arange(len(dataset))
    if splits:
        unknown = sorted(set(splits) - set(dataset.splits.tolist()))
        if unknown:
            present = ", ".join(sorted(set(dataset.splits.tolist())))
            raise NoisyProbeError(f"--split {unknown[0]!r} not in dataset; present: {present}")
        idx = idx[np.isin(dataset.splits, splits)]
    if limit is not None:
        if limit <= 0:
            raise NoisyProbeError(f"--limit must be a positive integer, got {limit}")
        idx = idx[:limit]
    if idx.size == 0:
        raise NoisyProbeError("no samples selected (empty split)")
    return dataset if idx.size == len(dataset) else dataset.subset(idx)


def extract(
    dataset: Dataset,
    backbone: Backbone,
    out: str | os.PathLike[str],
    *,
    batch_size: int = 64,
    chunk_size: int = 1024,
    force: bool = False,
    progress: bool = True,
    options: dict[str, Any] | None = None,
) -> FeatureSet:
    """Encode every sample of ``dataset`` with ``backbone`` into a FeatureSet folder ``out``.

    Args:
        dataset: the samples (already restricted to what should be encoded).
        backbone: a frozen encoder of the same modality.
        out: destination folder.
        batch_size: samples per ``encode`` call.
        chunk_size: samples per resumable chunk on disk.
        force: rebuild even if ``out`` holds a FeatureSet (matching, mismatched or corrupt).
        progress: show a progress bar with samples/s.
        options: extra provenance that distinguishes caches (e.g. the CLI's split/limit).

    Returns:
        The FeatureSet (loaded from the cache on a hit).

    Example:
        >>> # from noisyprobe import backbones, data
        >>> # fs = extract(data.get("mnist-5k"), backbones.get("efficientnet-lite0"), "out/")
    """
    if batch_size <= 0 or chunk_size <= 0:
        raise NoisyProbeError("batch_size and chunk_size must be positive integers")
    if dataset.modality != backbone.modality:
        raise NoisyProbeError(
            f"backbone {backbone.name!r} encodes {backbone.modality}, "
            f"but dataset {dataset.name!r} holds {dataset.modality}"
        )
    out = Path(out)
    key = cache_key(dataset, backbone, options=options)
    check_replaceable(out)
    if out.exists() and not force and any(out.iterdir()):
        manifest = read_manifest(out)
        found = manifest.get("metadata", {}).get("cache_key")
        if found != key:
            raise NoisyProbeError(
                f"{out} holds features of a different dataset/backbone/options; "
                "choose another --out or rebuild with --force"
            )
        verify_hashes(out, manifest)
        return FeatureSet.load(out, verify=False)

    partial = _partial_path(out)
    job = {"cache_key": key, "num_samples": len(dataset), "chunk_size": chunk_size}
    _prepare_partial(partial, job, restart=force)
    n = len(dataset)
    starts = list(range(0, n, chunk_size))
    done = sum(min(chunk_size, n - s) for s in starts if (partial / _chunk_name(s)).exists())
    bar = _progress_bar(total=n, initial=done, enabled=progress, desc=f"extract {backbone.name}")
    t0 = time.perf_counter()
    try:
        for start in starts:
            file = partial / _chunk_name(start)
            if file.exists():
                continue
            stop = min(start + chunk_size, n)
            feats = _encode_chunk(dataset, backbone, start, stop, batch_size, bar)
            save_npy(file, feats)
    except Exception:
        # bad input (an unreadable image, NaN features): the user must change the data, so
        # leave nothing behind; a killed or interrupted run keeps its chunks and resumes
        bar.close()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    bar.close()
    features = np.concatenate([load_npy(partial / _chunk_name(s)) for s in starts], axis=0)
    metadata = {
        "cache_key": key,
        "dataset": dataset.name,
        "dataset_metadata": dataset.metadata,
        "modality": dataset.modality,
        "backbone": backbone.name,
        "backbone_id": backbone.id,
        "preprocessing": backbone.preprocessing,
        "options": options or {},
        "asymmetric_map": _map_to_json(dataset.asymmetric_map),
        "versions": package_versions(),
        "extraction_seconds": round(time.perf_counter() - t0, 3),
    }
    fs = FeatureSet(
        features,
        dataset.labels,
        dataset.splits,
        ids=dataset.ids,
        extra_labels=dataset.extra_labels,
        classes=dataset.classes,
        metadata=metadata,
    )
    fs.save(out, overwrite=True)
    shutil.rmtree(partial, ignore_errors=True)
    return FeatureSet.load(out, verify=False)


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape features and results (for manifests/ledgers)."""
    from importlib import metadata

    versions = {"python": sys.version.split()[0]}
    for name in ("noisyprobe", "numpy", "torch", "transformers", "sentence-transformers"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _encode_chunk(
    dataset: Dataset, backbone: Backbone, start: int, stop: int, batch_size: int, bar: Any
) -> np.ndarray:
    positions = np.arange(start, stop)
    keys = np.array([backbone.sort_key(dataset.items[int(i)]) for i in positions])
    order = np.argsort(keys, kind="stable")
    feats = np.empty((stop - start, backbone.dim), dtype=np.float32)
    for b in range(0, order.size, batch_size):
        rows = order[b : b + batch_size]
        batch = [dataset.items[int(positions[r])] for r in rows]
        encoded = np.asarray(backbone.encode(batch), dtype=np.float32)
        if encoded.shape != (len(batch), backbone.dim):
            raise NoisyProbeError(
                f"backbone {backbone.name!r} returned shape {encoded.shape}, "
                f"expected ({len(batch)}, {backbone.dim})"
            )
        if not np.isfinite(encoded).all():
            bad = int(positions[rows[int(np.flatnonzero(~np.isfinite(encoded).all(1))[0])]])
            raise NoisyProbeError(
                f"backbone {backbone.name!r} produced NaN/Inf features for sample "
                f"{str(dataset.ids[bad])!r}"
            )
        feats[rows] = encoded
        bar.update(len(batch))
    return feats


def check_replaceable(out: Path) -> None:
    """Refuse ``out`` (and ``<out>.partial``) unless it is absent or holds only our files.

    ``--force`` replaces a FeatureSet; it must never delete a folder of the user's that
    merely shares the name, so every entry must be a file this tool writes.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "notes.txt").write_text("mine")
        >>> check_replaceable(d)
        Traceback (most recent call last):
        noisyprobe.errors.NoisyProbeError: ... is not a FeatureSet ...
    """
    for folder, ours in ((out, _is_featureset_file), (_partial_path(out), _is_partial_file)):
        if not folder.exists() and not folder.is_symlink():
            continue
        if not folder.is_dir():
            raise NoisyProbeError(
                f"{folder} exists and is not a FeatureSet folder; choose another --out"
            )
        foreign = sorted(p.name for p in folder.iterdir() if not ours(p))
        if foreign:
            raise NoisyProbeError(
                f"{folder} is not a FeatureSet (it holds {foreign[0]!r}); refusing to replace "
                "it, choose another --out"
            )


def _partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def _is_featureset_file(p: Path) -> bool:
    name = p.name
    fixed = {"manifest.json", "features.npy", "labels.npy", "splits.npy", "ids.npy"}
    extra = name.startswith("labels.") and name.endswith(".npy")
    return p.is_file() and not p.is_symlink() and (name in fixed or extra)


def _is_partial_file(p: Path) -> bool:
    name = p.name
    chunk = name.startswith("chunk_") and name.endswith(".npy")
    return p.is_file() and not p.is_symlink() and (name == JOB_FILE or chunk)


def _prepare_partial(partial: Path, job: dict[str, Any], *, restart: bool) -> None:
    job_file = partial / JOB_FILE
    if partial.exists():
        try:
            same = json.loads(job_file.read_text()) == job
        except (OSError, json.JSONDecodeError):
            same = False
        if same and not restart:
            return
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    write_json(job_file, job)


def _chunk_name(start: int) -> str:
    return f"chunk_{start:010d}.npy"


def _map_to_json(mapping: dict[int, int] | None) -> dict[str, int] | None:
    return None if mapping is None else {str(k): int(v) for k, v in mapping.items()}


def _progress_bar(*, total: int, initial: int, enabled: bool, desc: str) -> Any:
    from noisyprobe._progress import progress_bar

    return progress_bar(
        total=total,
        initial=initial,
        enabled=enabled,
        desc=desc,
        unit="samples",
        unit_scale=True,
        dynamic_ncols=True,
        leave=True,
    )
