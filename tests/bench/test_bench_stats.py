"""Statistics of the benchmark against scipy, the seed's reference figures and hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from noisyprobe.bench.stats import (
    cd_cliques,
    choice_cost,
    friedman,
    nemenyi_cd,
    nemenyi_q,
    rank_rows,
    regret,
    regret_by_group,
    wins,
)
from noisyprobe.errors import NoisyProbeError


def _scipy_friedman(scores: np.ndarray):
    return st.friedmanchisquare(*[scores[:, j] for j in range(scores.shape[1])])


@pytest.mark.parametrize("seed", range(5))
def test_friedman_equals_scipy_on_continuous_scores(seed):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(30, 6)) + np.linspace(0, 1, 6)
    ours = friedman(scores)
    ref = _scipy_friedman(scores)
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-9)
    assert ours.df == 5 and ours.tie_correction == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_friedman_equals_scipy_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    # Balanced accuracies on a coarse grid: many ties inside conditions.
    scores = rng.integers(0, 4, size=(25, 5)) / 10.0
    scores[0] = 0.5  # one fully tied condition
    ours = friedman(scores)
    ref = _scipy_friedman(scores)
    assert ours.tie_correction < 1.0
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-9)


def test_friedman_orientation_changes_ranks_not_statistic():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(12, 4))
    hi = friedman(scores)
    lo = friedman(scores, higher_is_better=False)
    assert hi.statistic == pytest.approx(lo.statistic)
    np.testing.assert_allclose(hi.mean_ranks + lo.mean_ranks, 5.0)  # k + 1


def test_friedman_hand_computed_tiny_example():
    # Ranks per row (1 = best): [1,2,3], [2,1,3], [1,3,2], [1,2,3] -> mean ranks 1.25, 2, 2.75.
    scores = [[0.9, 0.8, 0.7], [0.8, 0.9, 0.7], [0.9, 0.7, 0.8], [0.9, 0.8, 0.6]]
    r = friedman(scores)
    np.testing.assert_allclose(r.mean_ranks, [1.25, 2.0, 2.75])
    # chi2 = 12*4/(3*4) * (1.25^2 + 2^2 + 2.75^2 - 3*16/4) = 4 * 1.125
    assert r.statistic == pytest.approx(4.5)
    assert r.pvalue == pytest.approx(np.exp(-4.5 / 2))  # chi2 sf with df 2
    # Iman-Davenport F = (N-1) chi2 / (N(k-1) - chi2) = 3*4.5/(8-4.5)
    assert r.iman_davenport == pytest.approx(13.5 / 3.5)


def test_friedman_ties_get_average_ranks_and_correction_by_hand():
    scores = [[0.9, 0.8, 0.8], [0.7, 0.7, 0.7], [0.6, 0.9, 0.8]]
    r = friedman(scores)
    np.testing.assert_allclose(r.ranks, [[1, 2.5, 2.5], [2, 2, 2], [3, 1, 2]])
    # ties: row 0 one pair (2^3-2=6), row 1 one triple (27-3=24): c = 1 - 30/(3*24)
    assert r.tie_correction == pytest.approx(1 - 30 / 72)


def test_friedman_all_tied_gives_no_evidence():
    r = friedman(np.full((4, 3), 0.5))
    assert r.statistic == 0.0 and r.pvalue == 1.0
    np.testing.assert_allclose(r.mean_ranks, 2.0)


def test_friedman_perfectly_consistent_ranking():
    scores = np.tile([0.9, 0.8, 0.7, 0.6], (10, 1))
    r = friedman(scores)
    # chi2 = N(k-1) when every block ranks identically.
    assert r.statistic == pytest.approx(10 * 3)
    assert r.iman_davenport == float("inf") and r.iman_davenport_pvalue == 0.0


def test_friedman_one_condition_leaves_iman_davenport_undefined():
    # one condition always "ranks identically"; F would be inf with p = 0, a false verdict
    r = friedman([[0.9, 0.8, 0.7]])
    assert r.statistic == pytest.approx(2.0)
    assert np.isnan(r.iman_davenport) and np.isnan(r.iman_davenport_pvalue)


def test_friedman_rejects_bad_input():
    with pytest.raises(NoisyProbeError, match="2-D"):
        friedman([0.1, 0.2])
    with pytest.raises(NoisyProbeError, match="NaN"):
        friedman([[0.1, np.nan], [0.2, 0.3]])
    with pytest.raises(NoisyProbeError, match="2 methods"):
        friedman([[0.1], [0.2]])


def test_seed_reference_figures():
    # Benchmark seed: k=8 methods, N=150 conditions, alpha=0.05 -> CD = 0.857.
    assert nemenyi_cd(8, 150, 0.05) == pytest.approx(0.857, abs=5e-4)
    # chi2 = 333.2 with df 7 -> p ~ 4.8e-68 (seed reports 4.77e-68 from the unrounded chi2).
    assert st.chi2.sf(333.2, 7) == pytest.approx(4.8e-68, rel=0.02)


def test_friedman_pvalue_matches_seed_scale():
    # Build scores whose statistic is 333.2-like: 150 conditions, 8 methods, strong ordering.
    rng = np.random.default_rng(0)
    base = np.linspace(0.0, 1.0, 8)
    scores = base + rng.normal(scale=0.9, size=(150, 8))
    r = friedman(scores)
    assert r.pvalue == pytest.approx(st.chi2.sf(r.statistic, 7), rel=1e-12)
    assert r.pvalue == pytest.approx(_scipy_friedman(scores).pvalue, rel=1e-9)


def test_nemenyi_q_matches_demsar_table():
    # Demšar (2006), Table 5(a), alpha = 0.05 and 0.10.
    table_05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 10: 3.164}
    table_10 = {2: 1.645, 3: 2.052, 5: 2.459, 8: 2.780}
    for k, q in table_05.items():
        assert nemenyi_q(k, 0.05) == pytest.approx(q, abs=1.5e-3)
    for k, q in table_10.items():
        assert nemenyi_q(k, 0.10) == pytest.approx(q, abs=1.5e-3)


def test_nemenyi_cd_formula_and_validation():
    assert nemenyi_cd(5, 20) == pytest.approx(nemenyi_q(5) * np.sqrt(5 * 6 / 120))
    assert nemenyi_cd(4, 40) == pytest.approx(nemenyi_cd(4, 10) / 2)  # CD ∝ 1/sqrt(N)
    with pytest.raises(NoisyProbeError, match="k"):
        nemenyi_cd(1, 10)
    with pytest.raises(NoisyProbeError, match="alpha"):
        nemenyi_cd(3, 10, alpha=1.5)
    with pytest.raises(NoisyProbeError, match="n"):
        nemenyi_cd(3, 0)


def test_rank_rows_matches_scipy_rankdata():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 3, size=(8, 5)).astype(float)
    expected = np.vstack([st.rankdata(-row) for row in scores])
    np.testing.assert_array_equal(rank_rows(scores), expected)
    np.testing.assert_array_equal(
        rank_rows(scores, higher_is_better=False), st.rankdata(scores, axis=1)
    )


def test_wins_share_ties_and_sum_to_conditions():
    scores = [[0.9, 0.8, 0.7], [0.6, 0.6, 0.5], [0.2, 0.3, 0.3], [0.1, 0.1, 0.1]]
    w = wins(scores)
    np.testing.assert_allclose(w, [1 + 0.5 + 1 / 3, 0.5 + 0.5 + 1 / 3, 0.5 + 1 / 3])
    assert w.sum() == pytest.approx(4)
    np.testing.assert_allclose(wins([[0.1, 0.2]], higher_is_better=False), [1, 0])


def test_regret_and_cost_by_hand():
    scores = np.array([[0.90, 0.85, 0.60], [0.50, 0.70, 0.65]])
    np.testing.assert_allclose(regret(scores), [[0, 0.05, 0.30], [0.20, 0, 0.05]])
    np.testing.assert_allclose(choice_cost(scores), [0.30, 0.20])
    # lower is better (ECE): regret = score - min
    np.testing.assert_allclose(
        regret(scores, higher_is_better=False), [[0.30, 0.25, 0], [0, 0.20, 0.15]]
    )
    assert (regret(np.random.default_rng(0).normal(size=(20, 4))) >= 0).all()


def test_regret_by_group_breakdown():
    scores = np.array([[0.9, 0.8], [0.7, 0.9], [0.5, 0.9], [0.6, 0.6]])
    kinds = ["clean", "asym", "asym", "sym"]
    out = regret_by_group(scores, kinds)
    assert list(out) == ["clean", "asym", "sym"]
    np.testing.assert_allclose(out["asym"].mean, [0.3, 0.0])
    np.testing.assert_allclose(out["asym"].max, [0.4, 0.0])
    assert out["asym"].cost_mean == pytest.approx(0.3) and out["asym"].cost_max == pytest.approx(
        0.4
    )
    assert out["sym"].n == 1 and out["sym"].cost_mean == 0.0
    overall = regret_by_group(scores)["all"]
    np.testing.assert_allclose(overall.mean, [(0 + 0.2 + 0.4 + 0) / 4, 0.1 / 4])
    with pytest.raises(NoisyProbeError, match="groups"):
        regret_by_group(scores, ["a"])


def test_cd_cliques():
    assert cd_cliques([1.0, 2.0, 3.0], cd=0.5) == []
    assert cd_cliques([1.0, 1.2, 1.4, 3.0], cd=0.5) == [(0, 1, 2)]
    # overlapping maximal groups: (0,1) and (1,2) but not (0,2)
    assert cd_cliques([1.0, 1.4, 1.8], cd=0.5) == [(0, 1), (1, 2)]
    assert cd_cliques([2.5, 1.0, 2.0], cd=1.6) == [(1, 2, 0)]
