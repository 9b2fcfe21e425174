"""examples/bench-medical.yaml: >= 8 tasks x 2 backbones, every method, 4 noise types, 3 seeds."""

from pathlib import Path

from noisyprobe.bench.spec import load_spec
from noisyprobe.methods import available

SPEC = Path(__file__).resolve().parents[2] / "examples" / "bench-medical.yaml"


def test_bench_medical_spec_parses():
    spec = load_spec(SPEC)
    iu = [e for e in spec.featuresets if e.dataset == "iu-xray-reports"]
    tasks = {e.labels or "human_normal" for e in iu}
    assert len(tasks) >= 8
    assert {e.backbone for e in iu} == {"minilm", "mpnet"}
    # every task of a backbone is a view of one extraction (same dataset options)
    assert len({(e.backbone, str(e.options)) for e in iu}) == 2
    assert all(e.label_columns == ("automatic",) for e in spec.featuresets if e in iu)
    assert all("empirical" in e.noise_options for e in spec.featuresets)
    assert {"symmetric", "asymmetric", "empirical"} <= set(spec.noise)
    assert len(spec.seeds) >= 3
    assert {m for m, _ in spec.methods} == set(available())
