"""The closed-form lp step gives the same training as autograd on LinearProbe.loss."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs, trainer


def _record_fast_paths(monkeypatch) -> list:
    """Spy on ``_LinearCE.maybe``: the list gets what it returned for each stack."""
    seen = []
    real = trainer._LinearCE.maybe
    monkeypatch.setattr(
        trainer._LinearCE, "maybe", staticmethod(lambda *a: seen.append(real(*a)) or seen[-1])
    )
    return seen


def _runs(y, seeds):
    rng = np.random.default_rng(1)
    out = []
    for s in seeds:
        flip = rng.random(y.shape[0]) < 0.2
        out.append(RunSpec("lp", s, np.where(flip, (y + 1) % 3, y).astype(np.int64)))
    return out


@pytest.mark.parametrize("seeds", [[0, 1, 2], [0, 0, 1, 1], [3, 3, 3]])
def test_fast_lp_matches_autograd(monkeypatch, seeds):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(70, 6)).astype(np.float32)
    y = (x[:, :3].argmax(1)).astype(np.int64)
    runs = _runs(y, seeds)
    cfg = TrainConfig(epochs=4, batch_size=16, lr=5e-2)
    seen = _record_fast_paths(monkeypatch)
    fast = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    assert [s is not None for s in seen] == [True]
    monkeypatch.setattr(trainer._LinearCE, "maybe", staticmethod(lambda *a: None))
    slow = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    np.testing.assert_allclose(np.stack(fast), np.stack(slow), atol=2e-5)


def test_uneven_groups_use_autograd(monkeypatch):
    x = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    seen = _record_fast_paths(monkeypatch)
    runs = [RunSpec("lp", 0, y), RunSpec("lp", 0, y), RunSpec("lp", 1, y)]
    out = train_runs(x, runs, num_classes=2, config=TrainConfig(epochs=2), progress=False)
    assert seen == [None] and len(out) == 3


def test_order_seed_shares_batches_and_keeps_each_run_independent():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = (x[:, :3].argmax(1)).astype(np.int64)
    cfg = TrainConfig(epochs=3, batch_size=16, lr=5e-2)
    runs = [RunSpec(m, s, y, order_seed=7) for m in ("lp", "gce") for s in (0, 1, 2)]
    stacked = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    for run, p in zip(runs, stacked):
        (alone,) = train_runs(x, [run], num_classes=3, config=cfg, progress=False)
        np.testing.assert_allclose(alone.predict_proba(x), p, atol=2e-5)
    same = RunSpec("lp", 7, y, order_seed=7)
    plain = RunSpec("lp", 7, y)
    a, b = (
        train_runs(x, [same], num_classes=3, config=cfg, progress=False)[0],
        train_runs(x, [plain], num_classes=3, config=cfg, progress=False)[0],
    )
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_order_seed_validated(bad):
    from noisyprobe.errors import NoisyProbeError

    with pytest.raises(NoisyProbeError, match="order_seed"):
        RunSpec("lp", 0, np.zeros(3, dtype=np.int64), order_seed=bad)


def test_train_condition_passes_order_seed():
    from noisyprobe.features.store import FeatureSet
    from noisyprobe.train.protocol import Condition, train_condition

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    fs = FeatureSet(x, (x[:, 0] > 0).astype(np.int64), ["train"] * 30 + ["test"] * 10)
    cfg = TrainConfig(epochs=1)
    out = list(
        train_condition(fs, {"lp": {}}, Condition(), [0, 1], config=cfg, progress=False,
                        order_seed=5)
    )  # fmt: skip
    assert [r.spec.order_seed for r in out] == [5, 5]


def test_fast_lp_with_l2_penalty_matches_autograd(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(70, 6)).astype(np.float32)
    y = (x[:, :3].argmax(1)).astype(np.int64)
    runs = [RunSpec("lp", s, y) for s in (0, 1, 1)]
    cfg = TrainConfig(epochs=4, batch_size=16, lr=5e-2, C=0.05)
    fast = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    monkeypatch.setattr(trainer._LinearCE, "maybe", staticmethod(lambda *a: None))
    slow = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    np.testing.assert_allclose(np.stack(fast), np.stack(slow), atol=2e-5)
    plain = RunSpec("lp", 0, y)
    off = TrainConfig(epochs=4, batch_size=16, lr=5e-2, C=None)
    (unpenalised,) = train_runs(x, [plain], num_classes=3, config=off, progress=False)
    assert np.abs(unpenalised.predict_proba(x) - fast[0]).max() > 1e-3  # the penalty acts


def test_lp_with_c_converges_to_sklearn_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 6)).astype(np.float32)
    y = (x[:, :3] + 0.8 * rng.normal(size=(300, 3))).argmax(1).astype(np.int64)
    ref = LogisticRegression(C=0.05, max_iter=10_000, tol=1e-10).fit(x, y).predict_proba(x)
    cfg = TrainConfig(
        epochs=300, batch_size=300, lr=3e-2, weight_decay=0.0, standardize=False, C=0.05
    )
    (run,) = train_runs(x, [RunSpec("lp", 0, y)], num_classes=3, config=cfg)
    np.testing.assert_allclose(run.predict_proba(x), ref, atol=1e-3)


def test_penalty_reaches_every_weight_matrix_of_an_mlp_head_but_no_bias():
    """The trainer's L2 acts on MLP heads too (weights shrink), and never on biases."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    norms = {}
    for c in (None, 1e-3):
        cfg = TrainConfig(epochs=20, batch_size=32, lr=1e-2, C=c, weight_decay=0.0)
        (run,) = train_runs(x, [RunSpec("mlp", 0, y)], num_classes=2, config=cfg)
        head = run._stack.heads["main"]
        norms[c] = {k: float(v.norm()) for k, v in head.params.items()}
    for name in norms[None]:
        if trainer.penalised(name):
            assert norms[1e-3][name] < 0.8 * norms[None][name], name
    assert not trainer.penalised("bias") and not trainer.penalised("bn_weight")


@pytest.mark.parametrize("bad", [0, -1.0, "x", float("nan"), True])
def test_train_config_c_validated(bad):
    from noisyprobe.errors import NoisyProbeError

    with pytest.raises(NoisyProbeError, match="TrainConfig.C must be"):
        TrainConfig(C=bad)


def test_fast_lp_with_per_run_l2_matches_autograd(monkeypatch):
    """Runs of one stack with their own C: the penalty is added outside the GEMM."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(70, 6)).astype(np.float32)
    y = (x[:, :3].argmax(1)).astype(np.int64)
    runs = [RunSpec("lp", s, y) for s in (0, 1, 2)]
    cfg = TrainConfig(epochs=4, batch_size=16, lr=5e-2, C="cv")
    monkeypatch.setattr(trainer, "_run_strengths", lambda *a: [0.02, 0.2, 2.0])
    real = trainer._LinearCE.maybe
    seen = _record_fast_paths(monkeypatch)
    fast = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    assert seen[0] is not None and not seen[0].applies_l2
    monkeypatch.setattr(trainer._LinearCE, "maybe", staticmethod(lambda *a: None))
    slow = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    np.testing.assert_allclose(np.stack(fast), np.stack(slow), atol=2e-5)
    # Each run gets its own: the last run equals a stack where every run has C = 2.0 (the
    # penalty then folded into the GEMM), the first does not.
    monkeypatch.setattr(trainer._LinearCE, "maybe", staticmethod(real))
    monkeypatch.setattr(trainer, "_run_strengths", lambda *a: [2.0, 2.0, 2.0])
    shared = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    np.testing.assert_allclose(fast[2], shared[2], atol=2e-5)
    assert np.abs(fast[0] - shared[0]).max() > 1e-3
