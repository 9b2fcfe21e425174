"""examples/bench-medical.yaml parses: >= 8 tasks x 2 backbones, 3 noise kinds, 3 seeds."""

from pathlib import Path

from noisyprobe.bench.spec import load_spec

SPEC = Path(__file__).resolve().parents[2] / "examples" / "bench-medical.yaml"


def test_bench_medical_spec_parses():
    spec = load_spec(SPEC)
    assert len(spec.featuresets) >= 16
    assert {"symmetric", "asymmetric", "empirical"} <= set(spec.noise)
    assert len(spec.seeds) >= 3
    assert len(spec.methods) >= 10
