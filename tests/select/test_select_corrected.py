"""Noisy-label validation scores corrected with a noise transition (select.corrected)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from noisyprobe.errors import NoisyProbeError
from noisyprobe.select.corrected import (
    clean_joint,
    corrected_accuracy,
    corrected_balanced_accuracy,
    corrected_score,
)
from noisyprobe.select.training import training_table


def _counts(given: np.ndarray, pred: np.ndarray, c: int) -> np.ndarray:
    return np.bincount(given * c + pred, minlength=c * c).reshape(c, c)


def _simulate(t: np.ndarray, prior: np.ndarray, recall: np.ndarray, n: int, seed: int):
    """True labels, predictions with per-class ``recall``, given labels drawn from T."""
    rng = np.random.default_rng(seed)
    c = len(prior)
    y = rng.choice(c, size=n, p=prior)
    wrong = rng.random(n) > recall[y]
    pred = np.where(wrong, (y + rng.integers(1, c, size=n)) % c, y)
    given = np.array([rng.choice(c, p=t[i]) for i in y])
    return y, pred, given


@pytest.mark.parametrize(
    ("t", "prior", "recall"),
    [
        # missed findings: 40% of the positives labelled negative, 20% prevalence
        (np.array([[1.0, 0.0], [0.4, 0.6]]), np.array([0.8, 0.2]), np.array([0.9, 0.7])),
        # 3 classes, pair noise 0 -> 1 and symmetric rest
        (
            np.array([[0.7, 0.3, 0.0], [0.05, 0.9, 0.05], [0.1, 0.1, 0.8]]),
            np.array([0.5, 0.3, 0.2]),
            np.array([0.95, 0.6, 0.8]),
        ),
    ],
)
def test_corrected_scores_estimate_the_clean_scores_of_scikit_learn(t, prior, recall):
    y, pred, given = _simulate(t, prior, recall, n=60_000, seed=0)
    counts = _counts(given, pred, len(prior))
    clean_ba = balanced_accuracy_score(y, pred)
    noisy_ba = balanced_accuracy_score(given, pred)
    assert abs(noisy_ba - clean_ba) > 0.02  # the noisy score is biased here
    assert corrected_balanced_accuracy(counts, t) == pytest.approx(clean_ba, abs=0.01)
    assert corrected_accuracy(counts, t) == pytest.approx(accuracy_score(y, pred), abs=0.01)


def test_identity_transition_gives_the_noisy_scores():
    rng = np.random.default_rng(1)
    given, pred = rng.integers(0, 3, 500), rng.integers(0, 3, 500)
    counts = _counts(given, pred, 3)
    assert corrected_balanced_accuracy(counts, np.eye(3)) == pytest.approx(
        balanced_accuracy_score(given, pred)
    )
    assert corrected_score(counts, np.eye(3), metric="accuracy") == pytest.approx(
        accuracy_score(given, pred)
    )


def test_clean_joint_inverts_expected_counts_exactly():
    t = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.0, 0.3, 0.7]])
    m = np.array([[0.3, 0.02, 0.01], [0.03, 0.25, 0.04], [0.02, 0.03, 0.3]])
    m = m / m.sum()
    np.testing.assert_allclose(clean_joint(250 * (m @ t).T, t), m, atol=1e-12)


def test_a_singular_transition_falls_back_to_the_noisy_score():
    counts = np.array([[40, 10], [20, 30]])
    half = np.full((2, 2), 0.5)  # given labels independent of the truth
    assert corrected_balanced_accuracy(counts, half) == pytest.approx(
        corrected_balanced_accuracy(counts, np.eye(2))
    )


@pytest.mark.parametrize(
    ("confusion", "transition", "match"),
    [
        (np.ones((2, 2)), np.eye(3), "two \\[C, C\\] matrices"),
        (-np.ones((2, 2)), np.eye(2), "non-negative counts"),
        (np.ones((2, 2)), np.array([[0.5, 0.6], [0.0, 1.0]]), "probability distributions"),
    ],
)
def test_bad_inputs_name_the_problem(confusion, transition, match):
    with pytest.raises(NoisyProbeError, match=match):
        clean_joint(confusion, transition)


def test_only_accuracy_metrics_can_be_corrected():
    with pytest.raises(NoisyProbeError, match="cannot be corrected"):
        corrected_score(np.eye(2), np.eye(2), metric="ece")


def test_training_table_reads_corrected_and_clean_validation(synthetic_ledger):
    noisy = training_table(synthetic_ledger)
    corrected = training_table(synthetic_ledger, validation_score="corrected")
    clean = training_table(synthetic_ledger, validation_score="clean")
    assert corrected.validation_score == "corrected"
    # the synthetic confusions are the expected counts under the stored T, so the corrected
    # score recovers the clean one (to float error), which the noisy score does not
    np.testing.assert_allclose(corrected.validation, clean.validation, atol=1e-9)
    assert np.abs(noisy.validation - clean.validation).max() > 0.05
    with pytest.raises(NoisyProbeError, match="validation score: expected one of"):
        training_table(synthetic_ledger, validation_score="oracle")
