"""Fixtures: a synthetic ledger (see tests/bench/synthetic_ledger.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "noisyprobe_test_synthetic_ledger", Path(__file__).parents[1] / "bench" / "synthetic_ledger.py"
)
synthetic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic)


@pytest.fixture
def synthetic_ledger(tmp_path):
    return synthetic.make_synthetic_ledger(tmp_path / "synthetic.sqlite")


@pytest.fixture
def make_synthetic_ledger():
    return synthetic.make_synthetic_ledger
