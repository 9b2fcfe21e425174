"""HeadClassifier follows the scikit-learn estimator contract."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.train.estimator import HeadClassifier

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone, is_classifier  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

FAST = {"epochs": 30, "lr": 3e-2, "batch_size": 32}


def _data(n=120):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = np.where(x[:, 0] + 0.5 * x[:, 1] > 0, "lesion", "normal")
    return x, y


def test_fit_returns_self_and_sets_attributes():
    x, y = _data()
    clf = HeadClassifier("lp", random_state=0, **FAST)
    assert clf.fit(x, y) is clf
    assert clf.classes_.tolist() == ["lesion", "normal"] and clf.n_features_in_ == 4
    proba = clf.predict_proba(x)
    assert proba.shape == (120, 2) and np.allclose(proba.sum(1), 1)
    assert set(clf.predict(x)) <= {"lesion", "normal"}
    assert clf.score(x, y) > 0.9


def test_get_set_params_include_method_hyperparameters():
    clf = HeadClassifier("gce", random_state=3, q=0.4, epochs=5)
    params = clf.get_params()
    assert params["method"] == "gce" and params["q"] == 0.4 and params["epochs"] == 5
    assert params["random_state"] == 3
    assert clf.set_params(q=0.9, lr=0.5) is clf
    assert clf.get_params()["q"] == 0.9 and clf.lr == 0.5


def test_clone_gives_an_unfitted_equal_estimator():
    x, y = _data()
    clf = HeadClassifier("elr", random_state=1, lam=1.0, **FAST).fit(x, y)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params()
    assert not hasattr(twin, "classes_")
    assert is_classifier(twin)
    np.testing.assert_array_equal(twin.fit(x, y).predict_proba(x), clf.predict_proba(x))


def test_pipeline_and_cross_val_score():
    x, y = _data()
    pipe = make_pipeline(StandardScaler(), HeadClassifier("gce", random_state=0, q=0.7, **FAST))
    scores = cross_val_score(pipe, x, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_integer_labels_are_encoded():
    x, _ = _data()
    y = np.where(x[:, 0] > 0, 7, -3)
    clf = HeadClassifier("lp", **FAST).fit(x, y)
    assert clf.classes_.tolist() == [-3, 7]
    assert set(np.unique(clf.predict(x))) <= {-3, 7}


def test_errors_are_clear():
    x, y = _data()
    with pytest.raises(NoisyProbeError, match="not fitted"):
        HeadClassifier().predict(x)
    with pytest.raises(NoisyProbeError, match="two classes"):
        HeadClassifier().fit(x, np.zeros(120))
    with pytest.raises(NoisyProbeError, match="unknown hyperparameter"):
        HeadClassifier("lp", q=0.3).fit(x, y)
    clf = HeadClassifier("lp", epochs=1).fit(x, y)
    with pytest.raises(NoisyProbeError, match="features"):
        clf.predict(x[:, :2])


def test_importing_noisyprobe_does_not_import_sklearn():
    code = (
        "import sys, noisyprobe, noisyprobe.train, noisyprobe.methods;"
        "noisyprobe.HeadClassifier;"
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
