"""The Ray executor writes the same ledger as the local one (skipped without ray)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import noisyprobe
from noisyprobe.bench.ledger import Ledger
from noisyprobe.bench.runner import run_grid
from noisyprobe.features.store import FeatureSet

GRID = """
featuresets: {a: fs_a}
noise: {kinds: [symmetric, asymmetric], rates: [0.0, 0.3], label_columns: [rnn]}
methods: {lp: {}, gce: {q: 0.7}}
seeds: [0, 1]
train: {epochs: 2, batch_size: 64}
"""


def test_missing_ray_names_the_extra(monkeypatch, capsys, tmp_path):
    import sys

    from noisyprobe.bench import executors
    from noisyprobe.cli import main
    from noisyprobe.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(MissingExtraError, match=r"noisyprobe\[ray\]"):
        executors.get("ray")
    spec = tmp_path / "grid.yaml"
    spec.write_text(GRID)  # its FeatureSet does not exist: the missing extra is reported first
    assert (
        main(["bench", str(spec), "--ledger", str(tmp_path / "x.sqlite"), "--executor", "ray"]) == 2
    )
    assert "pip install 'noisyprobe[ray]'" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.ray
def test_ray_and_local_executors_write_identical_ledgers(tmp_path):
    ray = pytest.importorskip("ray")
    rng = np.random.default_rng(0)
    n, d, c = 240, 8, 4
    y = np.arange(n) % c
    noisy = y.copy()
    noisy[::5] = (noisy[::5] + 1) % c
    x = rng.normal(size=(c, d))[y] * 2 + rng.normal(size=(n, d))
    splits = np.array(["train"] * 180 + ["test"] * 60)
    FeatureSet(x, y, splits, extra_labels={"rnn": noisy}).save(tmp_path / "fs_a")
    (tmp_path / "grid.yaml").write_text(GRID)

    src = str(Path(noisyprobe.__file__).resolve().parents[1])
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH")) if p
    )  # Ray workers import noisyprobe from the same tree
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_grid(
            tmp_path / "grid.yaml",
            tmp_path / "ray.sqlite",
            executor="ray",
            stack_size=3,
            progress=False,
        )
    finally:
        ray.shutdown()
    local = run_grid(
        tmp_path / "grid.yaml",
        tmp_path / "local.sqlite",
        stack_size=3,
        progress=False,
        executor_options={"threads": 1},
    )
    assert remote.ran == local.ran == 16 and remote.failed == local.failed == 0
    assert remote.regimes == local.regimes == 4

    def table(name):
        with Ledger(tmp_path / name, readonly=True) as lg:
            runs = lg.runs().set_index("key").sort_index()
            conds = lg.conditions().set_index("key").sort_index()
        return runs, conds

    (r_runs, r_conds), (l_runs, l_conds) = table("ray.sqlite"), table("local.sqlite")
    assert list(r_runs.index) == list(l_runs.index)
    assert (r_runs["metrics"] == l_runs["metrics"]).all()
    assert (r_runs["worker"] != l_runs["worker"]).all()  # really trained elsewhere
    for a, b in zip(r_conds["regime"], l_conds["regime"]):
        assert a.keys() == b.keys()
        for k in a:
            if a[k] is None or b[k] is None:  # NaN is stored as NULL
                assert a[k] is None and b[k] is None, k
            else:
                # a feature or the transition matrix (a list of rows)
                np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-9, err_msg=k)
