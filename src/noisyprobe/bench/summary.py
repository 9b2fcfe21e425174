"""From ledger rows to the benchmark's tables: ranks, wins, Friedman, CD and regret.

A *condition* is everything of a run but its method and seed (FeatureSet, labels, injected
noise, training configuration). Scores are averaged over seeds per condition and method;
only conditions where every method has a result enter the statistics (the others are
counted in ``dropped``). Regret and cost of method choice are in percentage points.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from noisyprobe.bench.spec import METRICS
from noisyprobe.bench.stats import (
    FriedmanResult,
    RegretGroup,
    cd_cliques,
    friedman,
    nemenyi_cd,
    regret,
    regret_by_group,
    wins,
)
from noisyprobe.errors import NoisyProbeError


@dataclass(frozen=True)
class ScoreMatrix:
    """Scores [conditions, methods], mean over seeds.

    Attributes:
        conditions: a DataFrame with one row per condition (``condition_key``, ``featureset``,
            ``dataset``, ``backbone``, ``noise``, ``rate``, ``name``, ``seeds``).
        methods: method labels (``gce`` or ``gce{q=0.3}`` when a method has several settings).
        scores: [N, k] mean metric over seeds.
        metric: the metric's name.
        higher_is_better: its orientation.
        dropped: conditions left out because some method has no result there.
    """

    conditions: Any
    methods: list[str]
    scores: np.ndarray
    metric: str
    higher_is_better: bool
    dropped: int


def method_labels(df) -> list[str]:
    """A label per run: the method, with its hyperparameters if the ledger has several settings.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"method": ["lp", "gce", "gce"],
        ...                    "params": ["{}", '{"q":0.7}', '{"q":0.3}']})
        >>> method_labels(df)
        ['lp', 'gce{q=0.7}', 'gce{q=0.3}']
    """
    settings: dict[str, set[str]] = {}
    for method, params in zip(df["method"], df["params"]):
        settings.setdefault(method, set()).add(params)
    out = []
    for method, params in zip(df["method"], df["params"]):
        if len(settings[method]) > 1:
            items = json.loads(params)
            inner = ",".join(f"{k}={v}" for k, v in sorted(items.items()))
            out.append(f"{method}{{{inner}}}")
        else:
            out.append(method)
    return out


def _given(value: Any) -> bool:
    """True for a real value; False for None, NaN (pandas' view of SQL NULL) and ''."""
    return value is not None and value == value and value != ""


def condition_name(row) -> str:
    if _given(row["label_column"]):
        return f"{row['featureset']}/{row['label_column']}"
    if _given(row["noise_kind"]):
        return f"{row['featureset']}/{row['noise_kind']}@{row['rate']:g}"
    return f"{row['featureset']}/clean"


def score_matrix(
    runs, *, metric: str = "balanced_accuracy", methods: Sequence[str] | None = None
) -> ScoreMatrix:
    """Pivot done runs (a ledger DataFrame) into a complete [conditions, methods] matrix.

    Raises:
        NoisyProbeError: unknown metric, or no condition where every method has a result.
    """
    import pandas as pd

    if metric not in METRICS:
        raise NoisyProbeError(f"metric: expected one of {', '.join(METRICS)}, got {metric!r}")
    if runs is None or len(runs) == 0:
        raise NoisyProbeError("the ledger has no finished runs yet")
    df = runs.copy()
    df["method_label"] = method_labels(df)
    labels = sorted(set(df["method_label"]))
    if methods is not None:
        unknown = [m for m in methods if m not in labels]
        if unknown:
            raise NoisyProbeError(
                f"method {unknown[0]!r} not in the ledger; it has: {', '.join(labels)}"
            )
        df = df[df["method_label"].isin(methods)]
        labels = list(methods)
    table = df.pivot_table(
        index="condition_key", columns="method_label", values=metric, aggfunc="mean"
    ).reindex(columns=labels)
    complete = table.dropna()
    if complete.empty:
        raise NoisyProbeError(
            f"no condition has a {metric} result for every method ({', '.join(labels)})"
        )
    first = df.drop_duplicates("condition_key").set_index("condition_key")
    info = first.loc[
        complete.index,
        ["featureset", "dataset", "backbone", "label_column", "noise_kind", "noise", "rate"],
    ].copy()
    info["name"] = [condition_name(r) for _, r in info.iterrows()]
    info["seeds"] = (
        df[df["condition_key"].isin(complete.index)].groupby("condition_key")["seed"].nunique()
    )
    info = info.reset_index()
    order = np.lexsort(
        (info["rate"].to_numpy(), info["noise"].to_numpy(), info["featureset"].to_numpy())
    )
    info = info.iloc[order].reset_index(drop=True)
    scores = complete.loc[info["condition_key"]].to_numpy(dtype=np.float64)
    return ScoreMatrix(
        conditions=pd.DataFrame(info),
        methods=labels,
        scores=scores,
        metric=metric,
        higher_is_better=METRICS[metric],
        dropped=int(len(table) - len(complete)),
    )


@dataclass(frozen=True)
class Summary:
    """Everything ``noisyprobe bench --summary`` prints.

    Attributes:
        matrix: the score matrix.
        friedman: the Friedman test (``None`` with fewer than 2 methods).
        alpha: level of the critical difference.
        cd: Nemenyi critical difference of the mean ranks.
        cliques: groups of methods not significantly different (indices).
        wins: conditions won per method (ties shared).
        collapsed: per method, share of its runs with a class at zero recall.
        overall: regret over all conditions.
        by_noise: regret per noise kind (``none``, a kind, ``real:<column>``).
        by_rate: regret per injected rate (``clean`` / ``real`` for the others).
        by_kind_rate: cost of method choice per kind and rate.
        counts: runs per status in the ledger.
    """

    matrix: ScoreMatrix
    friedman: FriedmanResult | None
    alpha: float
    cd: float
    cliques: list[tuple[int, ...]]
    wins: np.ndarray
    collapsed: np.ndarray
    overall: RegretGroup
    by_noise: dict[Any, RegretGroup]
    by_rate: dict[Any, RegretGroup]
    by_kind_rate: dict[Any, RegretGroup]
    counts: dict[str, int]


def _group_order(label: str) -> tuple:
    """clean/none first, then kinds by name and rate (numerically), real columns last."""
    if label in ("clean", "none"):
        return (0, "", 0.0)
    if label == "real" or label.startswith("real:"):
        return (3, label, 0.0)
    kind, _, rate = label.rpartition("@")
    try:
        return (1, kind, float(rate)) if kind else (1, "", float(label))
    except ValueError:
        return (2, label, 0.0)


def _sorted(groups: dict[Any, RegretGroup]) -> dict[Any, RegretGroup]:
    return dict(sorted(groups.items(), key=lambda item: _group_order(str(item[0]))))


def _rate_label(row) -> str:
    if _given(row["label_column"]):
        return "real"
    if not _given(row["noise_kind"]):
        return "clean"
    return f"{row['rate']:g}"


def _kind_rate_label(row) -> str:
    if _given(row["label_column"]):
        return f"real:{row['label_column']}"
    if not _given(row["noise_kind"]):
        return "clean"
    return f"{row['noise_kind']}@{row['rate']:g}"


def summarize(
    runs,
    *,
    metric: str = "balanced_accuracy",
    alpha: float = 0.05,
    methods: Sequence[str] | None = None,
    counts: dict[str, int] | None = None,
) -> Summary:
    """Compute every table of the summary from a DataFrame of done runs."""
    m = score_matrix(runs, metric=metric, methods=methods)
    k = len(m.methods)
    fr = friedman(m.scores, higher_is_better=m.higher_is_better) if k >= 2 else None
    cd = nemenyi_cd(k, len(m.scores), alpha) if k >= 2 else float("nan")
    cliques = cd_cliques(fr.mean_ranks, cd) if fr is not None else []
    keep = runs[runs["condition_key"].isin(m.conditions["condition_key"])]
    labels = np.array(method_labels(runs))[
        runs["condition_key"].isin(m.conditions["condition_key"])
    ]
    collapsed = np.array(
        [
            np.mean([bool(z) for z in keep["zero_recall_classes"][labels == name]])
            for name in m.methods
        ]
    )
    rows = m.conditions
    scale = 100.0
    pp = m.scores * scale
    return Summary(
        matrix=m,
        friedman=fr,
        alpha=alpha,
        cd=cd,
        cliques=cliques,
        wins=wins(m.scores, higher_is_better=m.higher_is_better),
        collapsed=collapsed,
        overall=regret_by_group(pp, higher_is_better=m.higher_is_better)["all"],
        by_noise=_sorted(
            regret_by_group(pp, list(rows["noise"]), higher_is_better=m.higher_is_better)
        ),
        by_rate=_sorted(
            regret_by_group(
                pp,
                [_rate_label(r) for _, r in rows.iterrows()],
                higher_is_better=m.higher_is_better,
            )
        ),
        by_kind_rate=_sorted(
            regret_by_group(
                pp,
                [_kind_rate_label(r) for _, r in rows.iterrows()],
                higher_is_better=m.higher_is_better,
            )
        ),
        counts=dict(counts or {}),
    )


def regret_matrix(matrix: ScoreMatrix) -> np.ndarray:
    """Regret [conditions, methods] of a score matrix, in percentage points."""
    return regret(matrix.scores * 100.0, higher_is_better=matrix.higher_is_better)


# --------------------------------------------------------------------------- markdown
def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table (numbers right-aligned).

    Example:
        >>> print(markdown_table(["a", "b"], [["x", 1.5]]))
        | a | b |
        |---|--:|
        | x | 1.5 |
    """

    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|")

    numeric = [bool(rows) and all(_is_number(r[i]) for r in rows) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join("--:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    if isinstance(value, (int, float, np.number)):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _f(value: float, digits: int = 2) -> str:
    return "nan" if value != value else f"{value:.{digits}f}"


def _p(value: float) -> str:
    return f"{value:.3g}"


def to_markdown(s: Summary, *, title: str = "Benchmark summary") -> str:
    """The summary as markdown: methods, Friedman/CD, regret by kind and rate, cost of choice."""
    m = s.matrix
    n, k = m.scores.shape
    direction = "higher" if m.higher_is_better else "lower"
    out = [f"## {title}", ""]
    status = ", ".join(f"{v} {key}" for key, v in s.counts.items()) if s.counts else ""
    out.append(
        f"Metric: **{m.metric}** ({direction} is better), {n} complete conditions x {k} methods"
        + (f", {m.dropped} incomplete conditions left out" if m.dropped else "")
        + (f". Runs: {status}." if status else ".")
    )
    out.append("")
    ranks = s.friedman.mean_ranks if s.friedman is not None else np.ones(k)
    order = np.argsort(ranks, kind="stable")
    mean_scores = m.scores.mean(axis=0) * 100.0
    rows = [
        [
            m.methods[j],
            _f(mean_scores[j]),
            _f(ranks[j]),
            _f(s.wins[j], 1),
            _f(s.overall.mean[j]),
            _f(s.overall.max[j]),
            _f(100.0 * s.collapsed[j], 1),
        ]
        for j in order
    ]
    out.append("### Methods")
    out.append("")
    out.append(
        markdown_table(
            [
                "method",
                f"mean {m.metric} (%)",
                "mean rank",
                "wins",
                "mean regret (pp)",
                "max regret (pp)",
                "runs with a zero-recall class (%)",
            ],
            rows,
        )
    )
    out.append("")
    out.append("### Friedman test and Nemenyi critical difference")
    out.append("")
    if s.friedman is not None:
        fr = s.friedman
        out.append(
            markdown_table(
                [
                    "N",
                    "k",
                    "chi2",
                    "df",
                    "p",
                    "Iman-Davenport F",
                    "p (F)",
                    f"CD (alpha={s.alpha:g})",
                ],
                [
                    [
                        n,
                        k,
                        _f(fr.statistic, 3),
                        fr.df,
                        _p(fr.pvalue),
                        _f(fr.iman_davenport, 3),
                        _p(fr.iman_davenport_pvalue),
                        _f(s.cd, 3),
                    ]
                ],
            )
        )
        out.append("")
        if s.cliques:
            groups = ["{" + ", ".join(m.methods[i] for i in c) + "}" for c in s.cliques]
            out.append("Not significantly different (mean ranks within CD): " + "; ".join(groups))
        else:
            out.append("Every pair of methods differs by more than CD in mean rank.")
        out.append("")
    out.append(
        _regret_section("Regret of each fixed choice by noise kind (pp, mean)", s.by_noise, m)
    )
    out.append(
        _regret_section("Regret of each fixed choice by noise rate (pp, mean)", s.by_rate, m)
    )
    out.append("### Cost of method choice (best - worst, pp) by noise kind and rate")
    out.append("")
    rows = [[label, g.n, _f(g.cost_mean), _f(g.cost_max)] for label, g in s.by_kind_rate.items()]
    rows.append(["all", n, _f(s.overall.cost_mean), _f(s.overall.cost_max)])
    out.append(markdown_table(["condition", "N", "mean cost", "max cost"], rows))
    out.append("")
    return "\n".join(out)


def _regret_section(title: str, groups: dict[Any, RegretGroup], m: ScoreMatrix) -> str:
    rows = [
        [str(label), g.n, *(_f(v) for v in g.mean), _f(g.cost_mean)] for label, g in groups.items()
    ]
    table = markdown_table(["group", "N", *m.methods, "cost of choice"], rows)
    return f"### {title}\n\n{table}\n"
