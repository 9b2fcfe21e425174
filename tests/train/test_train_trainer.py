"""train_runs: input validation, schedule, standardisation, early stopping, history."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from noisyprobe.errors import NoisyProbeError
from noisyprobe.train import RunSpec, TrainConfig, train_runs
from noisyprobe.train.rng import derive_seed, epoch_permutations
from noisyprobe.train.trainer import build_heads, learning_rate
from noisyprobe.train.validation import balanced_accuracy_rows


def _data(n=80, d=4, c=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, n)
    x = (rng.normal(size=(c, d))[y] * 3 + rng.normal(size=(n, d))).astype(np.float32)
    return x, y.astype(np.int64)


QUICK = TrainConfig(epochs=3, batch_size=16)


# -- validation of inputs ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"labels": np.zeros(5, dtype=np.int64)}, "shape"),
        ({"labels": np.full(80, 3)}, r"lie in \[0, 3\)"),
        ({"labels": np.full(80, -1)}, r"lie in \[0, 3\)"),
        ({"labels": np.full(80, 0.5)}, "integer"),
        ({"method": "nope"}, "unknown method"),
        ({"params": {"q": 2.0}, "method": "gce"}, "q must be in"),
        ({"params": {"zzz": 1}}, "unknown hyperparameter"),
    ],
)
def test_bad_runs_are_reported(kwargs, match):
    x, y = _data()
    spec = {"method": "lp", "seed": 0, "labels": y, **kwargs}
    with pytest.raises(NoisyProbeError, match=match):
        train_runs(x, [RunSpec(**spec)], num_classes=3, config=QUICK, progress=False)


def test_bad_features_and_config_are_reported():
    x, y = _data()
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(NoisyProbeError, match="NaN or Inf"):
        train_runs(bad, [RunSpec("lp", 0, y)], num_classes=3, progress=False)
    with pytest.raises(NoisyProbeError, match="2-D"):
        train_runs(x[0], [RunSpec("lp", 0, y)], num_classes=3, progress=False)
    with pytest.raises(NoisyProbeError, match="num_classes"):
        train_runs(x, [RunSpec("lp", 0, y)], num_classes=1, progress=False)
    with pytest.raises(NoisyProbeError, match="early stopping needs X_val"):
        train_runs(
            x,
            [RunSpec("lp", 0, y)],
            num_classes=3,
            config=TrainConfig(early_stopping=True),
            progress=False,
        )
    with pytest.raises(NoisyProbeError, match="val_labels"):
        train_runs(
            x,
            [RunSpec("lp", 0, y)],
            num_classes=3,
            X_val=x,
            config=TrainConfig(early_stopping=True),
            progress=False,
        )
    with pytest.raises(NoisyProbeError, match="features"):
        train_runs(
            x,
            [RunSpec("lp", 0, y, val_labels=y)],
            num_classes=3,
            X_val=x[:, :2],
            config=TrainConfig(early_stopping=True),
            progress=False,
        )
    with pytest.raises(NoisyProbeError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(NoisyProbeError, match="schedule"):
        TrainConfig(schedule="step")
    with pytest.raises(NoisyProbeError, match="CUDA|device"):
        if not torch.cuda.is_available():
            train_runs(
                x,
                [RunSpec("lp", 0, y)],
                num_classes=3,
                config=TrainConfig(device="cuda"),
                progress=False,
            )
        else:
            raise NoisyProbeError("device check skipped: CUDA present")
    with pytest.raises(NoisyProbeError, match="seed"):
        RunSpec("lp", -1, y)


def test_empty_run_list():
    x, _ = _data()
    assert train_runs(x, [], num_classes=3, progress=False) == []


# -- schedule, streams, standardisation ----------------------------------------------------
def test_cosine_schedule_values():
    cfg = TrainConfig(lr=0.1, epochs=10, min_lr=0.01)
    assert learning_rate(cfg, 0) == pytest.approx(0.1)
    assert learning_rate(cfg, 5) == pytest.approx(0.055)
    assert learning_rate(TrainConfig(lr=0.1, schedule="constant"), 7) == 0.1


def test_seed_streams_are_distinct_and_stable():
    assert derive_seed(1, "init") != derive_seed(1, "order") != derive_seed(2, "order")
    a, b = epoch_permutations(5, 10, 2), epoch_permutations(5, 10, 2)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    assert not torch.equal(a[0], a[1])


def test_initialisation_depends_only_on_the_seed():
    from noisyprobe.methods import get

    m = get("mlp")(hidden=5)
    h1, _ = build_heads(m, [3], 4, 2, torch.device("cpu"))
    h2, _ = build_heads(m, [9, 3, 1], 4, 2, torch.device("cpu"))
    for k, v in h1["main"].params.items():
        assert torch.equal(v[0], h2["main"].params[k][1])


def test_standardization_is_fitted_on_train_and_applied_at_predict():
    x, y = _data()
    shifted = x * 100 + 1000
    a = train_runs(x, [RunSpec("lp", 0, y)], num_classes=3, config=QUICK, progress=False)[0]
    b = train_runs(shifted, [RunSpec("lp", 0, y)], num_classes=3, config=QUICK, progress=False)
    np.testing.assert_allclose(a.predict_proba(x), b[0].predict_proba(shifted), atol=1e-4)


def test_memmap_features_without_standardization(tmp_path):
    x, y = _data()
    path = tmp_path / "x.npy"
    np.save(path, x)
    mm = np.load(path, mmap_mode="r")
    cfg = TrainConfig(epochs=2, batch_size=16, standardize=False)
    a = train_runs(mm, [RunSpec("lp", 0, y)], num_classes=3, config=cfg, progress=False)[0]
    b = train_runs(x, [RunSpec("lp", 0, y)], num_classes=3, config=cfg, progress=False)[0]
    np.testing.assert_array_equal(a.predict_proba(x), b.predict_proba(x))


def test_learns_a_separable_problem():
    x, y = _data(n=300)
    cfg = TrainConfig(epochs=15, batch_size=32, lr=1e-2)
    [run] = train_runs(x, [RunSpec("lp", 0, y)], num_classes=3, config=cfg, progress=False)
    assert (run.predict(x) == y).mean() > 0.95


# -- early stopping and history --------------------------------------------------------------
def test_early_stopping_keeps_best_epoch_per_run():
    x, y = _data(n=200)
    xv, yv = _data(n=60, seed=0)
    garbage = np.random.default_rng(1).integers(0, 3, 60)  # validation labels of pure noise
    cfg = TrainConfig(epochs=12, batch_size=32, lr=5e-2, early_stopping=True, patience=2)
    specs = [RunSpec("lp", 0, y, val_labels=yv), RunSpec("lp", 1, y, val_labels=garbage)]
    out = train_runs(
        x, specs, num_classes=3, X_val=xv, config=cfg, record_history=True, progress=False
    )
    for run in out:
        assert 0 <= run.best_epoch < run.epochs_trained <= 12
        # a run stops `patience` epochs after its best one, unless the epochs ran out first
        assert run.epochs_trained == min(12, run.best_epoch + 1 + 2)
        assert run.history["pred"].shape[0] >= run.epochs_trained
    [alone] = train_runs(x, specs[1:], num_classes=3, X_val=xv, config=cfg, progress=False)
    np.testing.assert_allclose(alone.predict_proba(xv), out[1].predict_proba(xv), atol=1e-5)
    assert (alone.best_epoch, alone.epochs_trained) == (out[1].best_epoch, out[1].epochs_trained)


def test_early_stopping_returns_best_not_last_parameters():
    """With a cosine schedule over more epochs, the best-epoch parameters are kept."""
    x, y = _data(n=200)
    xv, yv = _data(n=60, seed=0)
    cfg = TrainConfig(
        epochs=10, batch_size=32, lr=5e-2, early_stopping=True, patience=10, schedule="constant"
    )
    [run] = train_runs(
        x, [RunSpec("lp", 0, y, val_labels=yv)], num_classes=3, X_val=xv, config=cfg, progress=False
    )
    # retraining for best_epoch + 1 epochs without early stopping gives the same parameters
    short = TrainConfig(epochs=run.best_epoch + 1, batch_size=32, lr=5e-2, schedule="constant")
    [ref] = train_runs(x, [RunSpec("lp", 0, y)], num_classes=3, config=short, progress=False)
    np.testing.assert_allclose(run.predict_proba(xv), ref.predict_proba(xv), atol=1e-5)
    assert run.epochs_trained == 10


def test_history_records_losses_and_predictions():
    x, y = _data()
    cfg = TrainConfig(epochs=4, batch_size=16, lr=1e-2)
    out = train_runs(
        x,
        [RunSpec("coteaching", 0, y), RunSpec("lp", 0, y)],
        num_classes=3,
        config=cfg,
        record_history=True,
        progress=False,
    )
    co, lp = out
    assert co.history["loss"].shape == (4, 80) and co.history["loss"].dtype == np.float32
    assert co.history["pred"].dtype == np.int64 and "pred_peer" in co.history
    assert "pred_peer" not in lp.history
    # the last epoch's record equals the final model's per-sample loss and prediction
    probs = lp.predict_proba(x)
    np.testing.assert_array_equal(lp.history["pred"][-1], probs.argmax(1))
    ce = -np.log(probs[np.arange(80), y])
    np.testing.assert_allclose(lp.history["loss"][-1], ce, rtol=1e-4, atol=1e-5)
    assert lp.history["loss"][0].mean() > lp.history["loss"][-1].mean()


def test_without_history_it_is_empty():
    x, y = _data()
    [run] = train_runs(x, [RunSpec("lp", 0, y)], num_classes=3, config=QUICK, progress=False)
    assert run.history == {} and run.epochs_trained == 3 and run.best_epoch == 2


# -- per-run balanced accuracy -------------------------------------------------------------
def test_balanced_accuracy_rows_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, (5, 50))
    y[2] = rng.integers(0, 2, 50)  # a row where classes 2 and 3 are absent
    pred = rng.integers(0, 4, (5, 50))
    ours = balanced_accuracy_rows(torch.tensor(y), torch.tensor(pred), 4).numpy()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = [metrics.balanced_accuracy_score(a, b) for a, b in zip(y, pred)]
    np.testing.assert_allclose(ours, ref)
