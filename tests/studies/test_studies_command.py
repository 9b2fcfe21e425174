import json
from pathlib import Path

import pytest

from noisyprobe.cli import main

FMNIST = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.slow
@pytest.mark.skipif(not FMNIST.is_dir(), reason="needs dataset-fashion-mnist")
def test_inheritance_quick_end_to_end_and_resume(tmp_path, capsys):
    out = tmp_path / "inh"
    assert main(["study", "inheritance", "--quick", "--out", str(out), "--no-progress"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert len(results["records"]) == 4  # 2 seeds x 2 levels
    rec = next(r for r in results["records"] if r["rate"] > 0)
    assert 0 <= rec["memorised"] <= 1 and rec["realized_rate"] == pytest.approx(0.3)
    assert set(rec["accuracy"]) >= {"id_full", "id_fewshot", "ood_mnist", "ood_rotation"}
    assert set(rec["accuracy"]["ood_mnist"]) == {"lp", "mlp", "nmtune", "skd"}
    assert (out / "accuracy.png").is_file() and (out / "diagnostics.png").is_file()
    assert "memorised" in capsys.readouterr().out
    before = (out / "records" / "seed1_rate0.3.json").read_text()
    assert main(["study", "inheritance", "--quick", "--out", str(out), "--no-progress"]) == 0
    assert (out / "records" / "seed1_rate0.3.json").read_text() == before


def test_bad_levels_are_a_user_error(tmp_path, capsys):
    code = main(["study", "inheritance", "--quick", "--levels", "0,1.5", "--out", str(tmp_path)])
    assert code == 2 and "levels" in capsys.readouterr().err
