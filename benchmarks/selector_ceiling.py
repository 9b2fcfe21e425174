"""How much a regime-aware choice could gain on a ledger: selectors vs a true-regime table.

Leave one dataset out, on the ledger's complete conditions. Besides the selectors
(``noisyprobe select --validate``: k-nearest conditions and ridge, both reading only the
regime features estimated from the data), a *true-regime table* is fitted on the training
datasets: for each held-out condition it picks the method with the lowest mean regret among
the training conditions of the same noise kind and rate band (0, <=0.25, >0.25), i.e. what
a perfect regime estimate followed by the per-regime guidance table would choose. If even
that table does not beat the best fixed method, method rankings move with the dataset more
than with the noise regime, and no regime-feature selector can be clearly better.
With noisy-validation scores in the ledger (grids run by this version record each run's
balanced accuracy on the val split's labels carrying the condition's noise), two more
selectors: the best noisy-validation score per condition, and ridge blended with it. Where
the runs also recorded their noisy-val confusion counts and the conditions their estimated
noise transition, the same two selectors are repeated on the *corrected* score
(:mod:`noisyprobe.select.corrected`) and, as a ceiling that no user has, on the val rows'
clean labels.
Each line: mean regret (pp), then the Wilcoxon signed-rank p-value of the per-condition
differences against the best fixed method and how many conditions are better / worse.

    python benchmarks/selector_ceiling.py bench-medical.sqlite [--skip nmtune-official]

``--completed-after 2026-12-04T05:30`` (UTC) adds, under each line, the same comparison on
only the conditions whose last run finished after that time (the selectors are still
validated leave-one-dataset-out on the whole table): conditions a selector's design never
saw, when it was fixed before they were run.
"""

from __future__ import annotations

import argparse
import sqlite3
from datetime import datetime, timezone

import numpy as np
from scipy.stats import wilcoxon

from noisyprobe.select.training import TrainingTable, training_table
from noisyprobe.select.validate import leave_one_dataset_out


def true_regime_picks(table: TrainingTable) -> tuple[np.ndarray, np.ndarray]:
    """Per-condition regret of the true-regime table and of the best fixed method (LODO)."""
    c = table.conditions
    rate = c["rate"].fillna(0.0).to_numpy(dtype=float)
    band = np.where(rate <= 0, "0", np.where(rate <= 0.25, "low", "high"))
    key = c["noise"].astype(str).to_numpy() + "/" + band
    datasets = c["dataset"].to_numpy()
    table_regret = np.empty(len(c))
    fixed_regret = np.empty(len(c))
    for held in dict.fromkeys(datasets):
        test, train = datasets == held, datasets != held
        fixed = int(np.argmin(table.regrets[train].mean(axis=0)))
        for i in np.flatnonzero(test):
            same = train & (key == key[i])
            pick = int(np.argmin(table.regrets[same].mean(axis=0))) if same.any() else fixed
            table_regret[i] = table.regrets[i, pick]
            fixed_regret[i] = table.regrets[i, fixed]
    return table_regret, fixed_regret


def completed_after(ledger: str, table: TrainingTable, when: str) -> np.ndarray:
    """[conditions] bool: the condition's last finished run (any method) is after ``when`` (UTC)."""
    stamp = datetime.fromisoformat(when).replace(tzinfo=timezone.utc).timestamp()
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT condition_key, MAX(finished_at) FROM runs WHERE status = 'done' "
            "GROUP BY condition_key"
        ).fetchall()
    last = dict(rows)
    keys = table.conditions["condition_key"]
    return np.array([last.get(k, 0.0) > stamp for k in keys], dtype=bool)


def _line(
    name: str, regret: np.ndarray, fixed: np.ndarray, subset: np.ndarray | None = None
) -> str:
    diff = regret - fixed
    p = wilcoxon(diff).pvalue if np.any(diff) else 1.0
    better, worse = int((diff < 0).sum()), int((diff > 0).sum())
    line = f"{name:<34} {regret.mean():6.2f}   p={p:.3f}   better {better}, worse {worse}"
    if subset is not None and subset.any():
        line += "\n" + _line(f"  on the {int(subset.sum())} later conditions", regret[subset],
                             fixed[subset])  # fmt: skip
    return line


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("ledger")
    ap.add_argument("--skip", default="", help="comma-separated methods left out")
    ap.add_argument("--completed-after", metavar="ISO", help="also report on later conditions")
    args = ap.parse_args(argv)
    from noisyprobe.methods import available

    skip = {m for m in args.skip.split(",") if m}
    table = training_table(args.ledger, methods=[m for m in available() if m not in skip])
    datasets = table.conditions["dataset"].nunique()
    print(f"{len(table.regrets)} conditions, {datasets} datasets, {len(table.methods)} methods")

    def later(t: TrainingTable) -> np.ndarray | None:
        return (
            completed_after(args.ledger, t, args.completed_after) if args.completed_after else None
        )

    _block(table, ["knn", "ridge"], later(table))
    if table.validation is None:
        print("(no noisy-validation scores in this ledger: validation/blend selectors skipped)")
        return
    scored = table.validated()
    print(
        f"\non the {len(scored.regrets)} conditions ({scored.conditions['dataset'].nunique()} "
        "datasets) with noisy-validation scores:"
    )
    _block(scored, ["knn", "ridge", "validation", "blend", "blend-mean"], later(scored))
    for score in ("corrected", "clean"):
        other = training_table(args.ledger, methods=table.methods, validation_score=score)
        if other.validation is None or np.isnan(other.validation).all():
            print(f"(no {score} validation scores in this ledger)")
            continue
        other = other.validated()
        if len(other.regrets) != len(scored.regrets):
            print(f"({score} scores on {len(other.regrets)} conditions only: skipped)")
            continue
        label = "clean val labels: the ceiling" if score == "clean" else score
        print(f"\nvalidation score {label}:")
        _block(other, ["validation", "blend", "blend-mean"], later(other), baseline_only=True)


def _block(
    table: TrainingTable,
    models: list[str],
    subset: np.ndarray | None = None,
    *,
    baseline_only: bool = False,
) -> None:
    """One line per choice on ``table``, each against the best fixed method."""
    regime, fixed = true_regime_picks(table)
    print(_line("best fixed method on training sets", fixed, fixed, subset))
    for model in models:
        v = leave_one_dataset_out(table, model=model)
        order = v.picks.set_index("name").loc[table.conditions["name"]]
        print(_line(f"selector ({model})", order["selector_regret"].to_numpy(), fixed, subset))
        if model.startswith("blend"):
            print("    prior weight per held-out dataset: " + ", ".join(
                f"{d} {w:.1f}" for d, w in v.weights.items()))  # fmt: skip
    if not baseline_only:
        print(_line("true-regime table", regime, fixed, subset))


if __name__ == "__main__":
    main()
