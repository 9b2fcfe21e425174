"""A run's result must not depend on which other runs share its stack."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from noisyprobe.methods.inputs import GroupPlan, Inputs
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs

CONFIG = TrainConfig(epochs=5, batch_size=16, lr=1e-2)
PARAMS = {
    "mlp": {"hidden": 8},
    "skd": {"hidden": 8},
    "nmtune": {"hidden": 8},
    "cufit": {"hidden": 8},
    "nmtune-official": {"hidden_ratio": 2},
}


def _data(n=70, d=6, c=3):
    rng = np.random.default_rng(0)
    y = rng.integers(0, c, n)
    x = (rng.normal(size=(c, d))[y] * 2 + rng.normal(size=(n, d))).astype(np.float32)
    return x, y.astype(np.int64)


def _noisy(y, seed, c=3, rate=0.3):
    rng = np.random.default_rng(seed)
    flip = rng.random(len(y)) < rate
    return np.where(flip, (y + rng.integers(1, c, len(y))) % c, y).astype(np.int64)


def _check_same(alone, stacked, x):
    pa, ps = alone.predict_proba(x), stacked.predict_proba(x)
    np.testing.assert_allclose(pa, ps, atol=2e-5)
    np.testing.assert_array_equal(pa.argmax(1), ps.argmax(1))


@pytest.mark.parametrize(
    "method",
    ["lp", "elr", "coteaching", "dividemix", "forward", "skd", "nmtune-official", "cufit"],
)
def test_alone_equals_stacked(method):
    x, y = _data()
    params = PARAMS.get(method, {})
    specs = [RunSpec(method, s, _noisy(y, s), params) for s in (4, 1, 7, 2, 9)]
    stacked = train_runs(x, specs, num_classes=3, config=CONFIG, progress=False)
    for i in (0, 3):
        [alone] = train_runs(x, [specs[i]], num_classes=3, config=CONFIG, progress=False)
        _check_same(alone, stacked[i], x)


@pytest.mark.parametrize("method", ["lp", "gce", "mlp", "dividemix"])
def test_shared_seeds_use_grouped_batches_and_still_match(method):
    """Runs with equal seeds share data order (one gathered batch); results stay per run."""
    x, y = _data()
    params = PARAMS.get(method, {})
    specs = [RunSpec(method, s, _noisy(y, 10 * s + k), params) for s in (0, 1) for k in range(3)]
    stacked = train_runs(x, specs, num_classes=3, config=CONFIG, progress=False)
    for i in (1, 5):
        [alone] = train_runs(x, [specs[i]], num_classes=3, config=CONFIG, progress=False)
        _check_same(alone, stacked[i], x)


def test_mixed_methods_are_grouped_and_returned_in_order():
    x, y = _data()
    specs = [
        RunSpec("gce", 0, y, {"q": 0.5}),
        RunSpec("lp", 1, y),
        RunSpec("gce", 2, y, {"q": 0.7}),
        RunSpec("gce", 3, y, {"q": 0.5}),
    ]
    out = train_runs(x, specs, num_classes=3, config=CONFIG, progress=False)
    assert [o.spec for o in out] == specs
    assert out[0]._stack is out[3]._stack  # same method and q: one stack
    assert out[0]._stack is not out[2]._stack
    assert out[2].params["q"] == 0.7


def test_per_run_parameters_share_a_stack():
    x, y = _data()
    specs = [RunSpec("coteaching", s, y, {"forget_rate": r}) for s, r in ((0, 0.1), (1, 0.4))]
    out = train_runs(x, specs, num_classes=3, config=CONFIG, progress=False)
    assert out[0]._stack is out[1]._stack
    assert [o.params["forget_rate"] for o in out] == [0.1, 0.4]
    [alone] = train_runs(x, specs[1:], num_classes=3, config=CONFIG, progress=False)
    _check_same(alone, out[1], x)


def test_predict_proba_runs_matches_single_run_prediction():
    x, y = _data()
    specs = [RunSpec("elr", s, _noisy(y, s)) for s in range(3)] + [RunSpec("lp", 0, y)]
    out = train_runs(x, specs, num_classes=3, config=CONFIG, progress=False)
    many = predict_proba_runs([out[2], out[3], out[0]], x)
    for got, run in zip(many, [out[2], out[3], out[0]]):
        np.testing.assert_allclose(got, run.predict_proba(x), atol=1e-6)


# -- the grouped first-layer matmul ----------------------------------------------------------
@pytest.mark.parametrize("group", [[0, 1, 2], [0, 0, 1, 1], [1, 0, 0, 2, 1], [0, 0, 0]])
@pytest.mark.parametrize("out_dim", [3, 100])
def test_grouped_linear_equals_per_entry_matmul(group, out_dim):
    g = torch.Generator().manual_seed(0)
    s = max(group) + 1
    xg = torch.randn(s, 5, 4, generator=g)
    w = torch.randn(len(group), out_dim, 4, generator=g, requires_grad=True)
    b = torch.randn(len(group), out_dim, generator=g, requires_grad=True)
    out = Inputs(xg, GroupPlan.build(group)).linear(w, b)
    ref = torch.stack([xg[grp] @ w[e].T + b[e] for e, grp in enumerate(group)])
    assert torch.allclose(out, ref, atol=1e-5)
    grad = torch.randn_like(out)
    (out * grad).sum().backward()
    gw, gb = w.grad.clone(), b.grad.clone()
    w.grad = b.grad = None
    (ref * grad).sum().backward()
    assert torch.allclose(gw, w.grad, atol=1e-5) and torch.allclose(gb, b.grad, atol=1e-5)


def test_group_plan_tiles_copies():
    plan = GroupPlan.build([0, 1, 0]).tile(2)
    assert plan.group.tolist() == [0, 1, 0, 0, 1, 0]
    assert plan.num_groups == 2 and plan.width == 4
