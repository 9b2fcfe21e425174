"""Read the Indiana University chest X-ray reports (``NLMCXR_reports.tgz``) and code findings.

Each XML report carries free text (``AbstractText`` with ``Label`` FINDINGS, IMPRESSION,
...) and two MeSH codings of the SAME report: ``<major>`` terms coded by people
(``Heading/qualifier/...``, or ``normal``) and ``<automatic>`` terms from automatic
indexing (absent when the indexer found nothing). A finding is present in a coding when
one of its keywords is a substring of a lower-cased major heading or automatic term.
"""

from __future__ import annotations

import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from noisyprobe.errors import NoisyProbeError

# finding -> keywords matched (as substrings) in both codings
FINDINGS: dict[str, tuple[str, ...]] = {
    "cardiomegaly": ("cardiomegal",),
    "effusion": ("effusion",),
    "opacity": ("opacit",),
    "atelectasis": ("atelecta",),
    "granuloma": ("granulom",),
    "emphysema": ("emphysema",),
    "pneumonia": ("pneumonia",),
    "edema": ("edema",),
    "scarring": ("cicatri", "scar"),
}
TASKS = ("normal", *FINDINGS)
TEXT_SECTIONS = ("FINDINGS", "IMPRESSION")


@dataclass(frozen=True)
class Report:
    """One parsed report: its id, text and the two codings (lower-cased)."""

    id: str
    text: str
    major: tuple[str, ...]
    automatic: tuple[str, ...]
    licence: str


def parse_report(xml: bytes) -> Report:
    """Parse one report's XML.

    Example:
        >>> x = (b"<eCitation><IUXRId id='7'/><licenseURL>L</licenseURL>"
        ...      b"<AbstractText Label='FINDINGS'>Big heart.</AbstractText>"
        ...      b"<MeSH><major>Cardiomegaly/mild</major><automatic>Cardiomegaly</automatic>"
        ...      b"</MeSH></eCitation>")
        >>> r = parse_report(x)
        >>> r.id, r.text, r.major, r.automatic
        ('CXR7', 'Big heart.', ('cardiomegaly',), ('cardiomegaly',))
    """
    root = ET.fromstring(xml)
    node = root.find(".//IUXRId")
    if node is None or not node.get("id"):
        raise NoisyProbeError("IU X-ray report without an IUXRId")
    sections = {a.get("Label"): (a.text or "").strip() for a in root.iter("AbstractText")}
    text = " ".join(sections[s] for s in TEXT_SECTIONS if sections.get(s))
    majors = [e.text for e in root.iter("major") if e.text and e.text.strip()]
    major = tuple(m.split("/")[0].strip().lower() for m in majors)
    automatic = tuple(e.text.strip().lower() for e in root.iter("automatic") if e.text)
    lic = root.findtext(".//licenseURL") or ""
    return Report(f"CXR{node.get('id')}", text, major, automatic, lic.strip())


def read_reports(path: Path) -> list[Report]:
    """All reports of the tgz, sorted by numeric id.

    Example:
        >>> # read_reports(Path("NLMCXR_reports.tgz"))[0].id  -> 'CXR1'
    """
    out: list[Report] = []
    try:
        with tarfile.open(path, "r:*") as tf:
            for member in tf:
                if member.isfile() and member.name.endswith(".xml"):
                    fh = tf.extractfile(member)
                    if fh is not None:
                        out.append(parse_report(fh.read()))
    except (tarfile.TarError, OSError, EOFError, ET.ParseError) as exc:
        raise NoisyProbeError(f"cannot read IU X-ray reports from {path}: {exc}") from None
    if not out:
        raise NoisyProbeError(f"{path}: no XML reports inside")
    return sorted(out, key=lambda r: int(r.id[3:]) if r.id[3:].isdigit() else 0)


def usable(report: Report) -> bool:
    """A report with text and a human coding other than ``No Indexing``."""
    return bool(report.text) and bool(report.major) and "no indexing" not in report.major


def code(terms: tuple[str, ...], task: str, *, human: bool) -> int:
    """1 when ``task`` is present in ``terms`` (``normal`` task: 1 = abnormal), else 0.

    Human coding is normal when its only term is ``normal``; automatic coding is normal
    when it has no term at all.

    Example:
        >>> code(("normal",), "normal", human=True), code((), "normal", human=False)
        (0, 0)
        >>> code(("pleural effusion",), "effusion", human=True)
        1
    """
    if task == "normal":
        if human:
            return int(any(t != "normal" for t in terms))
        return int(bool(terms))
    keys = FINDINGS[task]
    return int(any(k in t for t in terms for k in keys))


def label_columns(reports: list[Report], task: str) -> tuple[np.ndarray, np.ndarray]:
    """(human, automatic) int64 0/1 labels of ``task`` for each report."""
    human = np.asarray([code(r.major, task, human=True) for r in reports], dtype=np.int64)
    auto = np.asarray([code(r.automatic, task, human=False) for r in reports], dtype=np.int64)
    return human, auto


def agreement(human: np.ndarray, auto: np.ndarray) -> dict[str, object]:
    """Measured noise of the automatic column against the human one.

    Returns ``rate`` (share of disagreements), ``transition`` (row-stochastic 2 x 2,
    ``T[i, j] = P(auto = j | human = i)``) and ``counts`` (the 2 x 2 confusion counts).

    Example:
        >>> agreement(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))["transition"]
        [[0.5, 0.5], [0.0, 1.0]]
    """
    counts = np.zeros((2, 2), dtype=np.int64)
    np.add.at(counts, (human, auto), 1)
    rows = counts.sum(axis=1, keepdims=True)
    trans = np.divide(counts, rows, out=np.zeros((2, 2)), where=rows > 0)
    return {
        "rate": float((human != auto).mean()) if human.size else 0.0,
        "transition": [[round(float(v), 6) for v in row] for row in trans],
        "counts": counts.tolist(),
    }
