"""``noisyprobe labels audit``: output, JSON and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from noisyprobe.cli import main
from noisyprobe.features.store import FeatureSet


@pytest.fixture
def noisy_featureset(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(300) % 3
    x = (rng.normal(size=(300, 6)) + 4 * np.eye(3, 6)[y]).astype(np.float32)
    weak = y.copy()
    weak[:30] = (y[:30] + 1) % 3
    path = tmp_path / "fs"
    FeatureSet(x, y, extra_labels={"weak": weak}, classes=["a", "b", "c"]).save(path)
    return path


def test_audit_prints_and_writes_json(noisy_featureset, tmp_path, capsys):
    out = tmp_path / "audit.json"
    args = ["labels", "audit", "--features", str(noisy_featureset), "--labels", "weak"]
    assert main([*args, "--json", str(out), "--top", "3"]) == 0
    text = capsys.readouterr().out
    assert "300 samples" in text and "likely mislabelled" in text
    report = json.loads(out.read_text())
    assert report["labels"] == "weak" and report["samples"] == 300
    flagged = {int(i["row"]) for i in report["issues"]}
    assert len(flagged & set(range(30))) >= 27
    assert abs(report["noise_rate"] - 0.1) < 0.02
    assert np.allclose(np.sum(report["transition"], axis=1), 1.0)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--labels", "nope"], "no such label column"),
        (["--top", "-1"], "--top"),
        (["--refits", "-1"], "refits"),
    ],
)
def test_audit_errors_are_one_line(noisy_featureset, capsys, extra, match):
    assert main(["labels", "audit", "--features", str(noisy_featureset), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and "\n" not in err


def test_missing_featureset(tmp_path, capsys):
    assert main(["labels", "audit", "--features", str(tmp_path / "missing")]) == 2
    assert "\n" not in capsys.readouterr().err.strip()
