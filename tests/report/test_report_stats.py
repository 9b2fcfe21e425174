"""The report's Friedman and Nemenyi numbers against SciPy on the same score table.

The table is rebuilt here straight from the ledger's SQLite rows (mean over seeds per
condition and method), independently of ``bench.summary``.
"""

from __future__ import annotations

import html
import re
import sqlite3

import numpy as np
import pytest
from scipy import stats


def _attrs(text: str) -> dict[str, str]:
    tag = re.search(r'<table class="friedman"([^>]*)>', text).group(1)
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z0-9]+)="([^"]*)"', tag)}


def _scores(ledger) -> np.ndarray:
    with sqlite3.connect(ledger) as db:
        rows = db.execute(
            "SELECT condition_key, method, AVG(balanced_accuracy) FROM runs "
            "WHERE status = 'done' GROUP BY condition_key, method"
        ).fetchall()
    conds = sorted({r[0] for r in rows})
    methods = sorted({r[1] for r in rows})
    table = np.full((len(conds), len(methods)), np.nan)
    for c, m, v in rows:
        table[conds.index(c), methods.index(m)] = v
    return table


def _cd(k: int, n: int, alpha: float) -> float:
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(k * (k + 1) / (6 * n)))


def test_report_friedman_and_cd_equal_scipy(report_file, report_inputs):
    got = _attrs(report_file.read_text(encoding="utf-8"))
    scores = _scores(report_inputs["ledger"])
    n, k = scores.shape
    ref = stats.friedmanchisquare(*scores.T)
    assert (int(got["n"]), int(got["k"]), int(got["df"])) == (n, k, k - 1)
    assert float(got["chi2"]) == pytest.approx(ref.statistic, rel=1e-12)
    assert float(got["p"]) == pytest.approx(ref.pvalue, rel=1e-9)
    assert float(got["cd"]) == pytest.approx(_cd(k, n, 0.05), rel=1e-9)


def test_report_alpha_and_ties(tmp_path, make_ledger_with_ties):
    from noisyprobe.report import build_report

    ledger, scores = make_ledger_with_ties(tmp_path / "ties.sqlite")
    got = _attrs(build_report(ledger, alpha=0.1))
    ref = stats.friedmanchisquare(*scores.T)
    assert float(got["chi2"]) == pytest.approx(ref.statistic, rel=1e-12)
    assert float(got["p"]) == pytest.approx(ref.pvalue, rel=1e-9)
    assert float(got["cd"]) == pytest.approx(_cd(scores.shape[1], scores.shape[0], 0.1))


@pytest.fixture
def make_ledger_with_ties():
    """A ledger whose scores tie within conditions (one seed, so means are the scores)."""
    from noisyprobe.bench.ledger import Ledger, RunResult
    from noisyprobe.bench.spec import GridRun, canonical_json, sha256_text

    def make(path):
        scores = np.array(
            [[0.8, 0.8, 0.7, 0.6], [0.9, 0.7, 0.7, 0.7], [0.6, 0.8, 0.9, 0.6],
             [0.7, 0.75, 0.75, 0.8], [0.5, 0.6, 0.7, 0.8], [0.9, 0.8, 0.8, 0.9]]
        )  # fmt: skip
        runs, results = [], []
        for i, row in enumerate(scores):
            ckey = sha256_text(canonical_json({"c": i}))
            for method, score in zip(("lp", "gce", "elr", "sce"), row):
                spec = canonical_json({"c": i, "method": method})
                run = GridRun(sha256_text(spec), spec, ckey, f"fs{i % 2}", f"d{i % 2}", "bb",
                              None, "symmetric", 0.1 * i, "exact", method, {}, 0)  # fmt: skip
                runs.append(run)
                metrics = {"balanced_accuracy": float(score), "per_class_recall": [float(score)],
                           "zero_recall_classes": []}  # fmt: skip
                results.append(RunResult(key=run.key, metrics=metrics))
        with Ledger(path) as ledger:
            ledger.add_runs(runs)
            ledger.record(results)
        return path, scores

    return make
