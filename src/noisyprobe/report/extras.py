"""Optional sections: diagnostics (``noisyprobe diagnose --json``) and study folders.

Both are read tolerantly: what is recognised is drawn, anything else is listed, and a broken
figure or an unknown layout becomes a note instead of an error. Only a missing or unreadable
input (a path that is not a file / folder, invalid JSON) stops the report.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from noisyprobe.errors import NoisyProbeError
from noisyprobe.report.figures import MIME, file_uri, via_png
from noisyprobe.report.html import esc, figure, note, num, section, table

MAX_FIGURE_BYTES = 20 * 1024 * 1024
MAX_FILES = 200


def read_json(path: str | os.PathLike[str], *, what: str) -> Any:
    """Parse a JSON file, or raise a one-line NoisyProbeError naming ``what`` and the path."""
    path = Path(path)
    if not path.is_file():
        raise NoisyProbeError(f"{what} {path}: no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NoisyProbeError(f"{what} {path}: not readable JSON ({exc})") from None


def scalars(obj: Any, *, depth: int = 1, prefix: str = "") -> list[tuple[str, Any]]:
    """Scalar entries of a JSON object, nested objects flattened ``depth`` levels (``a.b``).

    Example:
        >>> scalars({"acc": 0.9, "cfg": {"lr": 0.1, "xs": [1]}, "xs": [1, 2]})
        [('acc', 0.9), ('cfg.lr', 0.1)]
    """
    out: list[tuple[str, Any]] = []
    if not isinstance(obj, Mapping):
        return out
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if value is None or isinstance(value, (str, int, float, bool)):
            out.append((name, value))
        elif isinstance(value, Mapping) and depth > 0:
            out.extend(scalars(value, depth=depth - 1, prefix=f"{name}."))
    return out


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return num(value, 4) if math.isfinite(value) else str(value)
    return "-" if value is None else str(value)


def _safe_figure(draw: Any, *args: Any, caption: str, **kwargs: Any) -> str:
    try:
        return figure(via_png(draw, *args, **kwargs), caption)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return note(f"{caption} not drawn: {type(exc).__name__}: {exc}", cls="warn")


# ------------------------------------------------------------------------- diagnostics
PROFILE_ROWS = (
    ("N", ("n",)),
    ("D", ("d",)),
    ("skew mean", ("moments", "skew_mean")),
    ("skew median", ("moments", "skew_median")),
    ("share |skew| > 1", ("moments", "share_abs_skew_gt")),
    ("kurt mean", ("moments", "kurt_mean")),
    ("kurt median", ("moments", "kurt_median")),
    ("share |kurt| > 3", ("moments", "share_abs_kurt_gt")),
    ("SVE (uncentred)", ("spectrum", "uncentred", "sve")),
    ("LSVR (uncentred)", ("spectrum", "uncentred", "lsvr")),
    ("effective rank (uncentred)", ("spectrum", "uncentred", "effective_rank")),
    ("SVE (centred)", ("spectrum", "centred", "sve")),
    ("LSVR (centred)", ("spectrum", "centred", "lsvr")),
    ("k-NN accuracy", ("knn", "accuracy")),
    ("k-NN balanced accuracy", ("knn", "balanced_accuracy")),
    ("linear CKA to the first", ("cka_to_reference", "linear_cka")),
)


def _get(obj: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        if not isinstance(obj, Mapping) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _profiles(profiles: Mapping[str, Any], label: str) -> list[str]:
    from noisyprobe.diagnostics.plots import plot_moment_histograms, plot_singular_spectra

    names = list(profiles)
    rows = [[row, *(_cell(_get(profiles[n], keys)) for n in names)] for row, keys in PROFILE_ROWS]
    body = [table(["diagnostic", *names], rows, cls="profile")]
    moments = {
        n: p["moments"]
        for n, p in profiles.items()
        if isinstance(_get(p, ("moments",)), Mapping) and "skew" in p["moments"]
    }
    if moments:
        body.append(
            _safe_figure(
                plot_moment_histograms,
                moments,
                caption=f"{label}: per-feature skewness and kurtosis histograms",
            )
        )
    spectra = {
        n: _get(p, ("spectrum", "uncentred", "singular_values"))
        for n, p in profiles.items()
        if isinstance(_get(p, ("spectrum", "uncentred", "singular_values")), list)
    }
    if spectra:
        body.append(
            _safe_figure(plot_singular_spectra, spectra, caption=f"{label}: singular-value spectra")
        )
    return body


def _studies(studies: Sequence[Any], label: str) -> list[str]:
    from noisyprobe.diagnostics.plots import plot_loss_densities

    body: list[str] = []
    for i, study in enumerate(studies):
        if not isinstance(study, Mapping):
            continue
        cond = study.get("condition") if isinstance(study.get("condition"), Mapping) else {}
        title = (
            f"small loss: {cond.get('noise_kind', '?')} noise, rate {cond.get('rate', '?')}"
            if cond
            else f"small-loss study {i + 1}"
        )
        body.append(f"<h4>{esc(title)}</h4>")
        summary = study.get("summary")
        if isinstance(summary, Mapping) and summary:
            keys = list(dict.fromkeys(k for s in summary.values() for k, _ in scalars(s, depth=0)))
            rows = [
                [m, *(_cell(dict(scalars(s, depth=0)).get(k)) for k in keys)]
                for m, s in summary.items()
            ]
            body.append(f'<div class="scroll">{table(["method", *keys], rows)}</div>')
        densities = study.get("densities")
        if isinstance(densities, Mapping) and densities:
            body.append(
                _safe_figure(
                    plot_loss_densities,
                    dict(densities),
                    title=title,
                    caption=f"{label}: clean vs noisy loss densities ({title})",
                )
            )
    return body


def diagnostics(paths: Sequence[str | os.PathLike[str]]) -> str:
    """One subsection per ``noisyprobe diagnose --json`` file (profiles or small-loss)."""
    body: list[str] = []
    for path in paths:
        data = read_json(path, what="--diagnose")
        label = Path(path).name
        body.append(f"<h3>{esc(label)}</h3>")
        recognised = False
        if isinstance(data, Mapping) and isinstance(data.get("profiles"), Mapping):
            body += _profiles(data["profiles"], label)
            recognised = True
        if isinstance(data, Mapping) and isinstance(data.get("studies"), list):
            body += _studies(data["studies"], label)
            recognised = True
        if not recognised:
            keys = ", ".join(map(str, data)) if isinstance(data, Mapping) else type(data).__name__
            body.append(note(f"Unrecognised diagnostics layout (top level: {keys})."))
            if isinstance(data, Mapping):
                body.append(table(["key", "value"], [[k, _cell(v)] for k, v in scalars(data)]))
    return section("diagnostics", "Diagnostics", body)


# ----------------------------------------------------------------------------- studies
def studies(paths: Sequence[str | os.PathLike[str]]) -> str:
    """One subsection per study folder: scalar results of its JSON files and its figures."""
    body: list[str] = []
    for path in paths:
        root = Path(path)
        if not root.is_dir():
            raise NoisyProbeError(f"--study {root}: not a directory")
        body.append(f"<h3>{esc(root.name or str(root))}</h3>")
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        if len(files) > MAX_FILES:
            body.append(note(f"{len(files)} files; only the first {MAX_FILES} are shown."))
            files = files[:MAX_FILES]
        jsons = [p for p in files if p.suffix.lower() == ".json"]
        figs = [p for p in files if p.suffix.lower() in MIME]
        if not jsons and not figs:
            body.append(note("No .json, .png or .svg files in this folder."))
        top = [p for p in jsons if p.parent == root]
        nested = [p for p in jsons if p.parent != root]
        for p in top:
            body += _study_json(p, root)
        if nested:
            inner = "".join(part for p in nested for part in _study_json(p, root))
            body.append(
                f"<details><summary>{len(nested)} result files in subfolders</summary>"
                f"{inner}</details>"
            )
        for p in figs:
            rel = p.relative_to(root).as_posix()
            if p.stat().st_size > MAX_FIGURE_BYTES:
                body.append(note(f"{rel}: skipped, larger than 20 MiB", cls="warn"))
                continue
            body.append(figure(file_uri(p), rel))
    return section("studies", "Studies", body)


def _study_json(path: Path, root: Path) -> list[str]:
    """A study JSON file: its scalars (long text as a block), and lists of records as tables."""
    rel = path.relative_to(root).as_posix()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [note(f"{rel}: skipped, not readable JSON ({exc})", cls="warn")]
    items = scalars(data, depth=0)
    short = [[k, _cell(v)] for k, v in items if not _long_text(v)]
    out = [table(["result", "value"], short, caption=rel)] if short else []
    for key, value in items:
        if _long_text(value):
            out.append(f"<p><b>{esc(rel)}: {esc(key)}</b></p><pre>{esc(value)}</pre>")
    if isinstance(data, Mapping):
        for key, value in data.items():
            records = _records(value)
            if records:
                cols = list(dict.fromkeys(k for r in records for k, _ in scalars(r, depth=0)))
                rows = [[_cell(dict(scalars(r, depth=0)).get(c)) for c in cols] for r in records]
                out.append(table(cols, rows, caption=f"{rel}: {key}"))
    if not out:
        out.append(note(f"{rel}: no top-level scalar results."))
    return out


def _long_text(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or len(value) > 200)


def _records(value: Any, *, limit: int = 100) -> list[Mapping[str, Any]]:
    """A list of flat JSON objects (such as findings), or [] for anything else."""
    if not isinstance(value, list) or not value or len(value) > limit:
        return []
    if not all(isinstance(v, Mapping) and scalars(v, depth=0) for v in value):
        return []
    return value
