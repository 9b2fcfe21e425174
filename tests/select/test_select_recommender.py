"""The k-nearest-conditions recommender and its leave-one-dataset-out validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from noisyprobe.cli import main
from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.recommender import KNNSelector
from noisyprobe.select.regime import REGIME_FEATURES
from noisyprobe.select.training import training_table
from noisyprobe.select.validate import TrainingTable, leave_one_dataset_out


def test_knn_prediction_by_hand():
    x = np.array([[0.0, 0.0], [0.1, 1.0], [0.4, 0.0], [0.5, 1.0]])
    regrets = np.array([[0.0, 3.0, 1.0], [0.5, 2.0, 0.0], [6.0, 0.0, 2.0], [5.0, 1.0, 0.5]])
    sel = KNNSelector(k=2, features=["noise_rate", "asymmetry"]).fit(
        x, regrets, ["lp", "gce", "elr"], ["a", "b", "c", "d"]
    )
    # standardised: noise_rate mean 0.25 sd 0.206; asymmetry mean 0.5 sd 0.5
    rec = sel.recommend({"noise_rate": 0.45, "asymmetry": 0.0})
    assert rec.neighbours == ["c", "d"]
    np.testing.assert_allclose(list(rec.predicted.values()), [5.5, 0.5, 1.25])
    assert rec.method == "gce" and rec.expected_regret == 0.5
    z = (np.array([0.45, 0.0]) - x.mean(0)) / x.std(0)
    zc = (x[2] - x.mean(0)) / x.std(0)
    assert rec.distances[0] == pytest.approx(np.linalg.norm(z - zc))


def test_knn_standardises_and_imputes_missing_values():
    # feature 2 has a huge scale; standardisation keeps it from dominating
    x = np.array([[0.0, 1000.0], [1.0, 1000.0], [0.0, 3000.0], [1.0, 3000.0]])
    regrets = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    sel = KNNSelector(k=2, features=["noise_rate", "lsvr"]).fit(x, regrets, ["a", "b"])
    assert sel.recommend({"noise_rate": 0.9, "lsvr": 2000.0}).method == "b"
    assert sel.recommend({"noise_rate": 0.1, "lsvr": 2000.0}).method == "a"
    # a missing feature counts as the training mean: only noise_rate decides
    assert sel.recommend({"noise_rate": 0.95}).method == "b"
    assert sel.recommend({"noise_rate": 0.1, "lsvr": float("nan")}).method == "a"
    # k larger than the table: all conditions
    big = KNNSelector(k=50, features=["noise_rate", "lsvr"]).fit(x, regrets, ["a", "b"])
    np.testing.assert_allclose(big.predict({"noise_rate": 0.0}), [0.5, 0.5])


def test_knn_errors():
    with pytest.raises(NoisyProbeError, match="k"):
        KNNSelector(k=0)
    with pytest.raises(NoisyProbeError, match="features"):
        KNNSelector(features=["colour"])
    sel = KNNSelector(features=["noise_rate"])
    with pytest.raises(NoisyProbeError, match="regimes"):
        sel.fit(np.zeros((3, 2)), np.zeros((3, 1)), ["a"])
    with pytest.raises(NoisyProbeError, match="regrets"):
        sel.fit(np.zeros((3, 1)), np.zeros((3, 2)), ["a"])
    with pytest.raises(NoisyProbeError, match="not fitted"):
        sel.recommend({})


def test_training_table_from_ledger(synthetic_ledger):
    table = training_table(synthetic_ledger)
    assert table.regimes.shape == (15, len(REGIME_FEATURES))
    assert table.methods == ["elr", "gce", "lp"] and table.metric == "balanced_accuracy"
    assert (table.regrets.min(axis=1) == 0).all() and (table.regrets >= 0).all()
    j = REGIME_FEATURES.index("asymmetry")
    asym = table.conditions["noise"].to_numpy() == "asymmetric"
    assert (table.regimes[asym, j] > 0.8).all() and (table.regimes[~asym, j] < 0.2).all()
    assert np.isnan(table.regimes[:, REGIME_FEATURES.index("sve")]).all()


def test_leave_one_dataset_out_by_hand():
    conds = pd.DataFrame({"dataset": ["a", "a", "b", "b"], "name": ["a1", "a2", "b1", "b2"]})
    x = np.zeros((4, len(REGIME_FEATURES)))
    x[:, 0] = [0.0, 0.4, 0.05, 0.35]
    regrets = np.array([[0.0, 2.0], [3.0, 0.0], [0.0, 1.0], [4.0, 0.0]])
    v = leave_one_dataset_out(TrainingTable(conds, x, regrets, ["lp", "elr"], "m"), k=1)
    assert v.picks["picked"].tolist() == ["lp", "elr", "lp", "elr"]
    assert v.selector == 0.0 and v.selector_max == 0.0
    assert v.fixed == {"lp": 7 / 4, "elr": 3 / 4} and v.fixed_max == {"lp": 4.0, "elr": 2.0}
    # best fixed on the training fold: held-out a -> trained on b -> elr (0.5 < 2); and b -> elr
    assert v.picks["best_on_train"].tolist() == ["elr"] * 4 and v.best_on_train == 0.75


def test_selector_beats_fixed_choices_on_a_learnable_ledger(synthetic_ledger):
    v = leave_one_dataset_out(training_table(synthetic_ledger), k=3)
    assert len(v.picks) == 15
    assert v.selector < min(v.fixed.values()) and v.selector < v.best_on_train
    assert v.selector == pytest.approx(0.0, abs=0.5)


def test_leave_one_dataset_out_needs_two_datasets(tmp_path, make_synthetic_ledger):
    path = make_synthetic_ledger(tmp_path / "one.sqlite", datasets=("d1",))
    with pytest.raises(NoisyProbeError, match="at least two datasets"):
        leave_one_dataset_out(training_table(path))


def test_cli_validate(synthetic_ledger, capsys):
    assert main(["select", "--validate", str(synthetic_ledger), "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert "leave one dataset out" in out and "always lp" in out and "oracle" in out
    assert "best fixed method on the training datasets" in out


def test_cli_select_recommends(synthetic_ledger, tmp_path, capsys):
    from noisyprobe.features.store import FeatureSet

    rng = np.random.default_rng(0)
    y = np.arange(300) % 4
    x = rng.normal(size=(300, 8)) + 3 * np.eye(4, 8)[y]
    noisy = y.copy()
    noisy[::4] = (noisy[::4] + 1) % 4  # 25% pair noise in the rnn column
    FeatureSet(x, y, extra_labels={"rnn": noisy}).save(tmp_path / "fs")
    args = ["select", "--features", str(tmp_path / "fs"), "--ledger", str(synthetic_ledger)]
    assert main([*args, "--labels", "rnn", "--k", "3"]) == 0
    out = capsys.readouterr().out
    assert "**elr**" in out  # pair noise at ~0.25: the synthetic ledger's asymmetric winner
    assert "expected regret" in out and "noise_rate" in out
    assert main(["select", "--features", str(tmp_path / "fs")]) == 2
    assert main(["select", "--validate", str(synthetic_ledger), "--features", "x"]) == 2
