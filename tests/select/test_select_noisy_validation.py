"""Scoring a ledger's methods on the user's noisy validation labels, and select --model blend."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.cli import main
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet
from noisyprobe.select.api import recommend
from noisyprobe.select.noisy_validation import ledger_methods, noisy_validation_scores

TRAIN = {"epochs": 50, "lr": 0.05, "C": 0.1}  # 150 steps: enough at this lr


def _featureset(path, *, flip_val: bool = False):
    """4 separable classes; column ``rnn`` carries 20% pair noise (and, if asked, wrong val)."""
    rng = np.random.default_rng(0)
    y = np.arange(400) % 4
    x = (rng.normal(size=(400, 8)) + 3 * np.eye(4, 8)[y]).astype(np.float32)
    noisy = y.copy()
    noisy[::5] = (noisy[::5] + 1) % 4  # every class: k -> k + 1
    splits = np.array(["train"] * 300 + ["val"] * 100)
    if flip_val:
        noisy[300:] = (y[300:] + 1) % 4  # every val label wrong in this column
    FeatureSet(x, y, splits=splits, extra_labels={"rnn": noisy}).save(path)
    return FeatureSet.load(path)


def test_ledger_methods_read_params_and_training_settings(tmp_path, make_synthetic_ledger):
    ledger = make_synthetic_ledger(tmp_path / "l.sqlite", train=TRAIN)
    grid = ledger_methods(ledger)
    assert grid.methods == {"lp": ("lp", {}), "gce": ("gce", {"q": 0.7}), "elr": ("elr", {})}
    assert grid.train == TRAIN


def test_scores_are_on_the_columns_val_labels(tmp_path):
    methods = {"lp": ("lp", {}), "gce": ("gce", {"q": 0.7})}
    fs = _featureset(tmp_path / "fs")
    main_labels = noisy_validation_scores(fs, methods, train=TRAIN, seeds=[0])
    column = noisy_validation_scores(fs, methods, labels="rnn", train=TRAIN, seeds=[0])
    assert min(main_labels.values()) > 0.95  # clean, separable
    assert 0.6 < min(column.values()) < 0.9  # 20% of val labels are wrong
    wrong = _featureset(tmp_path / "fs2", flip_val=True)
    flipped = noisy_validation_scores(wrong, methods, labels="rnn", train=TRAIN, seeds=[0])
    assert max(flipped.values()) < 0.2
    single = FeatureSet(fs.features[:300], fs.labels[:300])  # no val split
    with pytest.raises(NoisyProbeError, match="split 'val'"):
        noisy_validation_scores(single, methods, train=TRAIN)


def test_recommend_validation_picks_the_best_noisy_validation_score(
    tmp_path, make_synthetic_ledger
):
    ledger = make_synthetic_ledger(tmp_path / "l.sqlite", train=TRAIN)
    _featureset(tmp_path / "fs")
    sel = recommend(tmp_path / "fs", ledger, labels="rnn", k=3, model="validation")
    assert set(sel.validation) == {"lp", "gce", "elr"} and sel.weight == 0.0
    assert sel.recommendation.method == max(sel.validation, key=sel.validation.get)
    blend = recommend(tmp_path / "fs", ledger, labels="rnn", k=3, model="blend")
    assert blend.validation == sel.validation  # same seeds, same training: same scores
    assert 0.0 <= blend.weight <= 1.0 and blend.model == "blend"
    mean = recommend(tmp_path / "fs", ledger, labels="rnn", k=3, model="blend-mean")
    assert mean.validation == sel.validation and 0.0 <= mean.weight <= 1.0
    with pytest.raises(NoisyProbeError, match="model: expected one of"):
        recommend(tmp_path / "fs", ledger, model="oracle")


def test_cli_select_blend(tmp_path, make_synthetic_ledger, capsys):
    ledger = make_synthetic_ledger(tmp_path / "l.sqlite", train=TRAIN)
    _featureset(tmp_path / "fs")
    args = ["select", "--features", str(tmp_path / "fs"), "--ledger", str(ledger)]
    assert main([*args, "--labels", "rnn", "--model", "blend", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "noisy-val balanced acc." in out and "prior weight" in out
    assert all(f"| {m} |" in out for m in ("lp", "gce", "elr"))


def test_recommend_on_corrected_validation_scores(tmp_path, make_synthetic_ledger, capsys):
    ledger = make_synthetic_ledger(tmp_path / "l.sqlite", train=TRAIN)
    _featureset(tmp_path / "fs")
    noisy = recommend(tmp_path / "fs", ledger, labels="rnn", k=3, model="validation")
    sel = recommend(
        tmp_path / "fs", ledger, labels="rnn", k=3, model="validation", validation_score="corrected"
    )
    assert set(sel.validation) == set(noisy.validation)
    assert sel.validation != noisy.validation  # the estimated noise moved the scores
    assert sel.recommendation.method == max(sel.validation, key=sel.validation.get)
    with pytest.raises(NoisyProbeError, match="expected noisy or corrected"):
        recommend(tmp_path / "fs", ledger, model="validation", validation_score="clean")
    args = ["select", "--features", str(tmp_path / "fs"), "--ledger", str(ledger)]
    assert main([*args, "--labels", "rnn", "--validation-score", "clean"]) == 2
    assert "needs clean labels" in capsys.readouterr().err
    assert main(["select", "--validate", str(ledger), "--model", "blend",
                 "--validation-score", "corrected"]) == 0  # fmt: skip
    assert "corrected" in capsys.readouterr().out
