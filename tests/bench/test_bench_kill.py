"""kill -9 a real `noisyprobe bench` process mid-grid, restart it, compare with a clean run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import noisyprobe
from noisyprobe.bench.ledger import Ledger
from noisyprobe.features.store import FeatureSet

GRID = """
featuresets: {a: fs_a, b: fs_b}
noise: {kinds: [symmetric, asymmetric], rates: [0.0, 0.2, 0.4]}
methods: {lp: {}, gce: {q: 0.7}, elr: {}}
seeds: 0-2
train: {epochs: 3, batch_size: 64}
"""
TOTAL = 2 * 5 * 3 * 3  # featuresets x conditions x methods x seeds


def _featureset(path, seed):
    rng = np.random.default_rng(seed)
    n, d, c = 500, 16, 4
    y = np.arange(n) % c
    x = rng.normal(size=(c, d))[y] + rng.normal(size=(n, d))
    splits = np.array(["train"] * 400 + ["test"] * 100)
    FeatureSet(x, y, splits, metadata={"dataset": f"toy{seed}"}).save(path)


def _bench(spec, ledger):
    env = dict(os.environ, PYTHONPATH=str(Path(noisyprobe.__file__).resolve().parents[1]))
    cmd = [
        sys.executable,
        "-m",
        "noisyprobe",
        "bench",
        str(spec),
        "--ledger",
        str(ledger),
        "--stack-size",
        "3",
        "--no-progress",
        "--no-regime",
    ]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _done(ledger):
    if not ledger.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def _table(ledger):
    with Ledger(ledger, readonly=True) as lg:
        df = lg.runs(status=None)
    return df.set_index("key")


@pytest.mark.slow
def test_kill_9_mid_grid_then_restart_matches_uninterrupted_run(tmp_path):
    _featureset(tmp_path / "fs_a", 0)
    _featureset(tmp_path / "fs_b", 1)
    spec = tmp_path / "grid.yaml"
    spec.write_text(GRID)

    killed = tmp_path / "killed.sqlite"
    proc = _bench(spec, killed)
    deadline = time.monotonic() + 300
    while _done(killed) < 9 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the grid finished before it could be killed: make it larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(killed) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    at_kill = _table(killed)
    done_at_kill = set(at_kill.index[at_kill["status"] == "done"])
    assert 9 <= len(done_at_kill) < TOTAL
    assert len(at_kill) == TOTAL  # every run registered before any training
    assert done_at_kill.isdisjoint(at_kill.index[at_kill["metrics"].isna()])

    restart = _bench(spec, killed)
    out, err = restart.communicate(timeout=600)
    assert restart.returncode == 0, err.decode()[-2000:]
    assert f"{len(done_at_kill)} already done, {TOTAL - len(done_at_kill)} run now" in out.decode()

    reference = tmp_path / "reference.sqlite"
    ref_proc = _bench(spec, reference)
    _, err = ref_proc.communicate(timeout=600)
    assert ref_proc.returncode == 0, err.decode()[-2000:]

    resumed, ref = _table(killed), _table(reference)
    assert len(resumed) == TOTAL and resumed.index.is_unique  # none lost, none duplicated
    assert set(resumed.index) == set(ref.index)
    assert (resumed["status"] == "done").all() and (ref["status"] == "done").all()
    ref = ref.loc[resumed.index]
    # Same results: every prediction-based metric (balanced accuracy, accuracy, macro-F1,
    # per-class recall, zero-recall classes) exactly; ECE, which reads the probabilities, to
    # 1e-9 (MKL does not promise bitwise-equal GEMMs across processes; in practice the rows
    # are bit-identical, counted below).
    identical = int((resumed["metrics"] == ref["metrics"]).sum())
    for key in resumed.index:
        a, b = json.loads(resumed.loc[key, "metrics"]), json.loads(ref.loc[key, "metrics"])
        assert a.keys() == b.keys()
        for name in a:
            if name == "ece":
                assert a[name] == pytest.approx(b[name], abs=1e-9), key
            else:
                assert a[name] == b[name], (key, name)
    assert np.array_equal(
        resumed["realized_noise_rate"], ref["realized_noise_rate"], equal_nan=True
    )
    # runs finished before the kill were not redone; the ones in flight were redone once
    assert (
        resumed.loc[list(done_at_kill), "finished_at"]
        == at_kill.loc[list(done_at_kill), "finished_at"]
    ).all()
    redone = int((resumed["attempts"] == 2).sum())
    print(
        f"\nkill -9 after {len(done_at_kill)}/{TOTAL} runs done "
        f"({int((at_kill['status'] == 'running').sum())} running); restart ran "
        f"{TOTAL - len(done_at_kill)}, {redone} of them a second attempt; "
        f"{len(resumed)} rows; {identical}/{TOTAL} rows bit-identical to the uninterrupted ledger"
    )
    assert set(resumed["attempts"]) <= {1, 2}
    assert (resumed.loc[list(done_at_kill), "attempts"] == 1).all()
