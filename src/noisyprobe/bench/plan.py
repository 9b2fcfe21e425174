"""Group a grid's unfinished runs into stacks: the unit of work of every executor.

A stack holds runs that share a FeatureSet, its training rows (the label column trained on),
the method, its hyperparameters and the training configuration, so the trainer can train them
as one vectorised stack. Stacks are plain JSON-able dicts: they travel unchanged to a local
worker process or a Ray task, and nothing is pickled by noisyprobe itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from noisyprobe.bench.spec import FeatureSetInfo, GridRun, GridSpec, canonical_json
from noisyprobe.errors import NoisyProbeError


def plan_stacks(
    runs: Sequence[GridRun],
    spec: GridSpec,
    featuresets: Mapping[str, FeatureSetInfo],
    *,
    max_runs: int = 64,
    unfinished: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Stacks of at most ``max_runs`` runs, in a deterministic order.

    Stack boundaries are drawn over *all* runs of the grid, then each stack keeps only its
    ``unfinished`` runs (empty stacks are dropped). A stack is recorded in one transaction,
    so after an interruption every unfinished stack comes back with exactly the same runs:
    results are bit-identical to an uninterrupted grid, whatever the executor's order.

    Example:
        >>> plan_stacks([], None, {})
        []
    """
    if not isinstance(max_runs, int) or max_runs < 1:
        raise NoisyProbeError(f"stack size: expected a positive integer, got {max_runs!r}")
    groups: dict[tuple[str, str | None, str, str], list[GridRun]] = {}
    for run in runs:
        key = (run.featureset, run.label_column, run.method, run.params_json)
        groups.setdefault(key, []).append(run)
    stacks = []
    for (fs_name, column, method, _), members in groups.items():
        members = sorted(members, key=lambda r: (r.condition_key, r.seed, r.key))
        info = featuresets[fs_name]
        for start in range(0, len(members), max_runs):
            chunk = members[start : start + max_runs]
            if unfinished is not None:
                chunk = [r for r in chunk if r.key in unfinished]
                if not chunk:
                    continue
            stacks.append(
                {
                    "featureset": fs_name,
                    "path": str(info.path),
                    "fingerprint": info.fingerprint,
                    "label_column": column,
                    "method": method,
                    "params": chunk[0].params,
                    "train": dict(spec.train),
                    "eval_split": spec.eval_split,
                    "runs": [
                        {
                            "key": r.key,
                            "noise_kind": r.noise_kind,
                            "rate": r.rate,
                            "counting": r.counting,
                            "seed": r.seed,
                            **({"noise_options": r.noise_options} if r.noise_options else {}),
                        }
                        for r in chunk
                    ],
                }
            )
            canonical_json(stacks[-1])  # fail early if anything is not plain JSON
    return stacks


def regime_tasks(
    runs: Sequence[GridRun],
    featuresets: Mapping[str, FeatureSetInfo],
    missing: Sequence[str],
) -> list[dict[str, Any]]:
    """One task per condition in ``missing``: its regime on the smallest seed's labels."""
    wanted = set(missing)
    first: dict[str, GridRun] = {}
    for run in runs:
        if run.condition_key in wanted:
            known = first.get(run.condition_key)
            if known is None or run.seed < known.seed:
                first[run.condition_key] = run
    return [
        {
            "condition_key": ckey,
            "path": str(featuresets[run.featureset].path),
            "fingerprint": featuresets[run.featureset].fingerprint,
            "label_column": run.label_column,
            "noise_kind": run.noise_kind,
            "rate": run.rate,
            "counting": run.counting,
            "seed": run.seed,
            **({"noise_options": run.noise_options} if run.noise_options else {}),
        }
        for ckey, run in first.items()
    ]
