"""A self-contained HTML report of a benchmark ledger (``noisyprobe report``).

One file, no network: tables, and figures embedded as ``data:`` URIs (SVG drawn here with
matplotlib, PNG from :mod:`noisyprobe.diagnostics.plots` and :mod:`noisyprobe.bench.figures`,
and the PNG/SVG files of a study folder). Needs the ``report`` extra (matplotlib).

- :func:`build_report`: the page as a string;
- :func:`write_report`: the page written atomically to a file.

Example:
    >>> from noisyprobe import report
    >>> "build_report" in dir(report) and "write_report" in dir(report)
    True
"""

from __future__ import annotations

from noisyprobe._lazy import lazy_exports

_LAZY = {"build_report": "page", "write_report": "page"}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
__all__ = list(_LAZY)
