"""Measure binary (absent/present) confusions between two real labellers of the same images.

Sources, all label files of the ``torchxrayvision==1.5.7`` wheel (``data/``):

- ``nih-google``: NIH ChestX-ray14's text-mined ``Finding Labels`` (noisy) against the
  Google expert labels of the same 4,374 images (``google2019_nih-chest-xray-labels``;
  reference). Findings: pneumothorax (NIH ``Pneumothorax``), nodule-or-mass (``Nodule`` or
  ``Mass``), airspace-opacity (``Consolidation``, ``Infiltration``, ``Pneumonia`` or
  ``Edema``). NIH has no fracture label, so fracture is left out.
- ``vindr-readers``: VinDr-CXR (``vinbigdata-train``), three radiologists per image. For
  each image and reader, the reference is the other two readers where they agree (images
  where they disagree are skipped for that reader) and the reader's own label is the noisy
  one; counts are summed over readers.
- ``iu-automatic``: IU X-ray reports, human MeSH coding (reference) against automatic
  indexing (``iu-xray-reports``).

Each result is ``{"counts": 2x2, "transition": 2x2 row-stochastic}``, rows = reference.
pandas is imported inside the functions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

NIH_GOOGLE = {
    "pneumothorax": ("Pneumothorax", ("Pneumothorax",)),
    "nodule-or-mass": ("Nodule or mass", ("Nodule", "Mass")),
    "airspace-opacity": (
        "Airspace opacity",
        ("Consolidation", "Infiltration", "Pneumonia", "Edema"),
    ),
}


def slug(name: str) -> str:
    """Lower-case, non-alphanumerics to ``-``.

    Example:
        >>> slug("Nodule/Mass"), slug("Pleural effusion")
        ('nodule-mass', 'pleural-effusion')
    """
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def confusion(reference: np.ndarray, noisy: np.ndarray) -> dict[str, Any]:
    """2 x 2 counts and row-normalized transition of 0/1 arrays.

    Example:
        >>> confusion(np.array([0, 0, 1]), np.array([0, 1, 1]))["counts"]
        [[1, 1], [0, 1]]
    """
    counts = np.zeros((2, 2), dtype=np.int64)
    np.add.at(counts, (np.asarray(reference, int), np.asarray(noisy, int)), 1)
    rows = counts.sum(axis=1, keepdims=True)
    trans = np.divide(counts, rows, out=np.eye(2), where=rows > 0)
    return {
        "counts": counts.tolist(),
        "transition": [[round(float(v), 6) for v in r] for r in trans],
    }


def measure_nih_google(path: Path) -> dict[str, dict[str, Any]]:
    """Per finding: Google expert (reference) vs NIH text-mined labels (noisy)."""
    import pandas as pd

    df = pd.read_csv(path, dtype=str)
    nih = df["Finding Labels"].fillna("").str.split("|")
    out = {}
    for name, (column, nih_names) in NIH_GOOGLE.items():
        ref = (df[column].str.upper() == "YES").to_numpy().astype(int)
        noisy = np.asarray([int(any(n in labels for n in nih_names)) for labels in nih])
        out[name] = confusion(ref, noisy)
    return out


def measure_vindr(path: Path) -> dict[str, dict[str, Any]]:
    """Per finding: one reader (noisy) vs the other two where they agree (reference)."""
    import pandas as pd

    df = pd.read_csv(path, usecols=["image_id", "class_name", "rad_id"], dtype=str)
    readers = df.groupby("image_id")["rad_id"].unique()
    readers = readers[readers.map(len) == 3]
    positive = set(zip(df["image_id"], df["rad_id"], df["class_name"], strict=True))
    out = {}
    for name in sorted(set(df["class_name"]) - {"No finding"}):
        ref_all, noisy_all = [], []
        for image, rads in readers.items():
            votes = [int((image, r, name) in positive) for r in rads]
            for i in range(3):
                others = votes[:i] + votes[i + 1 :]
                if others[0] == others[1]:
                    ref_all.append(others[0])
                    noisy_all.append(votes[i])
        out[slug(name)] = confusion(np.asarray(ref_all), np.asarray(noisy_all))
    return out


def measure_iu(path: Path) -> dict[str, dict[str, Any]]:
    """Per IU task: human MeSH (reference) vs automatic indexing (noisy)."""
    from noisyprobe.data._iu_parse import TASKS, label_columns, read_reports, usable

    reports = [r for r in read_reports(path) if usable(r)]
    out = {}
    for task in TASKS:
        human, auto = label_columns(reports, task)
        out["abnormal" if task == "normal" else task] = confusion(human, auto)
    return out


def measure_all(folder: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """All sources from the wheel's ``data/`` files in ``folder``.

    Example:
        >>> # measure_all(Path("~/.cache/noisyprobe/torchxrayvision").expanduser())
    """
    return {
        "nih-google": measure_nih_google(folder / "google2019_nih-chest-xray-labels.csv.gz"),
        "vindr-readers": measure_vindr(folder / "vinbigdata-train.csv.gz"),
        "iu-automatic": measure_iu(folder / "NLMCXR_reports.tgz"),
    }


if __name__ == "__main__":  # python -m noisyprobe.noise._empirical_measure > table.json
    import json
    import sys

    from noisyprobe.data._txv_fetch import fetch_members

    paths = fetch_members(
        ["google2019_nih-chest-xray-labels.csv.gz", "vinbigdata-train.csv.gz", "NLMCXR_reports.tgz"]
    )
    json.dump(measure_all(next(iter(paths.values())).parent), sys.stdout, indent=1)
