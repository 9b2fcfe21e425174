"""SKD on clean, separable data: the regulariser must not cost accuracy against its MLP."""

from __future__ import annotations

import numpy as np

from noisyprobe.metrics import balanced_accuracy
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs


def _clusters(n, d=16, c=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(99).normal(size=(c, d)) * 2.0
    y = np.arange(n) % c
    return (centers[y] + rng.normal(size=(n, d))).astype(np.float32), y.astype(np.int64)


def test_skd_matches_mlp_on_clean_separable_data():
    x, y = _clusters(240)
    xt, yt = _clusters(400, seed=1)
    specs = [RunSpec("mlp", s, y, {"hidden": 32}) for s in range(2)]
    specs += [RunSpec("skd", s, y, {"hidden": 32}) for s in range(2)]
    out = train_runs(x, specs, num_classes=4, config=TrainConfig(epochs=150), progress=False)
    ba: dict[str, list[float]] = {}
    for spec, proba in zip(specs, predict_proba_runs(out, xt)):
        ba.setdefault(spec.method, []).append(balanced_accuracy(yt, proba.argmax(1)))
    mlp, skd = float(np.mean(ba["mlp"])), float(np.mean(ba["skd"]))
    assert mlp > 0.9, ba  # the problem is separable
    assert skd >= mlp - 0.02, ba


def test_skd_input_targets_are_the_training_features_moments():
    import scipy.stats
    import torch

    from noisyprobe.methods import get
    from noisyprobe.methods.context import StackContext

    x, y = _clusters(64, d=3)
    m = get("skd")(hidden=4)
    ctx = StackContext(
        labels=torch.as_tensor(y)[None],
        num_classes=4,
        x_train=torch.as_tensor(x),
        heads={},
        copies={},
        epochs=1,
        batch_size=16,
        seeds=[0],
    )
    m.setup(ctx)
    tau_s, tau_k = ctx.state["tau"]
    np.testing.assert_allclose(tau_s.numpy(), scipy.stats.skew(x, axis=0, bias=False), rtol=1e-4)
    np.testing.assert_allclose(
        tau_k.numpy(), scipy.stats.kurtosis(x, axis=0, bias=False), rtol=1e-4, atol=1e-5
    )
