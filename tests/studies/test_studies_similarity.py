import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import pearsonr

from noisyprobe.cli import main
from noisyprobe.errors import NoisyProbeError
from noisyprobe.studies.similarity import SimilarityConfig, interval_correlation

FMNIST = Path("/usr/share/datasets/fashion-mnist")


def test_interval_averages_and_their_line_match_a_hand_computation():
    cka = np.array([0.10, 0.12, 0.50, 0.52, 0.88, 0.90])
    ece = np.array([0.30, 0.32, 0.20, 0.22, 0.05, 0.07])
    r = interval_correlation(cka, ece, intervals=3)
    centres = np.linspace(0.10, 0.90, 3)
    means = [0.31, 0.21, 0.06]
    assert [p["n"] for p in r["intervals"]] == [2, 2, 2]
    assert np.allclose([p["cka"] for p in r["intervals"]], centres)
    assert np.allclose([p["ece"] for p in r["intervals"]], means)
    assert r["pearson_r"] == pytest.approx(pearsonr(centres, means).statistic)
    assert r["slope"] == pytest.approx(np.polyfit(centres, means, 1)[0])


def test_interval_correlation_with_one_interval_has_no_line():
    r = interval_correlation(np.ones(4), np.arange(4.0), intervals=5)
    assert len(r["intervals"]) == 1 and r["pearson_r"] is None


def test_config_is_validated():
    with pytest.raises(NoisyProbeError):
        SimilarityConfig(modes=("full", "everything"), lr=(1e-3, 1e-3))
    with pytest.raises(NoisyProbeError):
        SimilarityConfig(lr=(1e-3,))


@pytest.mark.slow
@pytest.mark.skipif(not FMNIST.is_dir(), reason="needs dataset-fashion-mnist")
def test_similarity_quick_end_to_end(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["study", "similarity", "--quick", "--out", str(out), "--device", "cpu"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert {r["mode"] for r in results["runs"]} == {"last", "lora"}
    for run in results["runs"]:
        first, last = run["epochs"][0], run["epochs"][-1]
        assert all(v == pytest.approx(1.0) for v in first["cka"].values())  # pretrained itself
        assert 0 <= last["ece"] <= 1 and 0 <= last["knn_accuracy"] <= 1
    lora = next(r for r in results["runs"] if r["mode"] == "lora")
    # the adapter leaves the early blocks untouched: their CKA stays exactly 1
    assert lora["epochs"][-1]["cka"]["block0"] == pytest.approx(1.0)
    assert (out / "similarity_space.png").is_file() and (out / "cka_ece.png").is_file()
    assert "CKA-ECE" in capsys.readouterr().out
