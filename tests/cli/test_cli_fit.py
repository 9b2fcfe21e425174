import json

import numpy as np
import pytest

from noisyprobe.cli import main
from noisyprobe.features.store import FeatureSet
from noisyprobe.train.protocol import Condition, run_methods, training_labels


@pytest.fixture
def fs_path(tmp_path, toy_featureset):
    return str(toy_featureset.save(tmp_path / "fs"))


def test_fit_prints_per_seed_and_summary_and_writes_json(fs_path, tmp_path, capsys):
    out = tmp_path / "res.json"
    code = main(
        [
            "fit",
            "--features",
            fs_path,
            "--method",
            "lp",
            "--seeds",
            "0-2",
            "--noise",
            "symmetric",
            "--rate",
            "0.2",
            "--epochs",
            "5",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "mean ± std" in text and "per-class recall" in text
    result = json.loads(out.read_text())
    assert [r["seed"] for r in result["runs"]] == [0, 1, 2]
    # exact counting: every seed flips round(0.2 * 80) = 16 of the 80 training labels
    assert all(r["realized_noise_rate"] == pytest.approx(0.2) for r in result["runs"])
    bal = [r["balanced_accuracy"] for r in result["runs"]]
    assert result["summary"]["balanced_accuracy"]["mean"] == pytest.approx(np.mean(bal))


def test_fit_on_a_real_noisy_label_column(fs_path, capsys):
    assert (
        main(
            [
                "fit",
                "--features",
                fs_path,
                "--method",
                "gce",
                "--labels",
                "weak",
                "--seeds",
                "0",
                "--epochs",
                "3",
                "--no-progress",
            ]
        )
        == 0
    )
    assert "weak" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "nope"], "unknown method 'nope'"),
        (["--method", "lp", "--labels", "missing"], "unknown label column 'missing'"),
        (["--method", "lp", "--rate", "0.2"], "--rate needs --noise"),
        (["--method", "lp", "--noise", "sideways", "--rate", "0.2"], "sideways"),
        (["--method", "lp", "--seeds", "x"], "--seeds"),
        (["--method", "gce", "--param", "q=7"], "q"),
        (["--method", "lp", "--C", "0"], "--C: expected a number > 0, cv, auto or none"),
        (["--method", "lp", "--C", "big"], "--C"),
    ],
)
def test_fit_bad_input_is_one_line(fs_path, argv, message, capsys):
    assert main(["fit", "--features", fs_path, "--no-progress", "--epochs", "1", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_fit_c_sets_the_l2_penalty(fs_path, tmp_path):
    """``--C none`` trains without the penalty; for lp the default (auto) is ``--C cv``."""

    def probs(*flags):
        out = tmp_path / f"r{len(list(tmp_path.iterdir()))}.json"
        argv = ["fit", "--features", fs_path, "--method", "lp", "--seeds", "0", "--epochs", "20"]
        assert main([*argv, "--no-progress", "--out", str(out), *flags]) == 0
        (run,) = json.loads(out.read_text())["runs"]
        return run["balanced_accuracy"], run.get("ece")

    default = probs()
    assert probs("--C", "cv") == default
    assert probs("--C", "none") != default  # the penalty changes the fitted head
    out = tmp_path / "cv.json"
    argv = ["fit", "--features", fs_path, "--method", "lp", "--seeds", "0-1", "--epochs", "2"]
    assert main([*argv, "--C", "cv", "--no-progress", "--out", str(out)]) == 0
    chosen = [r["C"] for r in json.loads(out.read_text())["runs"]]
    from noisyprobe.train.penalty import SKLEARN_CS

    assert all(c in SKLEARN_CS for c in chosen)  # one of LogisticRegressionCV's grid per seed


def test_each_seed_gets_its_own_noisy_labels_and_subset(toy_featureset):
    cond = Condition(noise_kind="asymmetric", rate=0.5, train_size=40)
    idx0, y0, n0 = training_labels(toy_featureset, cond, 0)
    idx1, y1, n1 = training_labels(toy_featureset, cond, 1)
    again = training_labels(toy_featureset, cond, 0)
    assert idx0.size == idx1.size == 40 and not np.array_equal(idx0, idx1)
    np.testing.assert_array_equal(again[1], y0)
    clean = toy_featureset.labels[idx0]
    # default pair map y -> y+1 mod C, half of the labels flipped
    assert n0.is_noisy.sum() == 20
    assert np.all(y0[n0.is_noisy] == (clean[n0.is_noisy] + 1) % 3)


def test_run_methods_scores_every_method_and_seed(toy_featureset):
    from noisyprobe.train import TrainConfig

    records = run_methods(
        toy_featureset,
        {"lp": {}, "gce": {"q": 0.5}},
        Condition(),
        [0, 1],
        config=TrainConfig(epochs=40, lr=1e-2, batch_size=32),
        progress=False,
    )
    assert [(r["method"], r["seed"]) for r in records] == [
        ("lp", 0),
        ("lp", 1),
        ("gce", 0),
        ("gce", 1),
    ]
    # well-separated toy clusters: a linear probe on clean labels is near perfect
    assert min(r["balanced_accuracy"] for r in records) > 0.9


def test_missing_test_split_is_a_clear_error(tmp_path):
    fs = FeatureSet(np.random.default_rng(0).random((20, 3)), np.arange(20) % 2)
    with pytest.raises(Exception, match="split 'test' has no samples"):
        run_methods(fs, {"lp": {}}, Condition(), [0], progress=False)
