"""benchmarks/clean_tradeoff.py: the sweep's table keys, its reference, and one-line errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "benchmarks"))

import clean_tradeoff  # noqa: E402


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "nope", "--param", "q", "--values", "1"], "unknown method 'nope'"),
        (["--method", "gce", "--param", "qq", "--values", "1"], "unknown hyperparameter(s) qq"),
        (["--method", "gce", "--param", "q", "--values", "x"], "'x' is not a JSON value"),
    ],
)
def test_bad_input_exits_with_one_line(argv, message):
    with pytest.raises(SystemExit) as exit_info:
        clean_tradeoff.main(argv)
    text = str(exit_info.value)
    assert text.startswith("clean_tradeoff: ") and message in text and "\n" not in text


@pytest.mark.slow
def test_sweep_scores_lp_and_every_value_in_every_condition():
    scores = clean_tradeoff.sweep("label_smoothing", "epsilon", [0.0, 0.1], "breast_cancer", 1)
    names = [name for name, _ in clean_tradeoff.CONDITIONS]
    assert set(scores) == {(n, r) for n in names for r in ("lp", "epsilon=0.0", "epsilon=0.1")}
    for name in names:  # eps = 0 is plain cross-entropy: the same run as lp
        assert scores[name, "epsilon=0.0"] == pytest.approx(scores[name, "lp"], abs=1e-6)
    assert scores["clean", "lp"][0] > 90.0
    with pytest.raises(SystemExit, match="unknown --data"):
        clean_tradeoff.sweep("gce", "q", [0.7], "nope", 1)
