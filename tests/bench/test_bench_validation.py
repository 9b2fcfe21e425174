"""Grid problems surface before any run starts; seeds and rates share the CLI's validators."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from noisyprobe.bench.runner import run_grid
from noisyprobe.cli import main
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet

GRID = """
featuresets: {a: fs}
noise: {kinds: [symmetric], rates: [0.0, 0.2]}
methods: {lp: {}}
seeds: [0, 1]
train: {epochs: 2, batch_size: 64}
"""


@pytest.fixture
def grid_dir(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(90) % 3
    x = rng.normal(size=(3, 4))[y] + rng.normal(size=(90, 4))
    FeatureSet(x, y, np.array(["train"] * 60 + ["test"] * 30)).save(tmp_path / "fs")
    return tmp_path


def _grid(grid_dir, text):
    (grid_dir / "grid.yaml").write_text(text)
    return grid_dir / "grid.yaml"


def _cli(spec, ledger):
    return main(["bench", str(spec), "--ledger", str(ledger), "--no-progress", "--no-regime"])


def _no_runs(ledger):
    if not ledger.exists():
        return True
    with sqlite3.connect(ledger) as db:
        return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_missing_eval_split_is_refused_before_any_run(grid_dir, capsys):
    spec = _grid(grid_dir, GRID + "eval_split: holdout\n")
    assert _cli(spec, grid_dir / "l.sqlite") == 2
    err = capsys.readouterr().err.strip()
    assert "featuresets.a" in err and "'holdout'" in err and "\n" not in err
    assert _no_runs(grid_dir / "l.sqlite")


def test_corrupt_featureset_is_refused_before_any_run(grid_dir, capsys):
    labels = grid_dir / "fs" / "labels.npy"
    raw = bytearray(labels.read_bytes())
    raw[-1] ^= 1
    labels.write_bytes(bytes(raw))
    spec = _grid(grid_dir, GRID)
    assert _cli(spec, grid_dir / "l.sqlite") == 2
    err = capsys.readouterr().err.strip()
    assert "featuresets.a" in err and "sha256" in err and "\n" not in err
    assert _no_runs(grid_dir / "l.sqlite")


def test_huge_seed_range_is_refused_up_front(grid_dir, capsys):
    spec = _grid(grid_dir, GRID.replace("seeds: [0, 1]", "seeds: 0-50000000"))
    assert _cli(spec, grid_dir / "l.sqlite") == 2
    assert "at most 10000" in capsys.readouterr().err
    with pytest.raises(NoisyProbeError, match="out of range"):
        run_grid(_grid(grid_dir, GRID.replace("[0, 1]", "[0, 99999999999]")), grid_dir / "m")


@pytest.mark.parametrize("rate", ["1.0", "-0.1", ".nan"])
def test_spec_and_fit_refuse_the_same_rates(grid_dir, capsys, rate):
    spec = _grid(grid_dir, GRID.replace("[0.0, 0.2]", f"[0.0, {rate}]"))
    assert _cli(spec, grid_dir / "l.sqlite") == 2
    assert "[0, 1)" in capsys.readouterr().err
    fit = ["fit", "--features", str(grid_dir / "fs"), "--method", "lp", "--noise", "symmetric"]
    assert main([*fit, "--rate", rate.lstrip(".")]) == 2
    assert "[0, 1)" in capsys.readouterr().err


def test_runs_record_their_thread_count(grid_dir):
    ledger = grid_dir / "l.sqlite"
    run_grid(_grid(grid_dir, GRID), ledger, progress=False, regime=False)
    with sqlite3.connect(ledger) as db:
        rows = db.execute("SELECT versions FROM runs").fetchall()
    import torch

    assert {json.loads(v)["torch_threads"] for (v,) in rows} == {str(torch.get_num_threads())}
