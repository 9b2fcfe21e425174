"""Worker processes of `bench --workers 2`: they die with their driver (kill -9, SIGTERM,
Ctrl-C) and are handed a stack only when one is free."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import noisyprobe
from noisyprobe.features.store import FeatureSet

GRID = """
featuresets: {a: fs}
noise: {kinds: [symmetric], rates: [0.0, 0.2, 0.4]}
methods: {lp: {}, gce: {q: 0.7}}
seeds: 0-3
train: {epochs: 400, batch_size: 16}
"""


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"spawn_main" in cmd:
            out.add(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_workers_die_with_their_driver(tmp_path, sig):
    rng = np.random.default_rng(0)
    y = np.arange(600) % 3
    x = rng.normal(size=(3, 32))[y] + rng.normal(size=(600, 32))
    FeatureSet(x, y, np.array(["train"] * 500 + ["test"] * 100)).save(tmp_path / "fs")
    (tmp_path / "grid.yaml").write_text(GRID)
    env = dict(os.environ, PYTHONPATH=str(Path(noisyprobe.__file__).resolve().parents[1]))
    cmd = [sys.executable, "-m", "noisyprobe", "bench", str(tmp_path / "grid.yaml")]
    cmd += ["--ledger", str(tmp_path / "l.sqlite"), "--workers", "2", "--threads", "1"]
    cmd += ["--stack-size", "2", "--no-progress", "--no-regime"]
    # output to a file, not a pipe: a surviving worker would hold a pipe open
    log = (tmp_path / "bench.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            workers |= _children(proc.pid)
            time.sleep(0.1)
        assert len(workers) >= 2, (tmp_path / "bench.log").read_text()[-2000:]
        time.sleep(3)  # let them import torch and start training
        assert proc.poll() is None, "the grid finished before it could be killed: make it larger"
        t0 = time.monotonic()
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        stopped = time.monotonic() - t0
        deadline = time.monotonic() + 30
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers {left} outlived their driver ({sig!r})"
    finally:  # never leak processes into the rest of the session
        for pid in [proc.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
        log.close()
    if sig == signal.SIGINT:
        assert proc.returncode == 130
    print(f"\n{sig!r}: driver gone after {stopped:.2f} s, {len(workers)} workers gone too")


def test_payloads_are_submitted_only_when_a_worker_is_free():
    # a payload waiting for a worker must not be reported as started (marked running)
    from noisyprobe.bench.executors.local import LocalExecutor

    submitted: list[int] = []
    ex = LocalExecutor(workers=2, threads=1)
    try:
        yielded = 0
        for _payload, result, error in ex.map(
            "no-such-work",
            [{"i": i} for i in range(5)],
            on_submit=lambda p: submitted.append(p["i"]),
        ):
            assert result is None and "no-such-work" in error
            yielded += 1
            assert len(submitted) <= yielded + 2  # the finished ones and the two in flight
    finally:
        ex.close()
    assert sorted(submitted) == list(range(5)) and yielded == 5
