"""TrainConfig(C="cv"): the L2 strength chosen per run as LogisticRegressionCV would."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from noisyprobe.select.probe import stratified_folds
from noisyprobe.train import RunSpec, TrainConfig, train_runs
from noisyprobe.train.penalty import SKLEARN_CS, cross_validated_c


def _data(seed, n=150, d=60, signal=1.0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, d))
    x[:, :2] += signal * np.eye(3)[y][:, :2]
    return ((x - x.mean(0)) / x.std(0)), y


@pytest.mark.parametrize(("seed", "signal"), [(0, 1.0), (1, 1.0), (2, 1.0), (3, 3.0)])
def test_chosen_c_equals_logistic_regression_cv_on_the_same_folds(seed, signal):
    from sklearn.linear_model import LogisticRegressionCV

    x, y = _data(seed, signal=signal)
    fold = stratified_folds(y, 5, seed=0)
    cv = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(5)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegressionCV(Cs=10, cv=cv, max_iter=10_000, tol=1e-8).fit(x, y)
        default = LogisticRegressionCV(Cs=10, cv=5, max_iter=10_000, tol=1e-8).fit(x, y)
    assert np.allclose(SKLEARN_CS, ref.Cs_)
    assert cross_validated_c(x, y, 3, shuffle=True) == pytest.approx(ref.C_[0])
    # default folds: scikit-learn's own StratifiedKFold(5), so the same C as cv=5
    assert cross_validated_c(x, y, 3) == pytest.approx(default.C_[0])


def test_default_folds_are_stratified_kfold():
    from sklearn.model_selection import StratifiedKFold

    from noisyprobe.select.probe import sklearn_folds

    rng = np.random.default_rng(0)
    for _ in range(50):
        n, k, folds = int(rng.integers(30, 300)), int(rng.integers(2, 6)), int(rng.integers(2, 6))
        y = rng.permutation(np.arange(n) % k)
        ref = np.empty(n, dtype=np.int64)
        for i, (_, test) in enumerate(StratifiedKFold(folds).split(np.zeros(n), y)):
            ref[test] = i
        assert np.array_equal(sklearn_folds(y, folds), ref)


def test_cv_penalty_is_chosen_per_run_and_recorded():
    x, y = _data(1)
    x = x.astype(np.float32)
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(y)  # no signal left: a different choice is likely
    runs = [RunSpec("lp", 0, y), RunSpec("lp", 1, shuffled), RunSpec("gce", 0, y)]
    cfg = TrainConfig(epochs=3, C="cv")
    out = train_runs(x, runs, num_classes=3, config=cfg, progress=False)
    # the trainer standardises x first; that is the data the search sees
    from noisyprobe.train.features import Standardizer

    xs = Standardizer.fit(x).transform(x, torch.device("cpu")).numpy()
    expected = [cross_validated_c(xs, r.labels, 3) for r in runs]
    assert [r.C for r in out] == pytest.approx(expected)
    assert out[0].C == out[2].C  # same labels, same choice, whatever the method
    fixed = train_runs(x, runs[:1], num_classes=3, config=TrainConfig(epochs=3, C=0.1))
    assert fixed[0].C == 0.1


def test_auto_penalty_is_cross_validated_for_linear_heads_only():
    from noisyprobe.train.config import FIXED_C

    x, y = _data(1)
    x = x.astype(np.float32)
    cfg = TrainConfig(epochs=2)  # C="auto" by default
    assert cfg.C == "auto"
    both = [RunSpec("lp", 0, y), RunSpec("coteaching", 0, y)]
    linear = train_runs(x, both, num_classes=3, config=cfg, progress=False)
    cv = train_runs(x, both[:1], num_classes=3, config=TrainConfig(epochs=2, C="cv"))
    assert linear[0].C == linear[1].C == cv[0].C  # two linear heads: searched, same labels
    mlp = train_runs(x, [RunSpec("mlp", 0, y, {"hidden": 4})], num_classes=3, config=cfg)
    assert mlp[0].C == FIXED_C
    assert cv[0].C != FIXED_C  # so the next check can fail
    own = [RunSpec("elr", 0, y), RunSpec("dividemix", 0, y)]  # learn from own predictions
    assert [r.C for r in train_runs(x, own, num_classes=3, config=cfg)] == [FIXED_C] * 2
    searched = train_runs(x, own, num_classes=3, config=TrainConfig(epochs=2, C="cv"))
    assert [r.C for r in searched] == [cv[0].C] * 2  # "cv" searches for every method


def test_per_run_penalties_match_runs_trained_alone(monkeypatch):
    """A stack with a different C per run trains each run as it would alone (both paths)."""
    from noisyprobe.train import predict_proba_runs, trainer

    x, y = _data(4, n=90, d=8)
    x = x.astype(np.float32)
    monkeypatch.setattr(
        "noisyprobe.train.penalty.cross_validated_cs",
        lambda x, label_sets, c: [0.01 if labels[0] == 0 else 10.0 for labels in label_sets],
    )
    y2 = np.roll(y, 1)  # first label 2: C = 10
    for method in ("lp", "mlp"):
        runs = [RunSpec(method, 0, y, {"hidden": 4} if method == "mlp" else {}),
                RunSpec(method, 1, y2, {"hidden": 4} if method == "mlp" else {})]  # fmt: skip
        cfg = TrainConfig(epochs=4, batch_size=30, lr=3e-2, C="cv")
        stacked = predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg), x)
        for run, p, c in zip(runs, stacked, (0.01, 10.0)):
            alone_cfg = TrainConfig(epochs=4, batch_size=30, lr=3e-2, C=c)
            (alone,) = train_runs(x, [run], num_classes=3, config=alone_cfg)
            np.testing.assert_allclose(p, alone.predict_proba(x), atol=2e-5)
    assert trainer.penalised("weight1")


@pytest.mark.parametrize("bad", ["Auto", "CV", -1])
def test_bad_c_is_refused(bad):
    from noisyprobe.errors import NoisyProbeError

    with pytest.raises(NoisyProbeError, match="'cv', 'auto' or None"):
        TrainConfig(C=bad)
