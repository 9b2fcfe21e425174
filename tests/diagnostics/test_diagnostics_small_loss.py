"""Small-loss analysis: overlap coefficient, loss AUROC, matched-rate selection, collapse flags."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from noisyprobe.diagnostics.small_loss import (
    collapsed_classes,
    loss_auroc,
    loss_densities,
    loss_overlap,
    matched_rate_detection,
    small_loss_analysis,
)
from noisyprobe.errors import NoisyProbeError


@pytest.mark.parametrize("method", ["kde", "hist"])
def test_identical_samples_overlap_fully(method):
    a = np.random.default_rng(0).gamma(1.5, size=3000)
    assert loss_overlap(a, a.copy(), method=method) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("method", ["kde", "hist"])
def test_disjoint_samples_do_not_overlap(method):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 1, 2000), rng.uniform(50, 51, 2000)
    assert loss_overlap(a, b, method=method) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize(("method", "tol"), [("kde", 0.015), ("hist", 0.02)])
def test_two_normals_match_the_closed_form(delta, method, tol):
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.0, 1.3, 40000), rng.normal(delta * 1.3, 1.3, 40000)
    expected = 2 * norm.cdf(-delta / 2)  # 2Φ(-|μ1-μ2| / 2σ)
    assert loss_overlap(a, b, method=method, bins=512 if method == "kde" else 80) == pytest.approx(
        expected, abs=tol
    )


def test_overlap_is_symmetric_and_shift_invariant():
    rng = np.random.default_rng(3)
    a, b = rng.exponential(size=900), rng.exponential(2.0, size=400)
    assert loss_overlap(a, b) == pytest.approx(loss_overlap(b, a))
    assert loss_overlap(a + 5, b + 5) == pytest.approx(loss_overlap(a, b), abs=1e-9)


def test_densities_integrate_to_one_and_handle_constant_groups():
    d = loss_densities(np.full(10, 0.3), np.array([0.3, 0.31, 2.0]), bins=128)
    for key in ("clean", "noisy"):
        assert d[key].sum() * d["width"] == pytest.approx(1.0)
        assert np.all(d[key] >= 0)
    assert 0.0 < loss_overlap(np.full(10, 0.3), np.array([0.3, 0.31, 2.0])) < 1.0


def test_density_validation():
    with pytest.raises(NoisyProbeError, match="non-empty"):
        loss_overlap(np.array([]), np.ones(3))
    with pytest.raises(NoisyProbeError, match="NaN"):
        loss_overlap(np.array([np.nan]), np.ones(3))
    with pytest.raises(NoisyProbeError, match="method"):
        loss_overlap(np.ones(3), np.ones(3), method="gmm")
    with pytest.raises(NoisyProbeError, match="bins"):
        loss_overlap(np.ones(3), np.ones(3), bins=1)


def test_loss_auroc_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(4)
    noisy = rng.random(500) < 0.3
    losses = rng.exponential(size=500) + noisy * 0.8
    losses[:20] = 1.0  # ties
    assert loss_auroc(losses, noisy) == pytest.approx(metrics.roc_auc_score(noisy, losses))
    assert loss_auroc(losses, noisy.astype(int)) == pytest.approx(loss_auroc(losses, noisy))


def test_matched_rate_by_hand():
    losses = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    given = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    noisy = np.array([0, 1, 0, 0, 0, 0, 0, 1, 0, 0], dtype=bool)
    pred = np.array([0, 1, 0, 0, 1, 1, 1, 0, 1, 1])  # agrees on 0,2,3,5,6,8,9
    r = matched_rate_detection(losses, given, pred, noisy)
    assert r["rate"] == pytest.approx(0.8) and r["n_selected"] == 8
    assert r["noise_rate"] == pytest.approx(0.2) and r["chance_precision"] == pytest.approx(0.8)
    # small-loss keeps samples 0..7: noisy ones 1 and 7 are in -> 6/8
    assert r["small_loss"]["precision"] == pytest.approx(6 / 8)
    assert r["small_loss"]["recall"] == pytest.approx(6 / 8)
    # agreement keeps the 7 agreeing (all clean), then the smallest-loss other one (1, noisy)
    assert r["agreement"]["precision"] == pytest.approx(7 / 8)
    assert r["agreement"]["natural_rate"] == pytest.approx(0.7)
    assert r["agreement"]["natural_precision"] == pytest.approx(1.0)
    # at rate 0.5, agreement keeps the 5 agreeing samples with the smallest losses
    half = matched_rate_detection(losses, given, pred, noisy, rate=0.5)
    assert half["n_selected"] == 5 and half["agreement"]["precision"] == 1.0
    assert half["small_loss"]["precision"] == pytest.approx(4 / 5)


def test_matched_rate_peer_and_epoch_agreement():
    losses = np.array([0.5, 0.1, 0.2, 0.3])
    given = np.array([0, 1, 1, 0])
    noisy = np.array([False, True, False, False])
    pred = np.array([0, 1, 1, 0])  # every sample agrees: ranking falls back to the loss
    peer = np.array([0, 0, 1, 0])  # the peer disagrees on the noisy sample
    epochs = np.array([[0, 0, 1, 0], [0, 1, 1, 1], [0, 1, 1, 0]])
    r = matched_rate_detection(
        losses, given, pred, noisy, peer_predictions=peer, epoch_predictions=epochs
    )
    assert r["n_selected"] == 3
    assert r["agreement"]["precision"] == pytest.approx(2 / 3)  # = small loss here
    assert r["peer_agreement"]["precision"] == 1.0
    # epoch shares: [1, 2/3, 1, 2/3] -> picks 0, 2 then the smaller loss of {1, 3} = 1
    assert r["epoch_agreement"]["precision"] == pytest.approx(2 / 3)
    assert r["epoch_agreement"]["natural_rate"] == pytest.approx(0.5)


def test_selected_count_is_exact_under_ties():
    n = 101
    r = matched_rate_detection(
        np.zeros(n), np.zeros(n, int), np.zeros(n, int), np.arange(n) % 3 == 0, rate=0.37
    )
    assert r["n_selected"] == round(0.37 * n)


def test_matched_rate_validation():
    x = np.ones(4)
    y = np.zeros(4, int)
    m = np.zeros(4, bool)
    with pytest.raises(NoisyProbeError, match="rate"):
        matched_rate_detection(x, y, y, m, rate=0.0)
    with pytest.raises(NoisyProbeError, match="predictions"):
        matched_rate_detection(x, y, y[:3], m)
    with pytest.raises(NoisyProbeError, match="epoch_predictions"):
        matched_rate_detection(x, y, y, m, epoch_predictions=np.zeros((2, 3), int))
    with pytest.raises(NoisyProbeError, match="is_noisy"):
        matched_rate_detection(x, y, y, np.array([0, 2, 0, 0]))


def test_collapsed_classes_flags_zero_recall_behind_good_accuracy():
    y = np.array([0] * 80 + [1] * 10 + [2] * 5 + [3] * 5)
    pred = y.copy()
    pred[80:90] = 0  # class 1 collapses
    pred[95:100] = 0  # class 3 collapses
    r = collapsed_classes(y, pred, num_classes=5)
    assert r["zero_recall"] == [1, 3] and r["collapsed"]
    assert r["accuracy"] == pytest.approx(0.85)
    assert r["balanced_accuracy"] == pytest.approx(0.5)
    assert r["gap"] == pytest.approx(0.35)
    assert np.isnan(r["per_class_recall"][4])
    assert not collapsed_classes(y, y)["collapsed"]


def _history(n=400, epochs=6, seed=0):
    rng = np.random.default_rng(seed)
    noisy = rng.random(n) < 0.25
    given = rng.integers(0, 3, n)
    loss = np.empty((epochs, n), np.float32)
    pred = np.empty((epochs, n), np.int64)
    for e in range(epochs):
        # clean losses shrink over training; noisy ones stay high (separation grows)
        loss[e] = rng.exponential(1.0, n) * np.where(noisy, 1.0, 1.0 / (e + 1))
        pred[e] = np.where(noisy | (rng.random(n) < 0.1), (given + 1) % 3, given)
    return {"loss": loss, "pred": pred, "pred_peer": pred[::-1].copy()}, given, noisy


def test_small_loss_analysis_over_a_history():
    hist, given, noisy = _history()
    r = small_loss_analysis(hist, given, noisy, agreement_window=3)
    assert r["epochs"] == 6 and r["epoch"] == 5
    assert len(r["overlap"]) == len(r["auroc"]) == 6
    for e in range(6):
        assert r["overlap"][e] == pytest.approx(
            loss_overlap(hist["loss"][e][~noisy], hist["loss"][e][noisy])
        )
        assert r["auroc"][e] == pytest.approx(loss_auroc(hist["loss"][e], noisy))
        assert r["mean_loss_noisy"][e] == pytest.approx(hist["loss"][e][noisy].mean(), rel=1e-6)
    assert r["overlap"][-1] < r["overlap"][0] and r["auroc"][-1] > r["auroc"][0]
    direct = matched_rate_detection(
        hist["loss"][5],
        given,
        hist["pred"][5],
        noisy,
        peer_predictions=hist["pred_peer"][5],
        epoch_predictions=hist["pred"][3:6],
    )
    assert r["matched_rate"] == direct
    at_one = small_loss_analysis(hist, given, noisy, epoch=1, agreement_window=1)
    assert at_one["epoch"] == 1 and "epoch_agreement" not in at_one["matched_rate"]


def test_small_loss_analysis_without_noise_reports_nan():
    hist, given, _ = _history()
    r = small_loss_analysis(hist, given, np.zeros(given.size, bool))
    assert np.isnan(r["overlap"]).all() and np.isnan(r["auroc"]).all()
    assert r["matched_rate"]["small_loss"]["precision"] == 1.0


def test_small_loss_analysis_validation():
    hist, given, noisy = _history()
    with pytest.raises(NoisyProbeError, match="keys"):
        small_loss_analysis({"loss": hist["loss"]}, given, noisy)
    with pytest.raises(NoisyProbeError, match="epoch"):
        small_loss_analysis(hist, given, noisy, epoch=6)
    with pytest.raises(NoisyProbeError, match="epochs, N"):
        small_loss_analysis({"loss": hist["loss"], "pred": hist["pred"][:, :5]}, given, noisy)
