"""Training budget: epochs adapt to the data size; default lp matches LogisticRegressionCV."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.metrics import balanced_accuracy
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs


def test_default_budget_reaches_min_steps():
    cfg = TrainConfig()
    for n in (10, 400, 1400, 8000, 100_000):
        batches = math.ceil(n / cfg.batch_size)
        epochs = cfg.epochs_for(n)
        assert epochs >= 30 and epochs * batches >= 8000
        assert (epochs - 1) * batches < 8000 or epochs == 30


def test_explicit_epochs_are_exact_unless_min_steps_given():
    assert TrainConfig(epochs=7).epochs_for(400) == 7
    assert TrainConfig(epochs=7, min_steps=40).epochs_for(400) == 10
    assert TrainConfig(min_steps=0).epochs_for(400) == 30


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_min_steps_validated(bad):
    with pytest.raises(NoisyProbeError, match="min_steps"):
        TrainConfig(min_steps=bad)


def test_trainer_runs_the_adapted_epochs():
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    cfg = TrainConfig(epochs=2, min_steps=6, batch_size=25)
    (run,) = train_runs(x, [RunSpec("lp", 0, y)], num_classes=2, config=cfg, progress=False)
    assert run.epochs_trained == 3


def _lp_vs_lrcv(xtr, ytr, xte, yte, noise=0.0):
    from sklearn.linear_model import LogisticRegressionCV

    mu, sd = xtr.mean(0), xtr.std(0)
    sd[sd == 0] = 1.0
    xtr, xte = ((xtr - mu) / sd).astype(np.float32), ((xte - mu) / sd).astype(np.float32)
    ytr, yte = ytr.astype(np.int64), yte.astype(np.int64)
    c = int(ytr.max()) + 1
    if noise:
        from noisyprobe.noise import inject

        ytr = inject(ytr, "symmetric", noise, c, seed=0).labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegressionCV(Cs=10, cv=5, max_iter=5000).fit(xtr, ytr)
    ba_ref = balanced_accuracy(yte, ref.predict(xte), num_classes=c)
    out = train_runs(xtr, [RunSpec("lp", 0, ytr)], num_classes=c, progress=False)
    (p,) = predict_proba_runs(out, xte)
    return balanced_accuracy(yte, p.argmax(1), num_classes=c), ba_ref


def test_default_lp_matches_logistic_regression_cv_small():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, train_size=400, random_state=0, stratify=y)
    lp, ref = _lp_vs_lrcv(xtr, ytr, xte, yte)
    assert lp >= ref - 0.005


def test_default_lp_close_to_logistic_regression_cv_digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, train_size=1400, random_state=0, stratify=y)
    lp, ref = _lp_vs_lrcv(xtr, ytr, xte, yte)
    assert lp >= ref - 0.005  # needs the default L2 penalty (without it: -1.2 points)


@pytest.mark.parametrize("name", ["breast_cancer", "digits"])
def test_default_lp_matches_logistic_regression_cv_under_30_percent_noise(name):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    x, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    size = 400 if name == "breast_cancer" else 1400
    xtr, xte, ytr, yte = train_test_split(x, y, train_size=size, random_state=0, stratify=y)
    lp, ref = _lp_vs_lrcv(xtr, ytr, xte, yte, noise=0.3)
    assert lp >= ref - 0.005


@pytest.mark.slow
def test_default_lp_matches_logistic_regression_cv_large():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    x, y = make_classification(
        n_samples=10000, n_features=64, n_informative=20, n_classes=4, random_state=0
    )
    xtr, xte, ytr, yte = train_test_split(x, y, train_size=8000, random_state=0, stratify=y)
    lp, ref = _lp_vs_lrcv(xtr, ytr, xte, yte)
    assert lp >= ref - 0.005


def test_replace_with_explicit_epochs_is_exact():
    from dataclasses import replace

    cfg = replace(TrainConfig(), epochs=6)
    assert cfg.epochs_for(400) == 6
    assert TrainConfig().resolved(400) == TrainConfig(epochs=2000, min_steps=0)


def test_a_method_may_bring_its_own_step_budget(monkeypatch):
    from noisyprobe.methods import get
    from noisyprobe.methods.gce import GCE
    from noisyprobe.train.trainer import stack_config

    monkeypatch.setattr(GCE, "default_min_steps", 2000, raising=False)
    gce, lp = get("gce")(), get("lp")()
    assert stack_config(gce, TrainConfig(), 400).epochs == 500  # 2000 steps of 4 batches
    assert stack_config(lp, TrainConfig(), 400).epochs == 2000  # the shared 8000 steps
    assert stack_config(gce, TrainConfig(), 100_000).epochs == 30
    assert stack_config(gce, TrainConfig(epochs=7), 400).epochs == 7  # explicit: exact
    assert stack_config(gce, TrainConfig(min_steps=40), 400).epochs == 30  # explicit wins
    assert TrainConfig().epochs_for(400, default_min_steps=2000) == 500


def test_trainer_trains_each_stack_for_its_methods_budget(monkeypatch):
    from noisyprobe.methods.gce import GCE

    monkeypatch.setattr(GCE, "default_min_steps", 100, raising=False)
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    runs = [RunSpec("gce", 0, y), RunSpec("lp", 0, y)]
    cfg = TrainConfig(batch_size=25, min_steps=None)
    gce, lp = train_runs(x, runs, num_classes=2, config=cfg, progress=False)
    assert gce.epochs_trained == 50  # 100 steps of 2 batches
    assert lp.epochs_trained == 4000  # the shared 8000 steps
