"""Assemble and write the report: ledger -> summary -> sections -> one HTML file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from noisyprobe._io import atomic_path
from noisyprobe.errors import NoisyProbeError
from noisyprobe.report import extras, sections
from noisyprobe.report.html import page

PathLike = str | os.PathLike[str]


def build_report(
    ledger: PathLike,
    *,
    diagnose: Sequence[PathLike] = (),
    studies: Sequence[PathLike] = (),
    metric: str | None = None,
    alpha: float = 0.05,
    title: str | None = None,
) -> str:
    """The report of a ledger (plus diagnostics JSON files and study folders) as HTML.

    Args:
        ledger: a benchmark ledger written by ``noisyprobe bench``.
        diagnose: files written by ``noisyprobe diagnose --json``.
        studies: folders of ``*.json`` results and ``*.png``/``*.svg`` figures.
        metric: the metric of the statistics (default: the ledger's).
        alpha: level of the Nemenyi critical difference.
        title: page title (default: names the ledger).

    Raises:
        NoisyProbeError: the ledger is missing, not a ledger, or has no complete condition;
            a diagnostics file or study folder is missing or unreadable.
    """
    import datetime

    from noisyprobe import __version__
    from noisyprobe._figures import pyplot
    from noisyprobe.bench.ledger import Ledger
    from noisyprobe.bench.summary import summarize

    pyplot()  # fail early, naming the extra, when matplotlib is missing
    if not 0.0 < alpha < 1.0:
        raise NoisyProbeError(f"--alpha: expected a level in (0, 1), got {alpha!r}")
    path = Path(ledger)
    if not path.is_file():
        raise NoisyProbeError(f"no ledger at {path}")
    for item in diagnose:  # fail on a bad input before the expensive work
        extras.read_json(item, what="--diagnose")
    for item in studies:
        if not Path(item).is_dir():
            raise NoisyProbeError(f"--study {item}: not a directory")
    with Ledger(path, readonly=True) as led:
        metric = metric or led.get_meta("metric", "balanced_accuracy")
        runs = led.runs()
        counts = led.counts()
    s = summarize(runs, metric=metric, alpha=alpha, counts=counts)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        ("overview", "Overview", sections.overview(s, ledger=str(path), generated=now)),
        ("methods", "Methods", sections.methods(s)),
        ("friedman", "Friedman / CD", sections.friedman(s)),
        ("ranks", "Ranks", sections.ranks(s)),
        ("regret", "Regret", sections.regret(s)),
        ("recall", "Per-class recall", sections.recall(s, runs)),
        ("selector", "Selector", sections.selector(path, metric=metric)),
    ]
    if diagnose:
        parts.append(("diagnostics", "Diagnostics", extras.diagnostics(diagnose)))
    if studies:
        parts.append(("studies", "Studies", extras.studies(studies)))
    footer = (
        f'<footer><p class="note">noisyprobe {__version__}; self-contained file '
        "(no scripts, no network).</p></footer>"
    )
    return page(
        title or f"noisyprobe report: {path.name}",
        [(sid, name) for sid, name, _ in parts],
        [html for _, _, html in parts] + [footer],
    )


def write_report(out: PathLike, ledger: PathLike, **options) -> Path:
    """Build the report (see :func:`build_report`) and write it atomically to ``out``.

    Example:
        >>> import tempfile, pathlib
        >>> write_report(pathlib.Path(tempfile.mkdtemp()) / "r.html", "/no/such.sqlite")
        Traceback (most recent call last):
        ...
        noisyprobe.errors.NoisyProbeError: no ledger at /no/such.sqlite
    """
    text = build_report(ledger, **options)
    out = Path(out)
    if out.is_dir():
        raise NoisyProbeError(f"--out {out}: is a directory; give a file name such as report.html")
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out
