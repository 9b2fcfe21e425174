"""Fixtures: the synthetic ledger of ``tests/bench`` serves the selector tests too."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "noisyprobe_test_bench_conftest", Path(__file__).parents[1] / "bench" / "conftest.py"
)
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)

synthetic_ledger = _bench.synthetic_ledger
make_synthetic_ledger = _bench.make_synthetic_ledger
