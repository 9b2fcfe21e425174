"""Stack planning: grouping, fixed boundaries, JSON payloads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from noisyprobe.bench.featuresets import resolve_all
from noisyprobe.bench.plan import plan_stacks, regime_tasks
from noisyprobe.bench.spec import expand, parse_spec
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet


@pytest.fixture
def planned(tmp_path):
    y = np.arange(40) % 4
    splits = np.array(["train"] * 30 + ["test"] * 10)
    FeatureSet(np.eye(40, 6), y, splits, extra_labels={"rnn": (y + 1) % 4}).save(tmp_path / "fs")
    spec = parse_spec(
        {
            "featuresets": {"a": "fs"},
            "noise": {"kinds": ["symmetric"], "rates": [0, 0.2, 0.4], "label_columns": ["rnn"]},
            "methods": {"lp": {}, "gce": [{"q": 0.7}, {"q": 0.3}]},
            "seeds": "0-4",
        },
        base_dir=tmp_path,
    )
    infos = resolve_all(spec, progress=False)
    return spec, infos, expand(spec, infos)


def test_stacks_group_runs_that_can_train_together(planned):
    spec, infos, runs = planned
    stacks = plan_stacks(runs, spec, infos, max_runs=64)
    # (labels | rnn) x (lp, gce q=0.7, gce q=0.3)
    assert len(stacks) == 6
    assert sorted(len(s["runs"]) for s in stacks) == [5, 5, 5, 15, 15, 15]
    for s in stacks:
        assert len({(s["label_column"], s["method"], json.dumps(s["params"]))}) == 1
        json.dumps(s)  # plain JSON, nothing pickled
    assert sum(len(s["runs"]) for s in stacks) == len(runs)


def test_boundaries_are_fixed_and_unfinished_runs_keep_their_stacks(planned):
    spec, infos, runs = planned
    full = plan_stacks(runs, spec, infos, max_runs=4)
    assert max(len(s["runs"]) for s in full) == 4
    # pretend the first and third stacks were recorded: the rest come back unchanged
    done = {r["key"] for s in (full[0], full[2]) for r in s["runs"]}
    unfinished = {r.key for r in runs} - done
    again = plan_stacks(runs, spec, infos, max_runs=4, unfinished=unfinished)
    assert again == [s for i, s in enumerate(full) if i not in (0, 2)]
    # a stack with some runs done keeps only the unfinished ones, nothing regrouped
    partial = unfinished - {full[1]["runs"][0]["key"]}
    third = plan_stacks(runs, spec, infos, max_runs=4, unfinished=partial)
    assert third[0]["runs"] == full[1]["runs"][1:]
    assert plan_stacks(runs, spec, infos, max_runs=4, unfinished=set()) == []


def test_regime_tasks_use_each_conditions_smallest_seed(planned):
    spec, infos, runs = planned
    keys = list(dict.fromkeys(r.condition_key for r in runs))
    tasks = regime_tasks(runs, infos, keys[1:])
    assert len(tasks) == len(keys) - 1 and {t["seed"] for t in tasks} == {0}
    assert {t["condition_key"] for t in tasks} == set(keys[1:])


def test_bad_stack_size(planned):
    spec, infos, runs = planned
    with pytest.raises(NoisyProbeError, match="stack size"):
        plan_stacks(runs, spec, infos, max_runs=0)
