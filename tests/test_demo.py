"""The main job end to end on the real data: ``noisyprobe demo --quick``, cold then warm."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from noisyprobe.data import _padchest_fetch as fetch_mod

_REAL_CACHE = Path(os.environ.get("NOISYPROBE_CACHE") or Path.home() / ".cache" / "noisyprobe")
_REAL_CSV = _REAL_CACHE / "padchest" / fetch_mod.CSV_NAME


def _demo(cache: Path) -> str:
    env = {**os.environ, "NOISYPROBE_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "noisyprobe.cli", "demo", "--quick", "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.slow
def test_demo_quick_cold_then_warm(tmp_path):
    cache = tmp_path / "cache"
    if _REAL_CSV.is_file():  # skip the wheel download when `make test` fetched it already
        (cache / "padchest").mkdir(parents=True)
        shutil.copy(_REAL_CSV, cache / "padchest" / _REAL_CSV.name)
    cold = _demo(cache)
    for heading in (
        "## Linear probe: physician vs RNN (real noise) labels",
        "## Robust heads on PadChest/MiniLM",
        "### Friedman test and Nemenyi critical difference",
        "## Selector validation (leave one dataset out)",
    ):
        assert heading in cold
    for method in ("| lp |", "| gce |", "| elr |", "| coteaching |", "| cufit |", "| skd |"):
        assert method in cold
    assert "0 already done" in cold and "0 failed" in cold
    assert "training 7 methods" in cold
    report = Path(cold.strip().splitlines()[-1].removeprefix("report: "))
    assert cold.strip().splitlines()[-1].startswith("report: ") and report.is_file()
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    warm = _demo(cache)
    assert ", 0 run now, 0 failed" in warm
    assert "training 7 methods" not in warm  # every stage is a cache hit: the warm run only prints
    # and it prints the same tables: same features, same seeds, cached results
    assert _tables(cold) == _tables(warm)


def _tables(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]
