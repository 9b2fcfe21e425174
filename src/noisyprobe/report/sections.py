"""The benchmark sections of the report, each a pure function of the ledger's summary.

Overview, methods, Friedman/Nemenyi with a critical-difference diagram, ranks per condition,
regret by noise kind and rate, per-class recall with zero-recall flags, selector validation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from noisyprobe.bench.summary import Summary, method_labels
from noisyprobe.errors import NoisyProbeError
from noisyprobe.report.figures import bar_chart, matrix_heatmap, via_png
from noisyprobe.report.html import Cell, esc, figure, note, num, pval, section, table


def overview(s: Summary, *, ledger: str, generated: str) -> str:
    """Where the numbers come from: ledger, metric, run counts and the conditions."""
    m = s.matrix
    n, k = m.scores.shape
    direction = "higher" if m.higher_is_better else "lower"
    counts = ", ".join(f"{v} {key}" for key, v in s.counts.items()) or "-"
    info = table(
        ["item", "value"],
        [
            ["ledger", ledger],
            ["metric", f"{m.metric} ({direction} is better)"],
            ["complete conditions", n],
            ["methods", k],
            ["incomplete conditions left out", m.dropped],
            ["runs in the ledger", counts],
            ["generated", generated],
        ],
        cls="info",
    )
    c = m.conditions
    rows = [
        [r["name"], r["dataset"], r["backbone"], r["noise"], num(r["rate"], 2), int(r["seeds"])]
        for _, r in c.iterrows()
    ]
    conds = table(["condition", "dataset", "backbone", "noise", "rate", "seeds"], rows)
    body = [
        info,
        f"<details><summary>{esc(n)} conditions</summary>"
        f'<div class="scroll">{conds}</div></details>',
    ]
    return section("overview", "Overview", body)


def methods(s: Summary) -> str:
    """One row per method, best mean rank first."""
    m = s.matrix
    k = len(m.methods)
    ranks = s.friedman.mean_ranks if s.friedman is not None else np.ones(k)
    order = np.argsort(ranks, kind="stable")
    means = m.scores.mean(axis=0) * 100.0
    rows = []
    for pos, j in enumerate(order):
        zero = 100.0 * s.collapsed[j]
        rows.append(
            [
                Cell(m.methods[j], "best" if pos == 0 else ""),
                num(means[j]),
                num(ranks[j]),
                num(s.wins[j], 1),
                num(s.overall.mean[j]),
                num(s.overall.max[j]),
                Cell(num(zero, 1), "zero" if zero > 0 else ""),
            ]
        )
    header = [
        "method",
        f"mean {m.metric} (%)",
        "mean rank",
        "wins",
        "mean regret (pp)",
        "max regret (pp)",
        "runs with a zero-recall class (%)",
    ]
    return section("methods", "Methods", [table(header, rows, cls="methods")])


def friedman(s: Summary) -> str:
    """Friedman test, Iman-Davenport F, Nemenyi CD (exact values in ``data-`` attributes)."""
    from noisyprobe.bench.figures import cd_diagram

    m = s.matrix
    n, k = m.scores.shape
    title = "Friedman test and Nemenyi critical difference"
    if s.friedman is None:
        return section("friedman", title, [note("Needs at least two methods.")])
    fr = s.friedman
    attrs = {
        "chi2": repr(fr.statistic),
        "p": repr(fr.pvalue),
        "df": fr.df,
        "cd": repr(s.cd),
        "alpha": repr(s.alpha),
        "n": n,
        "k": k,
    }
    stats = table(
        ["N", "k", "chi2", "df", "p", "Iman-Davenport F", "p (F)", f"CD (alpha={s.alpha:g})"],
        [
            [
                n,
                k,
                num(fr.statistic, 3),
                fr.df,
                pval(fr.pvalue),
                num(fr.iman_davenport, 3),
                pval(fr.iman_davenport_pvalue),
                num(s.cd, 3),
            ]
        ],
        cls="friedman",
        attrs=attrs,
    )
    if s.cliques:
        groups = "; ".join("{" + ", ".join(m.methods[i] for i in c) + "}" for c in s.cliques)
        text = f"Not significantly different (mean ranks within CD): {groups}."
    else:
        text = "Every pair of methods differs by more than CD in mean rank."
    cd_fig = via_png(
        cd_diagram,
        fr.mean_ranks,
        m.methods,
        s.cd,
        s.cliques,
        title=f"{m.metric}: mean rank over {n} conditions (bars: within CD)",
    )
    body = [
        stats,
        note(text),
        note(
            f"Ties share average ranks; chi2 is tie-corrected (c = {fr.tie_correction:.4f}); "
            f"CD = q_alpha sqrt(k(k+1)/(6N)) with q_alpha from the studentized range."
        ),
        figure(cd_fig, "Critical-difference diagram: methods joined by a bar do not differ."),
    ]
    return section("friedman", title, body)


def ranks(s: Summary) -> str:
    """Heatmap of every method's rank in every condition."""
    from noisyprobe.bench.figures import rank_heatmap

    m = s.matrix
    if s.friedman is None:
        return section("ranks", "Ranks per condition", [note("Needs at least two methods.")])
    uri = via_png(
        rank_heatmap,
        s.friedman.ranks,
        list(m.conditions["name"]),
        m.methods,
        title=f"rank per condition ({m.metric}, 1 = best)",
    )
    return section("ranks", "Ranks per condition", [figure(uri, "Rank heatmap over conditions.")])


def _regret_table(groups: dict[Any, Any], methods: Sequence[str]) -> str:
    rows = []
    for label, g in groups.items():
        best = int(np.argmin(g.mean))
        cells = [Cell(num(v), "best" if j == best else "") for j, v in enumerate(g.mean)]
        rows.append([str(label), g.n, *cells, num(g.cost_mean)])
    return table(["group", "N", *methods, "cost of choice"], rows, cls="regret")


def regret(s: Summary) -> str:
    """Regret of every fixed choice by noise kind, by rate, and by kind and rate."""
    m = s.matrix
    kr = s.by_kind_rate
    values = np.array([g.mean for g in kr.values()])
    uri = matrix_heatmap(
        values,
        [str(label) for label in kr],
        m.methods,
        title="mean regret of each fixed choice (pp) by noise kind and rate",
        label="regret (pp)",
    )
    cost_rows = [[label, g.n, num(g.cost_mean), num(g.cost_max)] for label, g in kr.items()]
    cost_rows.append(["all", len(m.scores), num(s.overall.cost_mean), num(s.overall.cost_max)])
    body = [
        note(f"Regret = best - chosen {m.metric} in the same condition, percentage points."),
        "<h3>By noise kind (mean)</h3>",
        _regret_table(s.by_noise, m.methods),
        "<h3>By noise rate (mean)</h3>",
        _regret_table(s.by_rate, m.methods),
        figure(uri, "Mean regret by noise kind and rate (0 = the best choice there)."),
        "<h3>Cost of method choice (best - worst, pp)</h3>",
        table(["condition", "N", "mean cost", "max cost"], cost_rows),
    ]
    return section("regret", "Regret by noise kind and rate", body)


def recall(s: Summary, runs: Any, *, max_rows: int = 200) -> str:
    """Mean per-class recall per FeatureSet and method; classes at zero recall are flagged."""
    m = s.matrix
    inside = runs["condition_key"].isin(m.conditions["condition_key"]).to_numpy()
    labels = np.array(method_labels(runs))[inside]
    df = runs[inside].assign(method_label=labels)
    name_of = dict(zip(m.conditions["condition_key"], m.conditions["name"]))
    body = [
        note(
            "Mean recall of each class over the runs of the complete conditions; a red cell "
            "means at least one run had zero recall for that class (count in brackets)."
        )
    ]
    flagged_rows = []
    for fs in sorted(set(df["featureset"])):
        sub = df[df["featureset"] == fs]
        c = max((len(r) for r in sub["per_class_recall"] if isinstance(r, list)), default=0)
        if c == 0:
            body.append(note(f"{fs}: no per-class recall recorded."))
            continue
        mean = np.full((len(m.methods), c), np.nan)
        zeros = np.zeros((len(m.methods), c), dtype=int)
        total = np.zeros(len(m.methods), dtype=int)
        for j, method in enumerate(m.methods):
            rec = sub[sub["method_label"] == method]
            total[j] = len(rec)
            mat = np.array(
                [_padded(r, c) for r in rec["per_class_recall"]], dtype=np.float64
            ).reshape(-1, c)
            with np.errstate(all="ignore"):
                if mat.size and np.isfinite(mat).any():
                    mean[j] = np.nanmean(np.where(np.isfinite(mat), mat, np.nan), axis=0)
            for z in rec["zero_recall_classes"]:
                for cls in z or []:
                    if 0 <= int(cls) < c:
                        zeros[j, int(cls)] += 1
        classes = [f"class {i}" for i in range(c)]
        rows = []
        for j, method in enumerate(m.methods):
            cells = []
            for i in range(c):
                text = num(mean[j, i])
                if zeros[j, i]:
                    text += f" ({zeros[j, i]}/{total[j]} at 0)"
                cells.append(Cell(text, "zero" if zeros[j, i] else ""))
            rows.append([method, *cells])
        body.append(f"<h3>{esc(fs)}</h3>")
        body.append(f'<div class="scroll">{table(["method", *classes], rows, cls="recall")}</div>')
        body.append(
            figure(
                matrix_heatmap(
                    mean,
                    m.methods,
                    classes,
                    title=f"{fs}: mean per-class recall (red box: a run at zero recall)",
                    label="recall",
                    cmap="viridis",
                    vmin=0.0,
                    vmax=1.0,
                    flags=zeros > 0,
                    digits=2,
                ),
                f"{fs}: per-class recall by method.",
            )
        )
        for (ckey, method), g in sub.groupby(["condition_key", "method_label"], sort=True):
            hit = [z for z in g["zero_recall_classes"] if z]
            if hit:
                classes_hit = sorted({int(x) for z in hit for x in z})
                flagged_rows.append(
                    [
                        name_of.get(ckey, ckey),
                        method,
                        f"{len(hit)}/{len(g)}",
                        ", ".join(f"class {x}" for x in classes_hit),
                    ]
                )
    body.append("<h3>Runs with a class at zero recall</h3>")
    if flagged_rows:
        shown = flagged_rows[:max_rows]
        body.append(table(["condition", "method", "runs (seeds)", "classes at zero recall"], shown))
        if len(flagged_rows) > max_rows:
            body.append(note(f"... and {len(flagged_rows) - max_rows} more."))
    else:
        body.append(note("No run left a class at zero recall."))
    return section("recall", "Per-class recall", body)


def _padded(values: Any, c: int) -> list[float]:
    vals = [np.nan if v is None else float(v) for v in (values or [])]
    return (vals + [np.nan] * c)[:c]


def selector(ledger_path: str | os.PathLike[str], *, metric: str, k: int = 5) -> str:
    """Leave-one-dataset-out validation of the selector, or why it cannot run on this ledger."""
    from noisyprobe.select.training import training_table
    from noisyprobe.select.validate import leave_one_dataset_out

    title = "Selector validation (leave one dataset out)"
    try:
        v = leave_one_dataset_out(training_table(ledger_path, metric=metric), k=k)
    except NoisyProbeError as exc:
        return section("selector", title, [note(f"Not available for this ledger: {exc}")])
    rows = [
        ["selector (k-nearest conditions)", num(v.selector), num(v.selector_max)],
        [
            "best fixed method on the training datasets",
            num(v.best_on_train),
            num(float(v.picks["best_on_train_regret"].max())),
        ],
    ]
    fixed = sorted(v.methods, key=lambda name: v.fixed[name])
    rows += [[f"always {name}", num(v.fixed[name]), num(v.fixed_max[name])] for name in fixed]
    rows.append(["oracle", num(0.0), num(0.0)])
    datasets = list(dict.fromkeys(v.picks["dataset"]))
    per = []
    for d in datasets:
        sub = v.picks[v.picks["dataset"] == d]
        picks = ", ".join(f"{name}:{n}" for name, n in sub["picked"].value_counts().items())
        per.append(
            [
                d,
                len(sub),
                num(float(sub["selector_regret"].mean())),
                num(float(sub["best_on_train_regret"].mean())),
                picks,
            ]
        )
    uri = bar_chart(
        [r[0] for r in rows],
        [float(r[1]) for r in rows],
        title=f"mean regret on held-out datasets ({v.metric}, pp)",
        xlabel="mean regret (pp)",
    )
    body = [
        note(
            f"{len(v.picks)} held-out conditions from {len(datasets)} datasets; regret = best - "
            f"chosen {v.metric}, in percentage points."
        ),
        table(["choice", "mean regret (pp)", "max regret (pp)"], rows, cls="selector"),
        table(["held-out dataset", "N", "selector", "best fixed on train", "picks"], per),
        figure(uri, "Selector vs fixed choices on held-out datasets."),
    ]
    return section("selector", title, body)
