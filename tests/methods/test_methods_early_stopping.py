"""Every registered method trains with early stopping on; warm-up epochs are never selected."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from noisyprobe.methods import available
from noisyprobe.methods.heads import LinearSpec, StackedHead
from noisyprobe.train import RunSpec, TrainConfig, train_runs

SMALL_PARAMS = {
    "mlp": {"hidden": 8},
    "skd": {"hidden": 8},
    "nmtune": {"hidden": 8},
    "cufit": {"hidden": 8},
    "nmtune-official": {"hidden_ratio": 2},
}
CONFIG = TrainConfig(epochs=6, batch_size=16, lr=3e-2, early_stopping=True, patience=1)


def _data(n=48, d=4, c=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % c
    centers = rng.normal(size=(c, d)) * 3
    x = (centers[y] + rng.normal(size=(n, d))).astype(np.float32)
    return x, y.astype(np.int64)


def _fit(method, params=None, config=CONFIG, seeds=(0, 1)):
    x, y = _data()
    xv, yv = _data(seed=1)
    p = dict(SMALL_PARAMS.get(method, {}), **(params or {}))
    runs = [RunSpec(method, s, y, p, val_labels=yv) for s in seeds]
    return train_runs(x, runs, num_classes=3, config=config, X_val=xv, progress=False), xv


@pytest.mark.parametrize("method", available())
def test_every_method_trains_with_early_stopping(method):
    trained, xv = _fit(method)
    for run in trained:
        assert 0 <= run.best_epoch < run.epochs_trained <= CONFIG.epochs
        proba = run.predict_proba(xv)
        assert proba.shape == (48, 3) and np.isfinite(proba).all()


@pytest.mark.parametrize(
    ("method", "params", "warmup"),
    [("forward", {"warmup_epochs": 3}, 3), ("dividemix", {"warmup_epochs": 3}, 3)],
)
def test_warmup_epochs_are_never_selected(method, params, warmup):
    # patience 1 on well separated data: without the guard the plain-CE warm-up snapshot wins
    config = TrainConfig(epochs=6, batch_size=16, lr=3e-2, early_stopping=True, patience=1)
    trained, _ = _fit(method, params, config)
    for run in trained:
        assert run.best_epoch >= warmup


def test_forward_with_given_transition_has_no_warmup():
    eye = np.eye(3).tolist()
    trained, _ = _fit("forward", {"transition": eye})
    assert min(r.best_epoch for r in trained) >= 0  # selectable from epoch 0, trains fine


def test_blend_takes_a_per_run_mask_for_stacked_copies():
    spec = LinearSpec(2, 2)
    a = StackedHead.initialise(spec, [torch.Generator().manual_seed(i) for i in range(4)])
    b = StackedHead.initialise(spec, [torch.Generator().manual_seed(9 + i) for i in range(4)])
    before = {k: v.clone() for k, v in a.params.items()}
    a.blend(torch.tensor([True, False]), b)  # R = 2 runs, 2 copies each: entries 0, 2 change
    for k, v in a.params.items():
        assert torch.equal(v[[0, 2]], b.params[k][[0, 2]])
        assert torch.equal(v[[1, 3]], before[k][[1, 3]])
