"""Classification metrics against scikit-learn on random data and edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from noisyprobe.errors import NoisyProbeError
from noisyprobe.metrics import (
    accuracy,
    balanced_accuracy,
    balanced_accuracy_many,
    confusion_matrix,
    macro_f1,
    per_class_recall,
    zero_recall_classes,
)


def _random_case(seed: int, n: int = 200, c: int = 5):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, size=n)
    p = np.where(rng.random(n) < 0.6, y, rng.integers(0, c, size=n))
    return y, p


@pytest.mark.parametrize("seed", range(5))
def test_against_sklearn_random(seed):
    y, p = _random_case(seed)
    assert accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p))
    assert balanced_accuracy(y, p) == pytest.approx(skm.balanced_accuracy_score(y, p))
    assert macro_f1(y, p) == pytest.approx(skm.f1_score(y, p, average="macro", zero_division=0))
    np.testing.assert_allclose(
        per_class_recall(y, p, num_classes=5), skm.recall_score(y, p, average=None)
    )
    np.testing.assert_array_equal(
        confusion_matrix(y, p, num_classes=5), skm.confusion_matrix(y, p, labels=range(5))
    )


def test_class_absent_from_predictions():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    p = np.array([0, 0, 0, 0, 2, 2, 0])
    assert balanced_accuracy(y, p) == pytest.approx(skm.balanced_accuracy_score(y, p))
    assert balanced_accuracy(y, p) == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert macro_f1(y, p) == pytest.approx(skm.f1_score(y, p, average="macro", zero_division=0))
    assert zero_recall_classes(y, p) == [1]


def test_class_absent_from_y_true():
    y = np.array([0, 0, 1, 1])
    p = np.array([0, 2, 1, 1])  # class 2 only predicted; class 3 nowhere
    with pytest.warns(UserWarning):
        expected_bacc = skm.balanced_accuracy_score(y, p)
    assert balanced_accuracy(y, p, num_classes=4) == pytest.approx(expected_bacc)
    assert balanced_accuracy(y, p, num_classes=4) == pytest.approx(0.75)
    assert macro_f1(y, p, num_classes=4) == pytest.approx(
        skm.f1_score(y, p, average="macro", zero_division=0)
    )
    recall = per_class_recall(y, p, num_classes=4)
    np.testing.assert_array_equal(np.isnan(recall), [False, False, True, True])
    assert zero_recall_classes(y, p, num_classes=4) == []
    assert confusion_matrix(y, p, num_classes=4).sum() == 4


def test_hand_computed_confusion_and_f1():
    y = [0, 0, 1, 1]
    p = [0, 1, 1, 1]
    assert confusion_matrix(y, p).tolist() == [[1, 1], [0, 2]]
    # F1 class 0: 2*1/(2+1) ; class 1: 2*2/(3+2)
    assert macro_f1(y, p) == pytest.approx((2 / 3 + 4 / 5) / 2)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda c: st.lists(
            st.tuples(st.integers(0, c - 1), st.integers(0, c - 1)), min_size=1, max_size=40
        )
    )
)
def test_property_matches_sklearn(pairs):
    y = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_bacc = skm.balanced_accuracy_score(y, p)
    assert balanced_accuracy(y, p) == pytest.approx(ref_bacc)
    assert macro_f1(y, p) == pytest.approx(skm.f1_score(y, p, average="macro", zero_division=0))
    assert accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p))


def test_balanced_accuracy_many_shared_labels(monkeypatch):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 7, size=300)
    y[y == 4] = 5  # class 4 absent
    preds = rng.integers(0, 7, size=(25, 300))
    preds[::3] = y  # some perfect runs
    expected = [balanced_accuracy(y, row) for row in preds]
    np.testing.assert_allclose(balanced_accuracy_many(y, preds, 7), expected)
    # Chunking over runs must not change results.
    import noisyprobe.metrics.classification as cls

    monkeypatch.setattr(cls, "_CHUNK_CELLS", 700)
    np.testing.assert_allclose(balanced_accuracy_many(y, preds, 7), expected)


def test_balanced_accuracy_many_per_run_labels(monkeypatch):
    rng = np.random.default_rng(4)
    ys = rng.integers(0, 4, size=(9, 50))
    ys[2] = ys[2] % 2  # a run whose labels cover only two classes
    preds = rng.integers(0, 4, size=(9, 50))
    expected = [balanced_accuracy(t, p) for t, p in zip(ys, preds)]
    np.testing.assert_allclose(balanced_accuracy_many(ys, preds, 4), expected)
    import noisyprobe.metrics.classification as cls

    monkeypatch.setattr(cls, "_CHUNK_CELLS", 120)
    np.testing.assert_allclose(balanced_accuracy_many(ys, preds, 4), expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: accuracy([0, 1], [0]), "same number of samples"),
        (lambda: accuracy([], []), "empty"),
        (lambda: balanced_accuracy([0, -1], [0, 1]), ">= 0"),
        (lambda: balanced_accuracy([0, 3], [0, 1], num_classes=3), "outside"),
        (lambda: macro_f1([0.5, 1.0], [0, 1]), "integer"),
        (lambda: accuracy([[0, 1]], [[0, 1]]), "1-D"),
        (lambda: per_class_recall([0, 1], [0, 1], num_classes=None), "num_classes"),
        (lambda: balanced_accuracy_many([0, 1], [0, 1], 2), "2-D"),
        (lambda: balanced_accuracy_many([[0, 1]], [[0, 1], [1, 0]], 2), "one row per run"),
        (lambda: balanced_accuracy_many([0, 1], [[0, 2]], 2), "outside"),
        (lambda: balanced_accuracy([0, 1], [0, 1], num_classes=0), "positive"),
    ],
)
def test_errors(call, match):
    with pytest.raises(NoisyProbeError, match=match):
        call()


def test_nan_probabilities_name_the_row():
    import numpy as np
    import pytest

    from noisyprobe.errors import NoisyProbeError
    from noisyprobe.metrics._validate import as_probs

    probs = np.full((4, 2), 0.5)
    probs[2, 1] = np.nan
    with pytest.raises(NoisyProbeError, match="row 2: the model's output"):
        as_probs(probs)
