"""Summary tables from a ledger: score matrix, statistics, markdown, figures, CLI."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from noisyprobe.bench.ledger import Ledger
from noisyprobe.bench.summary import score_matrix, summarize, to_markdown
from noisyprobe.cli import main
from noisyprobe.errors import NoisyProbeError


def _runs(path):
    with Ledger(path, readonly=True) as ledger:
        return ledger.runs(), ledger.counts()


def test_score_matrix_means_over_seeds(synthetic_ledger):
    runs, _ = _runs(synthetic_ledger)
    m = score_matrix(runs)
    assert m.scores.shape == (15, 3) and m.methods == ["elr", "gce", "lp"] and m.dropped == 0
    # each cell is the mean of its two seeds
    one = runs[
        (runs["condition_key"] == m.conditions["condition_key"][0]) & (runs["method"] == "elr")
    ]
    assert len(one) == 2
    assert m.scores[0, 0] == pytest.approx(one["balanced_accuracy"].mean())
    assert (m.conditions["seeds"] == 2).all()
    assert set(m.conditions["name"]) >= {"d1-bb/clean", "d2-bb/asymmetric@0.4"}


def test_incomplete_conditions_are_dropped(tmp_path, make_synthetic_ledger):
    path = make_synthetic_ledger(tmp_path / "l.sqlite", seeds=(0,), drop_one=True)
    runs, _ = _runs(path)
    m = score_matrix(runs)
    assert m.dropped == 1 and len(m.scores) == 14


def test_summary_statistics(synthetic_ledger):
    runs, counts = _runs(synthetic_ledger)
    s = summarize(runs, counts=counts)
    m = s.matrix
    ref = st.friedmanchisquare(*m.scores.T)
    assert s.friedman.statistic == pytest.approx(ref.statistic)
    assert s.friedman.pvalue == pytest.approx(ref.pvalue)
    assert s.wins.sum() == pytest.approx(15)
    # the designed regimes: gce wins symmetric, elr asymmetric, lp clean
    j = {name: i for i, name in enumerate(m.methods)}
    assert s.by_noise["symmetric"].mean[j["gce"]] == 0.0
    assert s.by_noise["asymmetric"].mean[j["elr"]] == 0.0
    assert s.by_noise["none"].mean[j["lp"]] == 0.0
    assert list(s.by_noise) == ["none", "asymmetric", "symmetric"]
    assert list(s.by_rate) == ["clean", "0.2", "0.4"]
    # the cost of choice grows with the rate (as in the seed)
    assert s.by_rate["0.4"].cost_mean > s.by_rate["0.2"].cost_mean > s.by_rate["clean"].cost_mean
    assert s.by_kind_rate["asymmetric@0.4"].n == 3
    # regret in percentage points
    best = m.scores.max(axis=1)
    np.testing.assert_allclose(s.overall.mean, ((best[:, None] - m.scores) * 100).mean(axis=0))
    # lp collapses a class in asymmetric@0.4: 3 datasets x 2 seeds of its 30 runs
    assert s.collapsed[j["lp"]] == pytest.approx(6 / 30) and s.collapsed[j["gce"]] == 0


def test_lower_is_better_metric(synthetic_ledger):
    runs, _ = _runs(synthetic_ledger)
    s = summarize(runs, metric="ece")
    assert not s.matrix.higher_is_better
    # ece = 0.1 - score/10 is a decreasing transform: same ranks as balanced accuracy
    b = summarize(runs)
    np.testing.assert_allclose(s.friedman.mean_ranks, b.friedman.mean_ranks)
    assert (s.overall.mean >= 0).all()


def test_markdown(synthetic_ledger):
    runs, counts = _runs(synthetic_ledger)
    text = to_markdown(summarize(runs, counts=counts))
    for needle in (
        "### Methods",
        "chi2",
        "CD (alpha=0.05)",
        "by noise kind",
        "by noise rate",
        "Cost of method choice",
        "asymmetric@0.4",
        "| elr |",
        "90 done",
    ):
        assert needle in text, needle


def test_errors(synthetic_ledger, tmp_path):
    runs, _ = _runs(synthetic_ledger)
    with pytest.raises(NoisyProbeError, match="metric"):
        score_matrix(runs, metric="auc")
    with pytest.raises(NoisyProbeError, match="not in the ledger"):
        score_matrix(runs, methods=["lp", "dividemix"])
    with pytest.raises(NoisyProbeError, match="no finished runs"):
        score_matrix(runs.iloc[:0])


def test_cli_summary_figures_and_export(synthetic_ledger, tmp_path, capsys):
    figs = tmp_path / "figs"
    assert main(["bench", "--summary", str(synthetic_ledger), "--figures", str(figs)]) == 0
    out = capsys.readouterr().out
    assert "Friedman" in out and "mean rank" in out
    assert (figs / "cd_diagram.png").stat().st_size > 1000
    assert (figs / "rank_heatmap.png").stat().st_size > 1000
    assert (
        main(["bench", "--export", str(tmp_path / "r.csv"), "--ledger", str(synthetic_ledger)]) == 0
    )
    assert "90 runs" in capsys.readouterr().out


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["bench"]) == 2
    assert "give a grid SPEC" in capsys.readouterr().err
    assert main(["bench", "x.yaml"]) == 2
    assert "--ledger" in capsys.readouterr().err
    assert main(["bench", "--summary", str(tmp_path / "none.sqlite")]) == 2
    assert "no ledger" in capsys.readouterr().err
    assert main(["bench", "--export", "x.csv"]) == 2


def test_cli_summary_of_some_methods(tmp_path, make_synthetic_ledger, capsys):
    # elr has not finished one condition: with every method that condition drops out, with
    # lp,gce it stays
    import sqlite3

    ledger = make_synthetic_ledger(tmp_path / "l.sqlite")
    with sqlite3.connect(ledger) as db:
        db.execute(
            "UPDATE runs SET status = 'pending' WHERE method = 'elr' AND condition_key = "
            "(SELECT condition_key FROM runs ORDER BY key LIMIT 1)"
        )
    assert main(["bench", "--summary", str(ledger)]) == 0
    every = capsys.readouterr().out
    assert main(["bench", "--summary", str(ledger), "--methods", "lp,gce"]) == 0
    some = capsys.readouterr().out
    assert "14 complete conditions x 3 methods" in every, every[:400]
    assert "15 complete conditions x 2 methods" in some and "| elr |" not in some
    assert main(["bench", "--summary", str(ledger), "--methods", "lp,dividemix"]) == 2
    assert "'dividemix' not in the ledger" in capsys.readouterr().err
    assert main(["select", "--validate", str(ledger), "--methods", "lp,gce"]) == 0
    out = capsys.readouterr().out
    assert "always gce" in out and "always elr" not in out
