"""Run a grid into a ledger: resolve FeatureSets, register runs, execute what is unfinished.

The driver is the only writer of the ledger. It registers every run of the grid (existing
keys untouched), estimates the regime of conditions that have none, groups the runs that
are not ``done`` into stacks, hands them to an executor, and stores each finished stack in
one transaction. Interrupted at any point, the next call picks up exactly the runs that
are not ``done``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noisyprobe.bench.ledger import Ledger, RunResult
from noisyprobe.bench.spec import GridSpec, canonical_json, load_spec


@dataclass
class GridReport:
    """What one call of :func:`run_grid` did.

    Attributes:
        total: runs in the grid.
        already_done: runs found done in the ledger at the start.
        ran: runs trained and recorded by this call.
        failed: runs whose stack raised (recorded as ``failed``; retried next time).
        regimes: conditions whose regime was estimated by this call.
        seconds: wall time.
        failures: one line per failed stack.
    """

    total: int = 0
    already_done: int = 0
    ran: int = 0
    failed: int = 0
    regimes: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def run_grid(
    spec: GridSpec | str | os.PathLike[str],
    ledger_path: str | os.PathLike[str],
    *,
    executor: str = "local",
    executor_options: Mapping[str, Any] | None = None,
    stack_size: int = 64,
    regime: bool = True,
    progress: bool = True,
) -> GridReport:
    """Run every unfinished run of ``spec`` and record it in the ledger at ``ledger_path``.

    Args:
        spec: a :class:`GridSpec` or the path of a YAML spec.
        ledger_path: the SQLite ledger (created if missing).
        executor: ``"local"`` or ``"ray"``.
        executor_options: options of the executor (local: ``workers``, ``threads``; ray:
            ``address``, ``num_cpus``, ``cpus_per_task``).
        stack_size: most runs trained together in one stack.
        regime: estimate each condition's regime features (for ``noisyprobe select``).
        progress: progress bars on stderr (runs done, runs/s, time left).

    Returns:
        A :class:`GridReport`.
    """
    from noisyprobe._progress import progress_bar
    from noisyprobe.bench import executors
    from noisyprobe.bench.featuresets import resolve_all
    from noisyprobe.bench.plan import plan_stacks, regime_tasks
    from noisyprobe.bench.spec import expand

    start = time.perf_counter()
    if not isinstance(spec, GridSpec):
        spec = load_spec(spec)
    executors.check(executor)  # a missing extra fails now, before any extraction
    infos = resolve_all(spec, progress=progress)
    runs = expand(spec, infos)
    report = GridReport(total=len(runs))
    with Ledger(ledger_path) as ledger, ledger.writer_lock():
        ledger.set_meta("metric", spec.metric)
        ledger.set_meta("last_spec", spec.name)
        ledger.add_runs(runs)
        first_of: dict[str, Any] = {}
        for run in runs:
            first_of.setdefault(run.condition_key, run)
        for run in first_of.values():
            cspec = {k: v for k, v in run.spec.items() if k not in ("method", "params", "seed")}
            ledger.add_condition(run, canonical_json(cspec))
        todo_keys = set(ledger.unfinished(r.key for r in runs))
        report.already_done = len(runs) - len(todo_keys)
        todo = [r for r in runs if r.key in todo_keys]
        ex = executors.get(executor, **dict(executor_options or {}))
        try:
            if regime:
                missing = ledger.conditions_without_regime(first_of)
                tasks = regime_tasks(runs, infos, missing)
                bar = progress_bar(
                    total=len(tasks), unit="cond", desc="regime", enabled=progress and bool(tasks)
                )
                for payload, result, error in ex.map("regime", tasks):
                    if error is None:
                        ledger.set_regime(
                            payload["condition_key"],
                            result["regime"],
                            transition=result.get("transition"),
                            seed=result["seed"],
                            seconds=result["seconds"],
                        )
                        report.regimes += 1
                    else:
                        report.failures.append(
                            f"regime of {payload['condition_key'][:12]}: {error}"
                        )
                    bar.update()
                bar.close()
            stacks = plan_stacks(runs, spec, infos, max_runs=stack_size, unfinished=todo_keys)
            bar = progress_bar(
                total=len(todo), unit="run", desc="bench", enabled=progress and bool(todo)
            )
            for stack, result, error in ex.map("stack", stacks, on_submit=_marker(ledger)):
                keys = [r["key"] for r in stack["runs"]]
                if error is None:
                    ledger.record([RunResult(**r) for r in result["results"]])
                    report.ran += len(keys)
                else:
                    ledger.record_failure(keys, error)
                    report.failed += len(keys)
                    report.failures.append(
                        f"{stack['featureset']}/{stack['method']} ({len(keys)} runs): {error}"
                    )
                bar.update(len(keys))
            bar.close()
        finally:
            ex.close()
    report.seconds = time.perf_counter() - start
    return report


def _marker(ledger: Ledger):
    def mark(stack: dict[str, Any]) -> None:
        ledger.mark_running([r["key"] for r in stack["runs"]])

    return mark


def default_ledger(spec_path: str | os.PathLike[str]) -> Path:
    """``<spec>.sqlite`` beside the spec file."""
    return Path(spec_path).with_suffix(".sqlite")
