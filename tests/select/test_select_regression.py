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
