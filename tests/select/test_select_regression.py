"""RidgeSelector: learns a regime -> best-method rule; picks a method that always wins."""

import numpy as np

from noisyprobe.select.regression import RidgeSelector


def test_ridge_learns_regime_rule_and_beats_fixed():
    rng = np.random.default_rng(0)
    rate = rng.uniform(0, 0.6, 40)
    regrets = np.stack([10 * rate, 3 - 5 * rate + 0 * rate], axis=1).clip(0)
    sel = RidgeSelector(alpha=0.01, features=["noise_rate"]).fit(rate[:, None], regrets, ["a", "b"])
    test = rng.uniform(0, 0.6, 50)
    truth = np.stack([10 * test, (3 - 5 * test).clip(0)], axis=1)
    picks = [["a", "b"].index(sel.recommend({"noise_rate": r}).method) for r in test]
    chosen = truth[np.arange(len(test)), picks].mean()
    assert chosen < truth.mean(axis=0).min()


def test_ridge_picks_the_always_winner():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 1))
    regrets = np.stack([np.zeros(30), 2 + rng.uniform(size=30)], axis=1)
    sel = RidgeSelector(features=["noise_rate"]).fit(x, regrets, ["win", "lose"])
    assert all(sel.recommend({"noise_rate": float(v)}).method == "win" for v in x[:, 0])


def test_leave_one_dataset_out_ridge_beats_fixed_on_regime_rule():
    import pandas as pd

    from noisyprobe.select.regime import REGIME_FEATURES
    from noisyprobe.select.validate import TrainingTable, leave_one_dataset_out

    rate = np.tile(np.linspace(0, 0.6, 10), 3)
    x = np.zeros((30, len(REGIME_FEATURES)))
    x[:, REGIME_FEATURES.index("noise_rate")] = rate
    regrets = np.stack([10 * rate, (3 - 5 * rate).clip(0)], axis=1)
    conds = pd.DataFrame({"dataset": np.repeat(list("abc"), 10), "name": map(str, range(30))})
    table = TrainingTable(conds, x, regrets, ["a", "b"], "balanced_accuracy")
    v = leave_one_dataset_out(table, model="ridge", features=["noise_rate"])
    assert v.model == "ridge" and v.selector < v.best_on_train
