"""The small-loss study wired to the trainer and the noise models (needs noisyprobe.train)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from noisyprobe.features.store import FeatureSet


@pytest.fixture(scope="module")
def trainer():
    train = pytest.importorskip("noisyprobe.train")
    pytest.importorskip("noisyprobe.noise")
    if not hasattr(train, "train_runs"):
        pytest.skip("noisyprobe.train.train_runs is not available yet")
    return train


@pytest.fixture
def fs():
    rng = np.random.default_rng(0)
    n, c = 240, 3
    labels = np.arange(n) % c
    centres = rng.normal(size=(c, 6)) * 2.5
    feats = (centres[labels] + rng.normal(size=(n, 6))).astype(np.float32)
    splits = np.array(["train"] * 180 + ["test"] * 60)
    return FeatureSet(feats, labels, splits, classes=["a", "b", "c"])


def test_study_records_every_run_with_its_own_noise(trainer, fs):
    from noisyprobe.diagnostics.small_loss_study import run_small_loss_study
    from noisyprobe.train.protocol import Condition, training_labels

    config = replace(trainer.TrainConfig(), epochs=6, lr=0.05, batch_size=32)
    study = run_small_loss_study(
        fs, noise_kind="symmetric", rate=0.3, methods=["lp"], seeds=[0, 1], config=config
    )
    assert [(r["method"], r["seed"]) for r in study["runs"]] == [("lp", 0), ("lp", 1)]
    for run in study["runs"]:
        _, labels, noise = training_labels(
            fs, Condition(noise_kind="symmetric", rate=0.3), run["seed"]
        )
        assert run["realized_noise_rate"] == pytest.approx(noise.realized_rate)
        a = run["analysis"]
        assert a["epochs"] == 6 and len(a["overlap"]) == 6
        assert all(0.0 <= v <= 1.0 for v in a["overlap"] + a["auroc"])
        mr = a["matched_rate"]
        assert mr["n_selected"] == round((1 - noise.realized_rate) * labels.size)
        assert 0.0 <= mr["small_loss"]["precision"] <= 1.0
        assert 0.0 <= mr["agreement"]["precision"] <= 1.0
        assert run["eval"]["per_class_recall"].shape == (3,)
    summary = study["summary"]["lp"]
    assert summary["seeds"] == 2
    assert summary["overlap"] == pytest.approx(
        np.mean([r["analysis"]["overlap"][-1] for r in study["runs"]])
    )
    assert set(study["densities"]) == {"lp"}
    # on well-separated clusters the head learns the clean structure, so the loss flags the
    # injected flips: this fails if the noise mask were not aligned with the trained labels
    assert summary["auroc"] > 0.9 and summary["overlap"] < 0.3
    assert summary["precision_small_loss"] > 0.9


def test_cli_small_loss(trainer, fs, tmp_path, capsys):
    from noisyprobe.cli import main

    fs.save(tmp_path / "fs")
    out = tmp_path / "sl.json"
    argv = f"diagnose --features {tmp_path / 'fs'} --small-loss --noise symmetric --rate 0.2,0.4"
    argv += f" --method lp --seeds 0-1 --epochs 3 --lr 0.05 --json {out}"
    argv += f" --figures {tmp_path / 'figs'} --no-progress"
    code = main(argv.split())
    assert code == 0
    text = capsys.readouterr().out
    assert text.count("## small-loss analysis: symmetric noise") == 2
    assert "P small-loss" in text and "overlap" in text
    result = json.loads(out.read_text())
    assert [s["condition"]["rate"] for s in result["studies"]] == [0.2, 0.4]
    for rate in ("0.2", "0.4"):
        png = tmp_path / "figs" / f"loss_densities_symmetric_{rate}.png"
        assert png.read_bytes()[:4] == b"\x89PNG"
    assert len(result["studies"][0]["runs"]) == 2


def test_cli_small_loss_rejects_unknown_method(trainer, fs, tmp_path, capsys):
    from noisyprobe.cli import main

    fs.save(tmp_path / "fs")
    code = main(
        [
            "diagnose",
            "--features",
            str(tmp_path / "fs"),
            "--small-loss",
            "--noise",
            "symmetric",
            "--rate",
            "0.2",
            "--method",
            "no-such-method",
        ]
    )
    assert code == 2 and "unknown method" in capsys.readouterr().err
