"""inject: transition matrices by hand, determinism, unlabelled samples, describe, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise import available, describe, estimate_transition, inject

KINDS_WITH_RATE = ["symmetric", "symmetric-inclusive", "asymmetric", "instance"]


def _extra(kind: str, n: int, c: int) -> dict:
    if kind == "instance":
        return {"features": np.random.default_rng(0).normal(size=(n, 3))}
    if kind == "transition":
        return {"transition": np.full((c, c), 1 / c)}
    return {}


def test_available_lists_all_kinds():
    assert available() == sorted(
        ["asymmetric", "empirical", "instance", "symmetric", "symmetric-inclusive", "transition"]
    )


def test_estimate_transition_by_hand():
    clean = [0, 0, 0, 0, 1, 1, 2, -1, 0]
    noisy = [0, 0, 1, 2, 1, 0, 2, 1, -1]  # the last two pairs are ignored
    t = estimate_transition(clean, noisy, 4)
    expected = np.array(
        [[0.5, 0.25, 0.25, 0], [0.5, 0.5, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]  # class 3 absent
    )
    np.testing.assert_allclose(t, expected)


def test_inject_transition_by_hand():
    y = np.array([0, 0, 1, 1, 2, 2, 2, 2])
    nl = inject(y, "asymmetric", 0.5, 3, seed=0)
    # Exactly 4 of 8 flip y -> y+1; the matrix follows from which ones flipped.
    expected = estimate_transition(y, nl.labels, 3)
    np.testing.assert_allclose(nl.transition, expected)
    for c in range(3):
        members = y == c
        flipped = nl.is_noisy[members].mean()
        assert nl.transition[c, c] == pytest.approx(1 - flipped)
        assert nl.transition[c, (c + 1) % 3] == pytest.approx(flipped)
    np.testing.assert_allclose(nl.transition.sum(axis=1), 1.0)


@pytest.mark.parametrize("kind", [*KINDS_WITH_RATE, "transition"])
@pytest.mark.parametrize("counting", ["exact", "bernoulli"])
def test_determinism_and_seed_sensitivity(kind, counting):
    y = np.random.default_rng(1).integers(0, 4, size=400)
    rate = None if kind == "transition" else 0.4
    extra = _extra(kind, 400, 4)
    a = inject(y, kind, rate, 4, seed=7, counting=counting, **extra)
    b = inject(y, kind, rate, 4, seed=7, counting=counting, **extra)
    c = inject(y, kind, rate, 4, seed=8, counting=counting, **extra)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.labels, c.labels)
    assert a.labels.dtype == np.int64 and a.is_noisy.dtype == bool
    assert (a.kind, a.counting, a.seed) == (kind, counting, 7)


@pytest.mark.parametrize("kind", [*KINDS_WITH_RATE, "transition"])
def test_unlabelled_untouched_and_not_counted(kind):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, size=300)
    y[::3] = -1
    rate = None if kind == "transition" else 1.0
    extra = _extra(kind, 300, 3)
    nl = inject(y, kind, rate, 3, seed=0, **extra)
    assert np.all(nl.labels[y == -1] == -1)
    assert not nl.is_noisy[y == -1].any()
    assert nl.realized_rate == pytest.approx(nl.is_noisy.sum() / (y >= 0).sum())
    if kind in ("symmetric", "asymmetric", "instance"):
        assert nl.realized_rate == 1.0


def test_unlabelled_samples_do_not_shift_the_draws():
    # The labelled samples see the same random stream whatever -1 entries surround them.
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    padded = np.insert(y, [0, 5, 10], -1)
    a = inject(y, "symmetric", 0.5, 3, seed=3)
    b = inject(padded, "symmetric", 0.5, 3, seed=3)
    np.testing.assert_array_equal(b.labels[padded >= 0], a.labels)


def test_instance_features_follow_labelled_rows():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, size=50)
    x = rng.normal(size=(50, 4))
    padded_y = np.concatenate([y, [-1, -1]])
    padded_x = np.concatenate([x, np.full((2, 4), 1e6)])
    a = inject(y, "instance", 0.5, 3, seed=1, features=x)
    b = inject(padded_y, "instance", 0.5, 3, seed=1, features=padded_x)
    np.testing.assert_array_equal(b.labels[:50], a.labels)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    c=st.integers(2, 6),
    rate=st.floats(0, 1),
    seed=st.integers(0, 2**31),
    kind=st.sampled_from(["symmetric", "symmetric-inclusive", "asymmetric"]),
    counting=st.sampled_from(["exact", "bernoulli"]),
)
def test_property_invariants(n, c, rate, seed, kind, counting):
    y = np.random.default_rng(seed).integers(-1, c, size=n)
    if not (y >= 0).any():
        y[0] = 0
    nl = inject(y, kind, rate, c, seed=seed, counting=counting)
    assert nl.labels.min() >= -1 and nl.labels.max() < c
    np.testing.assert_array_equal(nl.is_noisy, nl.labels != y)
    np.testing.assert_allclose(nl.transition.sum(axis=1), 1.0)
    np.testing.assert_allclose(nl.transition, estimate_transition(y, nl.labels, c))
    if counting == "exact" and kind == "symmetric":
        assert nl.num_changed == int(np.floor(rate * (y >= 0).sum() + 0.5))
    if kind == "asymmetric":
        np.testing.assert_array_equal(nl.labels[nl.is_noisy], (y[nl.is_noisy] + 1) % c)


def test_describe():
    nl = inject([0, 1, 2, 0, 1, 2, -1], "symmetric-inclusive", 0.5, 3, seed=0)
    d = describe(nl)
    assert d["kind"] == "symmetric-inclusive"
    assert "all classes" in d["convention"]
    assert (d["rate"], d["counting"], d["seed"], d["num_labelled"]) == (0.5, "exact", 0, 6)
    assert d["realized"] == nl.realized_rate == d["num_changed"] / 6
    import json

    json.dumps(d)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "gaussian"}, "expected one of: asymmetric, empirical, instance, symmetric"),
        ({"rate": 1.5}, r"rate must be a number in \[0, 1\]"),
        ({"rate": -0.1}, r"\[0, 1\]"),
        ({"rate": float("nan")}, r"\[0, 1\]"),
        ({"rate": None}, "rate must be a number"),
        ({"labels": [0, 3]}, "outside"),
        ({"labels": [0, -2]}, "outside"),
        ({"labels": [0.5, 1]}, "integer"),
        ({"labels": [[0, 1]]}, "1-D"),
        ({"labels": [-1, -1]}, "no labelled"),
        ({"num_classes": 0}, "num_classes"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"counting": "poisson"}, "counting must be one of exact, bernoulli"),
        ({"pair_map": {0: 1}}, "does not apply to noise kind 'symmetric'"),
        ({"kind": "instance"}, "needs features"),
        ({"kind": "instance", "features": np.zeros((3, 2))}, "one row per label"),
        ({"kind": "instance", "features": np.full((2, 2), np.nan)}, "finite"),
        ({"kind": "asymmetric", "pair_map": {0: 5}}, "pair_map target"),
        ({"kind": "asymmetric", "pair_map": [1, 0, 0]}, "length 2"),
        ({"kind": "transition", "transition": np.eye(2)}, "pass rate=None"),
        ({"kind": "transition", "rate": None}, "needs transition"),
        ({"kind": "transition", "rate": None, "transition": np.eye(3)}, "2 x 2"),
        ({"kind": "transition", "rate": None, "transition": [[0.5, 0.4], [0, 1]]}, "sum to 1"),
        ({"kind": "transition", "rate": None, "transition": [[1.5, -0.5], [0, 1]]}, "negative"),
        ({"kind": "instance", "features": np.zeros((2, 2)), "temperature": 0}, "temperature"),
        ({"kind": "symmetric", "num_classes": 1, "labels": [0, 0], "rate": 0.5}, "2 classes"),
    ],
)
def test_errors(kwargs, match):
    args = {"labels": [0, 1], "kind": "symmetric", "rate": 0.5, "num_classes": 2, "seed": 0}
    args.update(kwargs)
    positional = [args.pop(k) for k in ("labels", "kind", "rate", "num_classes", "seed")]
    with pytest.raises(NoisyProbeError, match=match):
        inject(*positional, **args)
