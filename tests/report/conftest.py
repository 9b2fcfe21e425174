"""Fixtures: a synthetic ledger, real ``diagnose --json`` output and a study folder, and the
report built from them once per session through the CLI."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "noisyprobe_test_synthetic_ledger", Path(__file__).parents[1] / "bench" / "synthetic_ledger.py"
)
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)


def _featureset(path: Path, seed: int) -> Path:
    from noisyprobe.features.store import FeatureSet

    rng = np.random.default_rng(seed)
    labels = np.arange(240) % 3
    x = (rng.standard_normal((240, 12)) + labels[:, None] * 0.8).astype(np.float32)
    x[:, 0] = rng.exponential(size=240)  # one skewed feature
    splits = np.where(np.arange(240) % 4 == 0, "test", "train")
    FeatureSet(x, labels, splits).save(path)
    return path


@pytest.fixture
def make_synthetic_ledger():
    return synthetic.make_synthetic_ledger


@pytest.fixture(scope="session")
def report_inputs(tmp_path_factory):
    """Paths: ledger, two diagnostics JSON files (profiles, small-loss), a study folder."""
    from noisyprobe.cli import main

    root = tmp_path_factory.mktemp("report-inputs")
    ledger = synthetic.make_synthetic_ledger(root / "bench.sqlite")
    fs_a = _featureset(root / "fs-a", 0)
    fs_b = _featureset(root / "fs-b", 1)
    profiles = root / "diag.json"
    small = root / "small-loss.json"
    assert main(["diagnose", "--features", str(fs_a), "--compare", str(fs_b), "--k", "5",
                 "--json", str(profiles), "--no-progress"]) == 0  # fmt: skip
    assert main(["diagnose", "--features", str(fs_a), "--small-loss", "--noise", "symmetric",
                 "--rate", "0.3", "--seeds", "0", "--epochs", "3", "--json", str(small),
                 "--no-progress"]) == 0  # fmt: skip
    study = root / "study-pretrain-noise"
    (study / "figures").mkdir(parents=True)
    results = {"rate": 0.1, "best": "skd", "ok": True, "curve": [1, 2], "cfg": {"lr": 0.1}}
    results["table"] = "| level | acc |\n|---|---|\n| 0.1 | 0.9 |"
    results["findings"] = [{"finding": "slight noise helps", "holds": True, "evidence": "e"}]
    (study / "results.json").write_text(json.dumps(results))
    (study / "records").mkdir()
    (study / "records" / "seed0_rate0.1.json").write_text(json.dumps({"seed": 0, "acc": 0.9}))
    (study / "broken.json").write_text("{not json")
    (study / "notes.txt").write_text("ignored")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [0.5, 0.7, 0.6])
    fig.savefig(study / "figures" / "curve.png")
    fig.savefig(study / "curve.svg")
    plt.close(fig)
    return {"ledger": ledger, "diagnose": [profiles, small], "study": study, "root": root}


@pytest.fixture(scope="session")
def report_file(report_inputs, tmp_path_factory):
    """The report of every input, written by ``noisyprobe report`` (exit code checked)."""
    from noisyprobe.cli import main

    out = tmp_path_factory.mktemp("report") / "report.html"
    args = ["report", str(report_inputs["ledger"]), "--out", str(out)]
    args += ["--diagnose", *map(str, report_inputs["diagnose"])]
    args += ["--study", str(report_inputs["study"]), "--title", "Noise <report> & co"]
    assert main(args) == 0
    return out
