"""PadChest reports -> a single-label task with clean (physician) and noisy (RNN) labels.

Pure functions over a table with the official columns; no I/O. The rules:

1. A row is usable if its report is non-empty, its ``Labels`` cell parses as a list of
   strings (``ast.literal_eval``, never ``eval``), its ``MethodLabel`` is ``Physician`` or
   ``RNN_model`` and it has a ``PatientID``. Findings are stripped; empty strings dropped.
2. Single-finding rows are those whose finding *set* has one element. The K most frequent
   single findings (counted over all rows with parsable labels; ties by name) are the
   classes, most frequent first; the task keeps rows whose set is exactly one of them.
3. Reports are compared after whitespace normalisation. Physician rows take precedence:
   among them the first copy of a text is kept; RNN rows whose text occurs among the
   physician rows are dropped (no test text can reach training through the RNN pool).
   With ``finding`` set, the task is binary instead: every row with a parsable finding set
   is kept, labelled ``present`` (1) when the set holds ``finding`` and ``absent`` (0)
   otherwise (multi-finding reports included); ``num_classes`` is then ignored.
4. Patients are split train/val/test by a seeded hash of ``PatientID``. Physician rows get
   their patient's split; RNN rows form the noisy training pool, so those of val/test
   patients are dropped; then the first copy of each remaining RNN text is kept.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from noisyprobe.data._split import group_split
from noisyprobe.errors import NoisyProbeError

REQUIRED_COLUMNS = ("ImageID", "PatientID", "Report", "MethodLabel", "Labels")
PHYSICIAN = "Physician"
RNN = "RNN_model"


@dataclass
class PadChestTask:
    """The derived task: one row per kept report (physician rows first, then RNN rows)."""

    classes: list[str]
    texts: list[str]
    ids: np.ndarray
    physician: np.ndarray  # int64, -1 on RNN rows
    rnn: np.ndarray  # int64, -1 on physician rows
    splits: np.ndarray
    patients: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)


def normalize_report(text: Any) -> str:
    """Collapse whitespace; missing values (NaN, None) become ``""``.

    Example:
        >>> normalize_report("  sin  hallazg\\n patolog . ")
        'sin hallazg patolog .'
    """
    if not isinstance(text, str):
        return ""
    return " ".join(text.split())


def parse_findings(text: Any) -> frozenset[str] | None:
    """The finding set of a ``Labels`` cell such as ``"['normal', ' scoliosis']"``.

    Returns None for a missing or unparsable cell (or one that is not a list of strings).

    Example:
        >>> sorted(parse_findings("['normal', ' scoliosis', '']"))
        ['normal', 'scoliosis']
        >>> parse_findings("nan") is None
        True
    """
    if not isinstance(text, str):
        return None
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None
    return frozenset(v.strip() for v in value if v.strip())


def derive_task(
    frame: Any,
    *,
    num_classes: int,
    seed: int,
    fractions: tuple[float, float, float],
    finding: str | None = None,
) -> PadChestTask:
    """Apply the module's rules to a DataFrame holding :data:`REQUIRED_COLUMNS`.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"ImageID": ["a", "b"], "PatientID": ["p", "q"],
        ...     "Report": ["normal .", "cardiomegal ."], "MethodLabel": ["Physician"] * 2,
        ...     "Labels": ["['normal']", "['cardiomegaly']"]})
        >>> derive_task(df, num_classes=2, seed=0, fractions=(0.5, 0.0, 0.5)).classes
        ['cardiomegaly', 'normal']
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise NoisyProbeError(f"PadChest table lacks column(s) {', '.join(missing)}")
    n = len(frame)
    reports = [normalize_report(r) for r in frame["Report"].tolist()]
    method = np.asarray([m.strip() if isinstance(m, str) else "" for m in frame["MethodLabel"]])
    patients = np.asarray([p.strip() if isinstance(p, str) else "" for p in frame["PatientID"]])
    ids = np.asarray([str(i) for i in frame["ImageID"].tolist()])
    parsed: dict[Any, frozenset[str] | None] = {}
    findings = []
    for cell in frame["Labels"].tolist():
        key = cell if isinstance(cell, str) else None
        if key not in parsed:
            parsed[key] = parse_findings(cell)
        findings.append(parsed[key])

    single = Counter(next(iter(f)) for f in findings if f is not None and len(f) == 1)
    if finding is not None:
        classes, label = _binary_labels(findings, finding, reports, patients)
    elif len(single) < num_classes:
        raise NoisyProbeError(
            f"option num_classes: {num_classes} classes asked, but only {len(single)} distinct "
            "single findings exist"
        )
    if finding is None:
        ranked = sorted(single.items(), key=lambda kv: (-kv[1], kv[0]))
        classes = [name for name, _ in ranked[:num_classes]]
        index = {name: k for k, name in enumerate(classes)}
        label = np.full(n, -1, dtype=np.int64)
        for i, f in enumerate(findings):
            if f is not None and len(f) == 1 and reports[i] and patients[i]:
                label[i] = index.get(next(iter(f)), -1)
    in_task = label >= 0
    is_phys, is_rnn = in_task & (method == PHYSICIAN), in_task & (method == RNN)

    phys_rows, phys_texts = _first_of_each_text(np.flatnonzero(is_phys), reports)
    rnn_candidates = [i for i in np.flatnonzero(is_rnn) if reports[i] not in phys_texts]
    row_split = np.full(n, "", dtype="<U5")
    grouped = np.asarray(phys_rows + rnn_candidates, dtype=np.int64)
    if grouped.size:
        row_split[grouped] = group_split(patients[grouped], fractions, seed=seed)
    rnn_train = [i for i in rnn_candidates if row_split[i] == "train"]
    rnn_rows, _ = _first_of_each_text(np.asarray(rnn_train, dtype=np.int64), reports)

    rows = np.asarray(phys_rows + rnn_rows, dtype=np.int64)
    n_phys = len(phys_rows)
    physician = np.where(np.arange(rows.size) < n_phys, label[rows], -1)
    rnn = np.where(np.arange(rows.size) >= n_phys, label[rows], -1)
    splits = row_split[rows]
    _check_patients_disjoint(patients[rows], splits)
    stats = {
        "rows": n,
        "unparsable_labels": sum(f is None for f in findings),
        "missing_reports": sum(not r for r in reports),
        "unknown_method_label": int(np.isin(method, [PHYSICIAN, RNN], invert=True).sum()),
        "single_finding_rows": int(sum(single.values())),
        "top_single_findings": {name: int(single[name]) for name in classes}
        if finding is None
        else {},
        "task_rows": {"physician": int(is_phys.sum()), "rnn": int(is_rnn.sum())},
        "physician_duplicates_dropped": int(is_phys.sum()) - n_phys,
        "rnn_dropped_text_in_physician": int(is_rnn.sum()) - len(rnn_candidates),
        "rnn_dropped_val_test_patients": len(rnn_candidates) - len(rnn_train),
        "rnn_duplicates_dropped": len(rnn_train) - len(rnn_rows),
        "kept": {"physician": n_phys, "rnn": len(rnn_rows)},
    }
    if finding is not None:
        stats["finding"] = finding
        stats["present_rows"] = int((label == 1).sum())
    return PadChestTask(
        classes=classes,
        texts=[reports[i] for i in rows],
        ids=ids[rows],
        physician=physician.astype(np.int64),
        rnn=rnn.astype(np.int64),
        splits=splits,
        patients=patients[rows],
        stats=stats,
    )


def _binary_labels(
    findings: list[frozenset[str] | None], finding: str, reports: list[str], patients: Any
) -> tuple[list[str], np.ndarray]:
    """``absent``/``present`` labels of ``finding`` on every usable row (-1 elsewhere)."""
    counts = Counter(x for f in findings if f is not None for x in f)
    if counts[finding] == 0:
        common = ", ".join(name for name, _ in counts.most_common(8))
        raise NoisyProbeError(
            f"option finding: {finding!r} occurs in no report; common findings: {common}"
        )
    label = np.full(len(findings), -1, dtype=np.int64)
    for i, f in enumerate(findings):
        if f is not None and reports[i] and patients[i]:
            label[i] = int(finding in f)
    return ["absent", "present"], label


def _first_of_each_text(rows: np.ndarray, reports: list[str]) -> tuple[list[int], set[str]]:
    seen: set[str] = set()
    kept = []
    for i in rows.tolist():
        if reports[i] not in seen:
            seen.add(reports[i])
            kept.append(i)
    return kept, seen


def _check_patients_disjoint(patients: np.ndarray, splits: np.ndarray) -> None:
    owner: dict[str, str] = {}
    for patient, split in zip(patients.tolist(), splits.tolist()):
        if owner.setdefault(patient, split) != split:  # pragma: no cover - guards the rules
            raise AssertionError(f"patient {patient} is in {owner[patient]} and {split}")
