"""A contract every registered method must honour, plus limit cases that need training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from noisyprobe.errors import NoisyProbeError
from noisyprobe.methods import available, get
from noisyprobe.methods.context import StackContext, Step
from noisyprobe.methods.inputs import GroupPlan, Inputs
from noisyprobe.train import RunSpec, TrainConfig, train_runs
from noisyprobe.train.trainer import build_heads

METHODS = available()
# 60 rows: the default penalty 1/(C N) would be 0.17; a weaker one lets 8 epochs learn.
CONFIG = TrainConfig(epochs=8, batch_size=16, lr=3e-2, C=1.0)
SMALL = {"hidden": 8}
SMALL_PARAMS = {
    "mlp": SMALL,
    "skd": SMALL,
    "nmtune": SMALL,
    "cufit": SMALL,
    "nmtune-official": {"hidden_ratio": 2},
}


def _data(n=60, d=5, c=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    centers = rng.normal(size=(c, d)) * 3
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    return x, y.astype(np.int64)


def _fit(method, x, y, seed=0, config=CONFIG, c=3, **kw):
    params = dict(SMALL_PARAMS.get(method, {}), **kw)
    return train_runs(
        x, [RunSpec(method, seed, y, params)], num_classes=c, config=config, progress=False
    )[0]


def test_all_methods_registered():
    expected = {
        "lp",
        "mlp",
        "nmtune",
        "nmtune-official",
        "skd",
        "gce",
        "sce",
        "elr",
        "coteaching",
        "dividemix",
        "cufit",
        "label_smoothing",
        "forward",
    }
    assert expected <= set(METHODS)


def test_unknown_method_and_parameter():
    with pytest.raises(NoisyProbeError, match="unknown method 'nope'"):
        get("nope")
    with pytest.raises(NoisyProbeError, match="unknown hyperparameter"):
        get("lp")(q=0.1)


@pytest.mark.parametrize("method", METHODS)
def test_fits_predicts_and_is_deterministic(method):
    x, y = _data()
    a = _fit(method, x, y, seed=3)
    b = _fit(method, x, y, seed=3)
    pa, pb = a.predict_proba(x), b.predict_proba(x)
    assert pa.shape == (60, 3) and np.isfinite(pa).all()
    np.testing.assert_allclose(pa.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pa, pb)
    assert a.predict(x).dtype == np.int64
    assert (a.predict(x) == y).mean() > 0.5  # well-separated clusters: it learns something


@pytest.mark.parametrize("method", METHODS)
def test_different_seeds_differ(method):
    x, y = _data()
    assert not np.array_equal(
        _fit(method, x, y, seed=0).predict_proba(x), _fit(method, x, y, seed=1).predict_proba(x)
    )


@pytest.mark.parametrize("method", METHODS)
def test_degenerate_batches_stay_finite(method):
    x, y = _data(n=33)
    x[:, 2] = 1.5  # a constant feature
    y = y.copy()
    y[:17] = 0  # first batches hold one class only; the last batch has one sample
    run = _fit(method, x, y, config=TrainConfig(epochs=4, batch_size=16, lr=1e-2))
    assert np.isfinite(run.predict_proba(x)).all()
    for head in run._stack.heads.values():
        for p in head.params.values():
            assert torch.isfinite(p).all()


@pytest.mark.parametrize("method", METHODS)
def test_no_nan_without_standardization_on_constant_feature(method):
    x, y = _data(n=40)
    x[:, 0] = 0.0
    cfg = TrainConfig(epochs=3, batch_size=8, standardize=False)
    assert np.isfinite(_fit(method, x, y, config=cfg).predict_proba(x)).all()


@pytest.mark.parametrize("method", METHODS)
def test_gradients_reach_every_head(method):
    x, y = _data(n=32)
    m = get(method)(**SMALL_PARAMS.get(method, {}))
    heads, copies = build_heads(m, [0, 1], 5, 3, torch.device("cpu"))
    labels = torch.tensor(np.stack([y, y[::-1].copy()]))
    xt = torch.tensor(x)
    ctx = StackContext(
        labels=labels,
        num_classes=3,
        x_train=xt,
        heads=heads,
        copies=copies,
        epochs=4,
        batch_size=32,
        seeds=[0, 1],
    )
    m.setup(ctx)
    ctx.epoch = 2  # past every warm-up of the default schedules for 4 epochs
    m.epoch_start(ctx)
    idx = torch.arange(32).repeat(2, 1)
    inputs = Inputs(xt.unsqueeze(0), GroupPlan.build([0, 0]))
    loss = m.loss(Step(ctx, 0, 1, idx, inputs))
    assert loss.shape == (2,) and torch.isfinite(loss).all()
    loss.sum().backward()
    for name, head in heads.items():
        grads = [p.grad for p in head.params.values()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads), name
        assert any(float(g.abs().sum()) > 0 for g in grads), name


def test_runs_are_independent_in_gradients():
    """The stack loss is a sum of per-run losses: run 0's gradient ignores run 1's labels."""
    x, y = _data(n=32)
    m = get("elr")()
    grads = []
    for other in (y, (y + 1) % 3):
        heads, copies = build_heads(m, [0, 1], 5, 3, torch.device("cpu"))
        labels = torch.tensor(np.stack([y, other]))
        ctx = StackContext(
            labels=labels,
            num_classes=3,
            x_train=torch.tensor(x),
            heads=heads,
            copies=copies,
            epochs=2,
            batch_size=32,
            seeds=[0, 1],
        )
        m.setup(ctx)
        idx = torch.arange(32).repeat(2, 1)
        inputs = Inputs(torch.tensor(x).unsqueeze(0), GroupPlan.build([0, 0]))
        m.loss(Step(ctx, 0, 1, idx, inputs)).sum().backward()
        grads.append(heads["main"].params["weight"].grad[0].clone())
    assert torch.equal(grads[0], grads[1])


# -- limit cases that need the trainer ----------------------------------------------------
def test_skd_with_zero_weights_equals_mlp():
    x, y = _data()
    skd = _fit("skd", x, y, lambda_s=0.0, lambda_k=0.0, lambda_d=0.0)
    mlp = _fit("mlp", x, y)
    np.testing.assert_allclose(skd.predict_proba(x), mlp.predict_proba(x), atol=1e-6)


def test_nmtune_with_zero_lambda_equals_mlp():
    x, y = _data()
    np.testing.assert_allclose(
        _fit("nmtune", x, y, lam=0.0).predict_proba(x),
        _fit("mlp", x, y).predict_proba(x),
        atol=1e-6,
    )


def test_coteaching_forget_zero_equals_plain_heads():
    x, y = _data()
    noisy = y.copy()
    noisy[::4] = (noisy[::4] + 1) % 3
    co = _fit("coteaching", x, noisy, forget_rate=0.0)
    lp = _fit("lp", x, noisy)
    np.testing.assert_allclose(co.predict_proba(x), lp.predict_proba(x), atol=1e-6)


def test_elr_zero_lambda_and_ls_zero_eps_and_gce_small_q_equal_lp():
    x, y = _data()
    ref = _fit("lp", x, y).predict_proba(x)
    np.testing.assert_allclose(_fit("elr", x, y, lam=0.0).predict_proba(x), ref, atol=1e-6)
    np.testing.assert_allclose(
        _fit("label_smoothing", x, y, epsilon=0.0).predict_proba(x), ref, atol=1e-6
    )
    np.testing.assert_allclose(
        _fit("sce", x, y, alpha=1.0, beta=0.0).predict_proba(x), ref, atol=1e-6
    )
    np.testing.assert_allclose(_fit("gce", x, y, q=1e-6).predict_proba(x), ref, atol=1e-3)


def test_forward_with_identity_transition_equals_lp():
    x, y = _data()
    fw = _fit("forward", x, y, transition=np.eye(3))
    np.testing.assert_allclose(fw.predict_proba(x), _fit("lp", x, y).predict_proba(x), atol=1e-5)


def test_forward_estimates_transition_at_end_of_warmup():
    from noisyprobe.methods.forward import estimate_transition

    x, y = _data(n=30)
    m = get("forward")(warmup_epochs=2)
    heads, copies = build_heads(m, [0, 1], 5, 3, torch.device("cpu"))
    ctx = StackContext(
        labels=torch.tensor(np.stack([y, y])),
        num_classes=3,
        x_train=torch.tensor(x),
        heads=heads,
        copies=copies,
        epochs=4,
        batch_size=30,
        seeds=[0, 1],
        run_params={"transition": [None, np.eye(3)]},
    )
    m.setup(ctx)
    assert ctx.state["corrected"].tolist() == [False, True]
    ctx.epoch = 0
    m.epoch_end(ctx)
    assert torch.equal(ctx.state["T"][0], torch.eye(3))  # still warming up
    ctx.epoch = 1
    m.epoch_end(ctx)
    probs = torch.softmax(ctx.full_logits(["main"])["main"], -1)
    assert torch.allclose(ctx.state["T"][0], estimate_transition(probs, percentile=97.0)[0])
    assert torch.equal(ctx.state["T"][1], torch.eye(3))  # a given matrix is kept
    assert ctx.state["corrected"].tolist() == [True, True]


def test_dividemix_trains_after_warmup_and_predicts_average():
    x, y = _data(n=90)
    run = _fit("dividemix", x, y, warmup_epochs=1, lambda_u=1.0)
    logits = run._stack.logits(torch.tensor(x))
    heads = run._stack.heads["main"]
    from noisyprobe.methods.context import evaluate_heads

    both = evaluate_heads({"main": heads}, torch.tensor(x))["main"]
    assert torch.allclose(logits[0], (both[0] + both[1]) / 2, atol=1e-6)


def test_dividemix_linear_logit_mixup_equals_feature_mixup():
    """For a linear head, mixing logits is the same as mixing features (the fast path)."""
    from noisyprobe.methods.dividemix import mixmatch_targets, semi_loss
    from noisyprobe.methods.losses import softmax

    x, y = _data(n=32)
    m = get("dividemix")(warmup_epochs=1, lambda_u=25.0)
    heads, copies = build_heads(m, [0, 1], 5, 3, torch.device("cpu"))
    xt = torch.tensor(x)
    ctx = StackContext(
        labels=torch.tensor(np.stack([y, y[::-1].copy()])),
        num_classes=3,
        x_train=xt,
        heads=heads,
        copies=copies,
        epochs=4,
        batch_size=32,
        seeds=[0, 1],
    )
    ctx.epoch = 2
    m.epoch_start(ctx)
    idx = torch.arange(32).repeat(2, 1)
    step = Step(ctx, 0, 1, idx, Inputs(xt.unsqueeze(0), GroupPlan.build([0, 0])))
    fast = m.loss(step)

    with torch.no_grad():
        head = heads["main"]
        w = ctx.state["w"].flip(0)[:, :, :32]
        lam = ctx.state["lam"][:, :, 0].view(2, 2, 1, 1)
        perm = ctx.state["u"][:, :, 0, :32].argsort(-1)
        probs = softmax(head(Inputs(xt.unsqueeze(0), GroupPlan.build([0] * 4))).logits)
        target, labelled = mixmatch_targets(probs.view(2, 2, 32, 3), step.y, w, 0.5, 0.5)
        xs = xt.expand(2, 2, 32, 5)
        x_mix = lam * xs + (1 - lam) * xs.gather(2, perm.unsqueeze(-1).expand(-1, -1, -1, 5))
        t_mix = lam * target + (1 - lam) * target.gather(
            2, perm.unsqueeze(-1).expand(-1, -1, -1, 3)
        )
        logits = head(Inputs(x_mix.reshape(4, 32, 5))).logits.view(2, 2, 32, 3)
        ramp = min(max((step.progress - 1) / 16, 0.0), 1.0)
        slow = semi_loss(logits, t_mix, labelled, 25.0 * ramp).sum(0)
    assert torch.allclose(fast, slow, atol=1e-5)
