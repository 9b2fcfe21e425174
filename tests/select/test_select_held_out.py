"""Selection on noisy held-out scores: the gap, the blend with a regime prior, its weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.held_out import BlendedSelector, fit_weight, validation_gap
from noisyprobe.select.recommender import KNNSelector
from noisyprobe.select.regime import REGIME_FEATURES
from noisyprobe.select.regression import MeanRegretSelector
from noisyprobe.select.training import TrainingTable, training_table
from noisyprobe.select.validate import MODELS, leave_one_dataset_out, validation_markdown


def test_gap_is_points_below_the_best_score():
    assert validation_gap([0.5, 0.625, 0.6]).tolist() == pytest.approx([12.5, 0.0, 2.5])
    with pytest.raises(NoisyProbeError, match="finite 1-d"):
        validation_gap([0.5, np.nan])


def _prior(seed=0, n=30, m=4):
    rng = np.random.default_rng(seed)
    x, r = rng.normal(size=(n, 2)), rng.uniform(0, 5, size=(n, m))
    feats = ["noise_rate", "asymmetry"]
    return KNNSelector(k=3, features=feats).fit(x, r, list("abcd")), rng


def test_weight_one_is_the_prior_and_weight_zero_the_best_validation_score():
    prior, rng = _prior()
    for _ in range(20):
        regime = dict(zip(prior.features, rng.normal(size=2)))
        val = rng.uniform(0.5, 0.9, size=4)
        assert BlendedSelector(prior, weight=1.0).recommend(regime, val).method == (
            prior.recommend(regime).method
        )
        assert (
            BlendedSelector(None, weight=0.0).recommend(regime, val, methods=list("abcd")).method
            == ("abcd"[int(np.argmax(val))])
        )
    blended = BlendedSelector(prior, weight=0.25).predict(regime, val)
    expected = 0.25 * prior.predict(regime) + 0.75 * (val.max() - val) * 100
    assert blended == pytest.approx(expected)


def test_bad_weight_and_missing_prior_are_refused():
    with pytest.raises(NoisyProbeError, match=r"weight: expected a number in \[0, 1\]"):
        BlendedSelector(None, weight=1.5)
    with pytest.raises(NoisyProbeError, match="needs a fitted regime selector"):
        BlendedSelector(None, weight=0.5)


def _table(validation_signal: float, seed: int = 0):
    """8 datasets x 6 conditions x 3 methods; validation = signal * -regret + noise.

    The first regime feature decides the winner, so a regime prior can learn it too.
    """
    rng = np.random.default_rng(seed)
    n = 48
    regimes = rng.normal(size=(n, len(REGIME_FEATURES)))
    best = (regimes[:, 0] > 0).astype(int)  # the regime decides the winner: x or y
    regrets = np.where(np.arange(3) == best[:, None], 0.0, 3.0) + rng.uniform(0, 0.5, (n, 3))
    regrets -= regrets.min(axis=1, keepdims=True)
    val = 0.8 - validation_signal * regrets / 100 + rng.normal(scale=0.02, size=(n, 3))
    conds = pd.DataFrame({"dataset": np.repeat(list("abcdefgh"), 6), "name": map(str, range(n))})
    return TrainingTable(conds, regimes, regrets, ["x", "y", "z"], "balanced_accuracy", val)


def test_weight_follows_how_informative_validation_is():
    informative = _table(validation_signal=50.0)  # validation ranks as the clean score
    useless = _table(validation_signal=0.0)
    ds = informative.conditions["dataset"]

    def prior(x, r):
        return KNNSelector(k=5, features=REGIME_FEATURES[:1]).fit(x[:, :1], r, ["x", "y", "z"])

    assert (
        fit_weight(informative.regimes, informative.regrets, informative.validation, ds, prior) == 0
    )
    assert fit_weight(useless.regimes, useless.regrets, useless.validation, ds, prior) > 0.5


def test_validation_selector_beats_fixed_choices_when_validation_is_informative():
    table = _table(validation_signal=50.0)
    v = leave_one_dataset_out(table, model="validation")
    assert v.selector < 0.2 < min(v.fixed.values())
    b = leave_one_dataset_out(table, model="blend")
    assert set(b.weights) == set("abcdefgh") and b.selector < 0.2
    assert "ridge on regime + noisy validation" in validation_markdown(b)


def test_held_out_models_need_recorded_scores():
    table = _table(1.0)
    bare = TrainingTable(table.conditions, table.regimes, table.regrets, table.methods, "x")
    with pytest.raises(NoisyProbeError, match="noisy-validation score"):
        leave_one_dataset_out(bare, model="validation")


def test_held_out_models_skip_conditions_without_scores():
    table = _table(validation_signal=50.0)
    val = table.validation.copy()
    val[:6, 1] = np.nan  # dataset "a" (e.g. PadChest's rnn labels): no labelled val rows
    val[7, 0] = np.nan
    partial = TrainingTable(
        table.conditions, table.regimes, table.regrets, table.methods, table.metric, val
    )
    scored = partial.validated()
    assert len(scored.regrets) == 41 and "a" not in set(scored.conditions["dataset"])
    assert np.array_equal(scored.regrets, np.delete(table.regrets, [0, 1, 2, 3, 4, 5, 7], 0))
    v = leave_one_dataset_out(partial, model="blend")
    assert len(v.picks) == 41 and "a" not in v.weights
    assert len(leave_one_dataset_out(partial, model="ridge").picks) == 48
    none = TrainingTable(
        table.conditions, table.regimes, table.regrets, table.methods, "x", val * np.nan
    )
    with pytest.raises(NoisyProbeError, match="no condition has every run"):
        leave_one_dataset_out(none, model="validation")


def test_training_table_reads_noisy_validation_from_the_ledger(synthetic_ledger):
    table = training_table(synthetic_ledger)
    assert table.validation is not None and table.validation.shape == table.regrets.shape
    # noisy-validation tracks the clean ranking on this ledger: best score = lowest regret
    agree = np.argmax(table.validation, axis=1) == np.argmin(table.regrets, axis=1)
    assert agree.mean() > 0.8
    assert set(MODELS) == {"knn", "ridge", "validation", "blend", "blend-mean"}
    for model in MODELS:
        assert leave_one_dataset_out(table, model=model).selector >= 0


def test_mean_regret_prior_is_the_best_fixed_ranking_whatever_the_regime():
    rng = np.random.default_rng(3)
    x, r = rng.normal(size=(40, 2)), rng.uniform(0, 5, size=(40, 3))
    sel = MeanRegretSelector(features=["noise_rate", "asymmetry"]).fit(x, r, list("abc"))
    for regime in ({"noise_rate": -3.0, "asymmetry": 0.0}, {"noise_rate": 5.0, "asymmetry": 2.0}):
        np.testing.assert_allclose(sel.predict(regime), r.mean(axis=0))
        assert sel.recommend(regime).method == "abc"[int(np.argmin(r.mean(axis=0)))]
    # as the blend's whole weight it is the best fixed method; with none, the best score
    scores, regime = [0.7, 0.9, 0.8], {"noise_rate": 0.0, "asymmetry": 0.0}
    best_fixed = "abc"[int(np.argmin(r.mean(axis=0)))]
    assert BlendedSelector(sel, weight=1.0).recommend(regime, scores).method == best_fixed
    assert BlendedSelector(sel, weight=0.0).recommend(regime, scores).method == "b"


def test_blend_mean_is_validated_like_blend(synthetic_ledger):
    table = training_table(synthetic_ledger)
    v = leave_one_dataset_out(table, model="blend-mean")
    assert v.model == "blend-mean" and set(v.weights) == set(table.conditions["dataset"])
    assert 0.0 <= v.selector <= max(v.fixed.values())
    assert "benchmark mean regret + noisy validation" in validation_markdown(v)
