"""Statistics over a benchmark's score matrix: ranks, Friedman, Nemenyi, wins and regret.

Every function takes ``scores`` as an array [conditions, methods] (one value per condition and
method, usually the mean over seeds) and is pure NumPy/SciPy. Rank 1 is the best method of a
condition; ties get the average of the ranks they span, as in the benchmark seed and Demšar
(2006), so the Friedman statistic equals :func:`scipy.stats.friedmanchisquare`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from noisyprobe.errors import NoisyProbeError


@dataclass(frozen=True)
class FriedmanResult:
    """The Friedman test over N conditions (blocks) and k methods (treatments).

    Attributes:
        statistic: tie-corrected χ² = 12N/(k(k+1)) [Σ R_j² − k(k+1)²/4] / c, with R_j the mean
            rank of method j and c = 1 − Σ(t³ − t)/(N(k³ − k)) over tie groups of size t.
        pvalue: upper tail of χ² with k − 1 degrees of freedom.
        df: k − 1.
        ranks: [N, k] average ranks per condition, 1 = best.
        mean_ranks: [k] mean rank of each method over the conditions.
        tie_correction: c above (1 when no condition has ties).
        iman_davenport: F = (N−1)χ² / (N(k−1) − χ²), the less conservative variant.
        iman_davenport_pvalue: upper tail of F with (k−1, (k−1)(N−1)) degrees of freedom.
    """

    statistic: float
    pvalue: float
    df: int
    ranks: np.ndarray
    mean_ranks: np.ndarray
    tie_correction: float
    iman_davenport: float
    iman_davenport_pvalue: float

    @property
    def n(self) -> int:
        return int(self.ranks.shape[0])

    @property
    def k(self) -> int:
        return int(self.ranks.shape[1])


def _check_scores(scores: np.ndarray | Sequence[Sequence[float]], *, min_methods: int = 2):
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim != 2:
        raise NoisyProbeError(
            f"scores: expected a 2-D array [conditions, methods], got {arr.shape}"
        )
    if arr.shape[0] < 1 or arr.shape[1] < min_methods:
        raise NoisyProbeError(
            f"scores: expected at least 1 condition and {min_methods} methods, got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise NoisyProbeError("scores: NaN or Inf present; drop incomplete conditions first")
    return arr


def _oriented(arr: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Scores where higher is always better."""
    return arr if higher_is_better else -arr


def rank_rows(
    scores: np.ndarray | Sequence[Sequence[float]], *, higher_is_better: bool = True
) -> np.ndarray:
    """Average ranks within each condition (row), 1 = best, ties sharing their mean rank.

    Example:
        >>> rank_rows([[0.9, 0.8, 0.8]]).tolist()
        [[1.0, 2.5, 2.5]]
    """
    arr = _oriented(_check_scores(scores, min_methods=1), higher_is_better)
    return _st.rankdata(-arr, axis=1, method="average")


def friedman(
    scores: np.ndarray | Sequence[Sequence[float]], *, higher_is_better: bool = True
) -> FriedmanResult:
    """Friedman test of whether k methods perform alike over N conditions.

    Args:
        scores: [N conditions, k methods] (e.g. balanced accuracy averaged over seeds).
        higher_is_better: ``False`` for errors such as ECE.

    Returns:
        :class:`FriedmanResult`. When every condition is a complete tie (c = 0) the statistic is
        0 and the p-value 1: the data give no evidence of any difference. With one condition
        the Iman-Davenport F is undefined (NaN), not infinite.

    Example:
        >>> r = friedman([[0.9, 0.8, 0.7], [0.8, 0.9, 0.7], [0.9, 0.7, 0.8], [0.9, 0.8, 0.6]])
        >>> round(r.statistic, 3), r.mean_ranks.tolist()
        (4.5, [1.25, 2.0, 2.75])
    """
    arr = _check_scores(scores)
    n, k = arr.shape
    ranks = rank_rows(arr, higher_is_better=higher_is_better)
    mean_ranks = ranks.mean(axis=0)
    ties = 0.0
    for row in arr:
        _, counts = np.unique(row, return_counts=True)
        ties += float(np.sum(counts.astype(np.float64) ** 3 - counts))
    correction = 1.0 - ties / (n * (k**3 - k))
    raw = 12.0 * n / (k * (k + 1)) * (np.sum(mean_ranks**2) - k * (k + 1) ** 2 / 4.0)
    df = k - 1
    if correction <= 1e-12:
        stat, pvalue = 0.0, 1.0
    else:
        stat = float(max(raw, 0.0) / correction)
        pvalue = float(_st.chi2.sf(stat, df))
    denom = n * (k - 1) - stat
    if n == 1:  # F has (k-1, 0) degrees of freedom: one condition cannot test agreement
        f_stat, f_p = float("nan"), float("nan")
    elif stat == 0.0:
        f_stat, f_p = 0.0, 1.0
    elif denom > 0:
        f_stat = (n - 1) * stat / denom
        f_p = float(_st.f.sf(f_stat, df, df * (n - 1)))
    else:  # every condition ranks the methods identically: F is unbounded
        f_stat, f_p = float("inf"), 0.0
    return FriedmanResult(
        statistic=stat,
        pvalue=pvalue,
        df=df,
        ranks=ranks,
        mean_ranks=mean_ranks,
        tie_correction=float(correction),
        iman_davenport=float(f_stat),
        iman_davenport_pvalue=f_p,
    )


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Critical value q_α of the Nemenyi test: studentized range quantile / √2 (df = ∞).

    Example:
        >>> round(nemenyi_q(8, 0.05), 3)
        3.031
    """
    if not isinstance(k, (int, np.integer)) or k < 2:
        raise NoisyProbeError(f"k: expected an integer number of methods >= 2, got {k!r}")
    if not 0.0 < alpha < 1.0:
        raise NoisyProbeError(f"alpha: expected a level in (0, 1), got {alpha!r}")
    return float(_st.studentized_range.ppf(1.0 - alpha, int(k), np.inf) / np.sqrt(2.0))


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference CD = q_α √(k(k+1)/(6N)) between mean ranks.

    Two methods whose mean ranks differ by more than CD differ significantly at level α.

    Example:
        >>> round(nemenyi_cd(8, 150, 0.05), 3)  # the benchmark seed's setting
        0.857
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise NoisyProbeError(f"n: expected a positive number of conditions, got {n!r}")
    return nemenyi_q(k, alpha) * float(np.sqrt(k * (k + 1) / (6.0 * n)))


def cd_cliques(mean_ranks: np.ndarray | Sequence[float], cd: float) -> list[tuple[int, ...]]:
    """Maximal groups of methods whose mean ranks all lie within ``cd`` of each other.

    These are the bars of a critical-difference diagram: methods joined by a bar are not
    significantly different. Groups are given as method indices sorted by mean rank;
    single methods are omitted.

    Example:
        >>> cd_cliques([1.0, 1.5, 3.0, 3.2], cd=0.6)
        [(0, 1), (2, 3)]
    """
    ranks = np.asarray(mean_ranks, dtype=np.float64)
    order = np.argsort(ranks, kind="stable")
    cliques: list[tuple[int, ...]] = []
    last_end = -1
    for i in range(len(order)):
        j = i
        while j + 1 < len(order) and ranks[order[j + 1]] - ranks[order[i]] <= cd:
            j += 1
        if j > i and j > last_end:
            cliques.append(tuple(int(m) for m in order[i : j + 1]))
            last_end = j
    return cliques


def wins(scores: np.ndarray | Sequence[Sequence[float]], *, higher_is_better: bool = True):
    """Conditions won by each method; a tie for first shares the win (1/t each).

    The wins therefore sum to the number of conditions.

    Example:
        >>> wins([[0.9, 0.8], [0.7, 0.7], [0.6, 0.8]]).tolist()
        [1.5, 1.5]
    """
    arr = _oriented(_check_scores(scores, min_methods=1), higher_is_better)
    best = arr == arr.max(axis=1, keepdims=True)
    return (best / best.sum(axis=1, keepdims=True)).sum(axis=0)


def regret(
    scores: np.ndarray | Sequence[Sequence[float]], *, higher_is_better: bool = True
) -> np.ndarray:
    """Regret of each fixed choice per condition: how far it is from the condition's best.

    Returns [N, k] values ≥ 0 in the metric's units (0 for the best method).

    Example:
        >>> regret([[0.9, 0.8, 0.6]]).round(3).tolist()
        [[0.0, 0.1, 0.3]]
    """
    arr = _oriented(_check_scores(scores, min_methods=1), higher_is_better)
    return arr.max(axis=1, keepdims=True) - arr


def choice_cost(
    scores: np.ndarray | Sequence[Sequence[float]], *, higher_is_better: bool = True
) -> np.ndarray:
    """Cost of method choice per condition: best − worst (the seed's 4.5pp → 18.8pp figure).

    Example:
        >>> choice_cost([[0.9, 0.8, 0.6], [0.5, 0.5, 0.5]]).round(3).tolist()
        [0.3, 0.0]
    """
    arr = _check_scores(scores, min_methods=1)
    return arr.max(axis=1) - arr.min(axis=1)


@dataclass(frozen=True)
class RegretGroup:
    """Regret statistics of one group of conditions (all, or one noise kind / rate).

    Attributes:
        n: number of conditions in the group.
        mean: [k] mean regret of each fixed method.
        max: [k] worst-case regret of each fixed method.
        cost_mean: mean cost of method choice (best − worst) over the group.
        cost_max: largest cost of method choice in the group.
    """

    n: int
    mean: np.ndarray
    max: np.ndarray
    cost_mean: float
    cost_max: float


def regret_by_group(
    scores: np.ndarray | Sequence[Sequence[float]],
    groups: Sequence[Hashable] | None = None,
    *,
    higher_is_better: bool = True,
) -> dict[Hashable, RegretGroup]:
    """Mean/max regret of every fixed method and the cost of choice, per group of conditions.

    Args:
        scores: [N, k].
        groups: one label per condition (e.g. the noise kind, the rate, or a (kind, rate)
            pair); ``None`` puts every condition in the group ``"all"``.
        higher_is_better: orientation of the metric.

    Returns:
        Group label -> :class:`RegretGroup`, groups in order of first appearance.

    Example:
        >>> out = regret_by_group([[0.9, 0.8], [0.6, 0.7]], ["clean", "noisy"])
        >>> out["noisy"].mean.round(2).tolist(), round(out["clean"].cost_mean, 2)
        ([0.1, 0.0], 0.1)
    """
    arr = _check_scores(scores, min_methods=1)
    reg = regret(arr, higher_is_better=higher_is_better)
    cost = choice_cost(arr)
    labels = ["all"] * arr.shape[0] if groups is None else list(groups)
    if len(labels) != arr.shape[0]:
        raise NoisyProbeError(f"groups: expected {arr.shape[0]} labels, got {len(labels)}")
    out: dict[Hashable, RegretGroup] = {}
    for label in dict.fromkeys(labels):
        mask = np.array([g == label for g in labels])
        out[label] = RegretGroup(
            n=int(mask.sum()),
            mean=reg[mask].mean(axis=0),
            max=reg[mask].max(axis=0),
            cost_mean=float(cost[mask].mean()),
            cost_max=float(cost[mask].max()),
        )
    return out
