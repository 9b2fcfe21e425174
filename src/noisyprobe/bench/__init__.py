"""Benchmark grids: YAML spec, resumable SQLite ledger, executors (local, Ray), statistics.

- :func:`friedman`, :func:`nemenyi_cd`, :func:`wins`, :func:`regret`, ... (``bench.stats``):
  statistics over a [conditions, methods] score matrix;
- :func:`load_spec` / :func:`expand` (``bench.spec``): the grid and its runs;
- :class:`Ledger` (``bench.ledger``): one SQLite row per run, safe to kill at any time;
- :func:`run_grid` (``bench.runner``): run what is unfinished, with any executor;
- :func:`summarize` / :func:`to_markdown` (``bench.summary``): the tables of the summary.

Submodules load on first use, so ``import noisyprobe.bench`` stays light.

Example:
    >>> from noisyprobe import bench
    >>> round(bench.nemenyi_cd(8, 150), 3)
    0.857
"""

from __future__ import annotations

from noisyprobe._lazy import lazy_exports

_LAZY = {
    "friedman": "stats",
    "FriedmanResult": "stats",
    "nemenyi_cd": "stats",
    "nemenyi_q": "stats",
    "rank_rows": "stats",
    "wins": "stats",
    "regret": "stats",
    "choice_cost": "stats",
    "regret_by_group": "stats",
    "cd_cliques": "stats",
    "load_spec": "spec",
    "parse_spec": "spec",
    "expand": "spec",
    "GridSpec": "spec",
    "GridRun": "spec",
    "Ledger": "ledger",
    "RunResult": "ledger",
    "run_grid": "runner",
    "GridReport": "runner",
    "score_matrix": "summary",
    "summarize": "summary",
    "to_markdown": "summary",
    "export": "export",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
