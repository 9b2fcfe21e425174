"""Running grids into a ledger: resume, extension, failures, stacks, executors, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from noisyprobe.bench import execute
from noisyprobe.bench.ledger import Ledger
from noisyprobe.bench.runner import run_grid
from noisyprobe.bench.spec import load_spec
from noisyprobe.cli import main
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet

GRID = """
featuresets: {a: fs_a, b: fs_b}
noise: {kinds: [symmetric, asymmetric], rates: [0.0, 0.3], label_columns: [rnn]}
methods: {lp: {}, gce: {q: 0.7}}
seeds: [0, 1]
train: {epochs: 2, batch_size: 64}
"""


def make_featureset(path, *, seed=0, rnn=True, n=240, d=8, c=4):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    x = rng.normal(size=(c, d))[y] * 2 + rng.normal(size=(n, d))
    splits = np.array(
        ["train"] * (n * 2 // 3) + ["val"] * (n // 12) + ["test"] * (n - n * 2 // 3 - n // 12)
    )
    extra = None
    if rnn:
        noisy = y.copy()
        noisy[::5] = (noisy[::5] + 1) % c
        extra = {"rnn": noisy}
    FeatureSet(
        x, y, splits, extra_labels=extra, metadata={"dataset": f"toy{seed}", "backbone": "rand"}
    ).save(path)


@pytest.fixture
def grid_dir(tmp_path):
    make_featureset(tmp_path / "fs_a", seed=0, rnn=True)
    make_featureset(tmp_path / "fs_b", seed=1, rnn=False)
    (tmp_path / "grid.yaml").write_text(GRID)
    return tmp_path


def _metrics(path):
    with Ledger(path, readonly=True) as ledger:
        df = ledger.runs(status=None)
    return {k: (s, m) for k, s, m in zip(df["key"], df["status"], df["metrics"])}


def test_grid_runs_every_run_once_and_resumes(grid_dir):
    ledger = grid_dir / "l.sqlite"
    report = run_grid(grid_dir / "grid.yaml", ledger, progress=False, regime=False)
    # a: clean, sym, asym, rnn; b: clean, sym, asym -> 7 conditions x 2 methods x 2 seeds
    assert (report.total, report.ran, report.failed, report.regimes) == (28, 28, 0, 0)
    with Ledger(ledger, readonly=True) as lg:
        assert lg.counts() == {"pending": 0, "running": 0, "done": 28, "failed": 0}
        runs = lg.runs()
        conds = lg.conditions()
    assert runs["balanced_accuracy"].between(0, 1).all()
    # one stack per (featureset, label column, method): 3 conditions x 2 seeds, or rnn x 2 seeds
    assert set(runs["stack_size"]) == {6, 2}
    real = runs[runs["noise"] == "real:rnn"]
    assert len(real) == 4 and (real["featureset"] == "a").all()
    noisy = runs[runs["noise"] == "symmetric"]
    assert np.allclose(noisy["realized_noise_rate"], 0.3, atol=0.01)
    assert all(len(r) == 4 for r in runs["per_class_recall"])
    assert len(conds) == 7 and conds["regime"].isna().all()
    again = run_grid(grid_dir / "grid.yaml", ledger, progress=False, regime=False)
    assert (again.already_done, again.ran, again.regimes) == (28, 0, 0)


def test_regimes_are_estimated_once_per_condition(grid_dir):
    from noisyprobe.bench.spec import parse_spec
    from noisyprobe.select.regime import REGIME_FEATURES

    spec = parse_spec(
        {
            "featuresets": {"a": "fs_a"},
            "noise": {"kinds": ["symmetric"], "rates": [0, 0.3]},
            "methods": ["lp"],
            "seeds": [3, 1],
            "train": {"epochs": 1},
        },
        base_dir=grid_dir,
    )
    ledger = grid_dir / "l.sqlite"
    assert run_grid(spec, ledger, progress=False).regimes == 2
    with Ledger(ledger, readonly=True) as lg:
        conds = lg.conditions()
    assert set(conds["regime_seed"]) == {1}  # the smallest seed's training labels
    assert all(set(r) == {*REGIME_FEATURES, "transition"} for r in conds["regime"])
    noisy = conds[conds["noise"] == "symmetric"]["regime"].iloc[0]
    clean = conds[conds["noise"] == "none"]["regime"].iloc[0]
    assert noisy["noise_rate"] > clean["noise_rate"]
    for regime in (noisy, clean):  # T[true, given]: rows are distributions
        np.testing.assert_allclose(np.sum(regime["transition"], axis=1), 1.0)
    assert np.trace(noisy["transition"]) < np.trace(clean["transition"])
    assert run_grid(spec, ledger, progress=False).regimes == 0


def test_results_do_not_depend_on_stacking(grid_dir):
    run_grid(grid_dir / "grid.yaml", grid_dir / "big.sqlite", progress=False, regime=False)
    run_grid(
        grid_dir / "grid.yaml",
        grid_dir / "small.sqlite",
        stack_size=3,
        progress=False,
        regime=False,
    )
    big, small = _metrics(grid_dir / "big.sqlite"), _metrics(grid_dir / "small.sqlite")
    assert big.keys() == small.keys()
    for key, (_, m) in big.items():
        a, b = json.loads(m), json.loads(small[key][1])
        assert a["balanced_accuracy"] == b["balanced_accuracy"]
        assert a["per_class_recall"] == b["per_class_recall"]
        assert a["ece"] == pytest.approx(b["ece"], abs=1e-6)


def test_extending_a_grid_runs_only_new_runs(grid_dir):
    ledger = grid_dir / "l.sqlite"
    spec = load_spec(grid_dir / "grid.yaml")
    from dataclasses import replace

    run_grid(replace(spec, seeds=(0,)), ledger, progress=False, regime=False)
    before = _metrics(ledger)
    report = run_grid(spec, ledger, progress=False, regime=False)
    assert (report.already_done, report.ran) == (14, 14)
    after = _metrics(ledger)
    assert all(after[k] == v for k, v in before.items())  # done runs untouched


def test_failed_stacks_are_recorded_and_retried(grid_dir, monkeypatch):
    ledger = grid_dir / "l.sqlite"
    real = execute.run_stack

    def flaky(stack, **kw):
        if stack["method"] == "gce":
            raise RuntimeError("out of memory\nin gce")
        return real(stack, **kw)

    monkeypatch.setattr(execute, "run_stack", flaky)
    report = run_grid(grid_dir / "grid.yaml", ledger, progress=False, regime=False)
    assert (report.ran, report.failed) == (14, 14)
    assert any("RuntimeError: out of memory in gce" in f for f in report.failures)
    with Ledger(ledger, readonly=True) as lg:
        failed = lg.runs(status="failed")
    assert len(failed) == 14 and set(failed["error"]) == {"RuntimeError: out of memory in gce"}
    monkeypatch.setattr(execute, "run_stack", real)
    report = run_grid(grid_dir / "grid.yaml", ledger, progress=False, regime=False)
    assert (report.already_done, report.ran, report.failed) == (14, 14, 0)
    with Ledger(ledger, readonly=True) as lg:
        assert set(lg.runs()["attempts"]) == {1, 2}


def test_changed_featureset_is_refused_at_run_time(grid_dir):
    spec = load_spec(grid_dir / "grid.yaml")
    from noisyprobe.bench.featuresets import resolve_all
    from noisyprobe.bench.plan import plan_stacks
    from noisyprobe.bench.spec import expand

    infos = resolve_all(spec, progress=False)
    stack = plan_stacks(expand(spec, infos), spec, infos)[0]
    execute._CACHE.clear()
    stack["fingerprint"] = "0" * 64
    with pytest.raises(NoisyProbeError, match="changed since"):
        execute.run_stack(stack)


def test_cli_runs_a_grid(grid_dir, capsys):
    ledger = grid_dir / "cli.sqlite"
    args = ["bench", str(grid_dir / "grid.yaml"), "--ledger", str(ledger), "--no-progress"]
    assert main([*args, "--no-regime", "--stack-size", "8"]) == 0
    out = capsys.readouterr().out
    assert "28 runs in the grid, 0 already done, 28 run now, 0 failed" in out
    assert main([*args, "--no-regime"]) == 0
    assert "28 already done, 0 run now" in capsys.readouterr().out
    assert main([*args, "--address", "x:1"]) == 2
    assert (
        main(
            [
                "bench",
                str(grid_dir / "grid.yaml"),
                "--ledger",
                str(ledger),
                "--executor",
                "local",
                "--workers",
                "0",
            ]
        )
        == 2
    )


@pytest.mark.slow
def test_local_worker_processes_write_identical_results(grid_dir):
    run_grid(
        grid_dir / "grid.yaml",
        grid_dir / "one.sqlite",
        progress=False,
        regime=False,
        executor_options={"threads": 1},
    )
    run_grid(
        grid_dir / "grid.yaml",
        grid_dir / "two.sqlite",
        progress=False,
        regime=False,
        executor_options={"workers": 2, "threads": 1},
    )
    assert _metrics(grid_dir / "one.sqlite") == _metrics(grid_dir / "two.sqlite")


def test_runs_record_their_noisy_validation_score(grid_dir):
    from noisyprobe.train.protocol import Condition, validation_labels

    (grid_dir / "val.yaml").write_text(
        "featuresets: {a: fs_a}\n"
        "noise: {kinds: [symmetric], rates: [0.0, 0.45], label_columns: [rnn]}\n"
        "methods: {lp: {}}\nseeds: [0, 1]\ntrain: {epochs: 40, batch_size: 32}\n"
    )
    ledger = grid_dir / "v.sqlite"
    run_grid(grid_dir / "val.yaml", ledger, progress=False, regime=False)
    with Ledger(ledger, readonly=True) as lg:
        runs = lg.runs()
    val = {
        (n, r, s): json.loads(m)["noisy_val"]
        for n, r, s, m in zip(runs["noise"], runs["rate"], runs["seed"], runs["metrics"])
    }
    assert len(val) == 6 and all(v["size"] == 20 for v in val.values())
    # clean val labels for the clean condition; 45% flipped ones score far lower
    clean = np.mean([v["accuracy"] for (n, _, _), v in val.items() if n == "none"])
    noisy = np.mean([v["accuracy"] for (n, _, _), v in val.items() if n == "symmetric"])
    assert clean > 0.6 and noisy < clean - 0.15, (clean, noisy)
    for v in val.values():  # counts [given label, prediction]
        confusion = np.array(v["confusion"])
        assert confusion.sum() == v["size"]
        assert np.trace(confusion) / v["size"] == pytest.approx(v["accuracy"])
    ceiling = {
        (n, r, s): json.loads(m)["clean_val"]
        for n, r, s, m in zip(runs["noise"], runs["rate"], runs["seed"], runs["metrics"])
    }
    # the same predictions on the clean labels: far above the 45%-flipped score
    flipped = np.mean([v["accuracy"] for (n, _, _), v in ceiling.items() if n == "symmetric"])
    assert flipped > noisy + 0.15, (flipped, noisy)
    fs = FeatureSet.load(grid_dir / "fs_a")
    _, labels = validation_labels(fs, Condition(noise_kind="symmetric", rate=0.45), seed=0)
    assert np.mean(labels != fs.labels[fs.splits == "val"]) == pytest.approx(0.45, abs=0.03)
