"""Grid spec: validation messages, expansion, canonical keys."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from noisyprobe.bench.featuresets import describe, resolve_all
from noisyprobe.bench.spec import canonical_json, expand, load_spec, parse_spec
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet


def _fs(path, *, seed=0, rnn=False):
    rng = np.random.default_rng(seed)
    n = 40
    labels = np.arange(n) % 4
    splits = np.array(["train"] * 30 + ["test"] * 10)
    extra = {"rnn": (labels + (np.arange(n) % 5 == 0)) % 4} if rnn else None
    FeatureSet(
        rng.normal(size=(n, 5)),
        labels,
        splits,
        extra_labels=extra,
        metadata={"dataset": f"toy{seed}", "backbone": "none"},
    ).save(path)
    return path


SPEC = """
name: toygrid
featuresets:
  a: {path: fs_a}
  b: {path: fs_b}
noise:
  kinds: [symmetric, asymmetric]
  rates: [0.0, 0.2, 0.4]
  label_columns: [rnn]
methods:
  lp: {}
  gce: [{q: 0.7}, {q: 0.3}]
seeds: 0-2
train: {epochs: 3}
"""


@pytest.fixture
def grid(tmp_path):
    _fs(tmp_path / "fs_a", seed=0, rnn=True)
    _fs(tmp_path / "fs_b", seed=1)
    f = tmp_path / "grid.yaml"
    f.write_text(SPEC)
    spec = load_spec(f)
    return spec, resolve_all(spec, progress=False)


def test_expansion_counts_and_conditions(grid):
    spec, infos = grid
    runs = expand(spec, infos)
    # a: clean + 2 kinds x 2 rates + rnn = 6 conditions; b: 5 (no rnn column)
    conditions = {r.condition_key for r in runs}
    assert len(conditions) == 11
    assert len(runs) == 11 * 3 * 3  # 3 method settings x 3 seeds
    assert len({r.key for r in runs}) == len(runs)
    names = {r.condition_name for r in runs}
    assert {"a/clean", "a/symmetric@0.2", "a/asymmetric@0.4", "a/rnn", "b/clean"} <= names
    assert "b/rnn" not in names
    assert {r.noise_label for r in runs} == {"none", "symmetric", "asymmetric", "real:rnn"}
    assert spec.seeds == (0, 1, 2) and spec.name == "toygrid"


def test_key_is_sha256_of_canonical_spec(grid):
    spec, infos = grid
    run = expand(spec, infos)[0]
    assert run.key == hashlib.sha256(run.spec_json.encode()).hexdigest()
    assert canonical_json(run.spec) == run.spec_json
    assert run.spec["featureset"]["fingerprint"] == infos[run.featureset].fingerprint
    cond = {k: v for k, v in run.spec.items() if k not in ("method", "params", "seed")}
    assert run.condition_key == hashlib.sha256(canonical_json(cond).encode()).hexdigest()


def test_keys_stable_under_reordering_and_other_grid_changes(tmp_path, grid):
    spec, infos = grid
    base = {r.key for r in expand(spec, infos)}
    other = parse_spec(
        {
            "featuresets": {"b": str(tmp_path / "fs_b"), "a": str(tmp_path / "fs_a")},
            "noise": {"kinds": ["asymmetric"], "rates": [0.4, 0.2], "label_columns": ["rnn"]},
            "methods": {"gce": [{"q": 0.3}], "elr": {}},
            "seeds": [2, 1],
            "train": {"epochs": 3},
        }
    )
    runs = expand(other, resolve_all(other, progress=False))
    assert len(runs) == 5 * 2 * 2  # a: 2 rates + rnn, b: 2 rates; 2 methods; 2 seeds
    shared = {r.key for r in runs} & base
    # exactly the gce q=0.3 runs of seeds 1 and 2 were already in the first grid
    assert shared == {r.key for r in runs if r.method == "gce"}
    assert len(shared) == 10


def test_keys_change_with_what_changes_a_result(grid):
    from dataclasses import replace

    spec, infos = grid
    base = {r.key for r in expand(spec, infos)}
    for variant in (replace(spec, train={"epochs": 4}), replace(spec, eval_split="val")):
        assert not ({r.key for r in expand(variant, infos)} & base)
    # counting only matters where noise is injected: clean and real-noise runs keep their keys
    bern = expand(replace(spec, counting="bernoulli"), infos)
    assert {r.key for r in bern if r.noise_kind is None} <= base
    assert not ({r.key for r in bern if r.noise_kind is not None} & base)


def test_featureset_data_change_changes_keys(tmp_path, grid):
    spec, infos = grid
    before = {r.key for r in expand(spec, infos) if r.featureset == "b"}
    _fs(tmp_path / "fs_b2", seed=5)
    import shutil

    shutil.rmtree(tmp_path / "fs_b")
    shutil.copytree(tmp_path / "fs_b2", tmp_path / "fs_b")
    after = {r.key for r in expand(spec, resolve_all(spec, progress=False)) if r.featureset == "b"}
    assert not (before & after)


def test_relative_paths_resolve_against_the_spec(tmp_path):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "g.yaml"
    f.write_text("featuresets: {x: ../fs}\nmethods: [lp]\nnoise: {rates: [0]}\n")
    assert load_spec(f).featuresets[0].path == tmp_path / "sub" / ".." / "fs"


def test_seeds_and_defaults():
    spec = parse_spec({"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"rates": [0.0]}})
    assert spec.seeds == (0,) and spec.metric == "balanced_accuracy" and spec.eval_split == "test"
    assert spec.noise == {"none": (0.0,)} and spec.higher_is_better
    spec = parse_spec(
        {
            "featuresets": {"x": "p"},
            "methods": ["lp"],
            "seeds": "0-3,7",
            "metric": "ece",
            "noise": {"kinds": {"symmetric": [0.1], "asymmetric": [0.3]}},
        }
    )
    assert spec.seeds == (0, 1, 2, 3, 7) and not spec.higher_is_better
    assert spec.noise == {"symmetric": (0.1,), "asymmetric": (0.3,)}


BAD = [
    ({"featuresets": {"x": "p"}, "methods": ["lp"], "bogus": 1}, "bogus: unknown field"),
    ({"methods": ["lp"]}, "featuresets: expected"),
    ({"featuresets": {"x": {"dataset": "mnist-5k"}}, "methods": ["lp"]}, "dataset and backbone"),
    ({"featuresets": {"x": {}}, "methods": ["lp"]}, "featuresets.x: expected a path"),
    ({"featuresets": {"x": {"path": "p", "colour": 1}}, "methods": ["lp"]}, "featuresets.x.colour"),
    ({"featuresets": {"x": {"path": "p", "limit": 0}}, "methods": ["lp"]}, "featuresets.x.limit"),
    ({"featuresets": {"x": "p"}, "methods": ["nope"]}, "methods.nope: unknown method"),
    ({"featuresets": {"x": "p"}, "methods": {"gce": {"q": 5}}}, "methods.gce"),
    ({"featuresets": {"x": "p"}, "methods": {"gce": {"zz": 1}}}, "methods.gce"),
    ({"featuresets": {"x": "p"}, "methods": {"gce": [{"q": 0.5}, {"q": 0.5}]}}, "duplicate"),
    (
        {"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"kinds": ["sym"], "rates": [0.2]}},
        "noise.kinds: unknown noise kind",
    ),
    (
        {
            "featuresets": {"x": "p"},
            "methods": ["lp"],
            "noise": {"kinds": ["symmetric"], "rates": [1.5]},
        },
        "noise.rates: expected a noise rate",
    ),
    (
        {"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"kinds": ["symmetric"]}},
        "noise.rates",
    ),
    ({"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"rates": [0.2]}}, "noise.kinds"),
    (
        {"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"counting": "most"}},
        "noise.counting",
    ),
    ({"featuresets": {"x": "p"}, "methods": ["lp"]}, "noise: no condition"),
    (
        {"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"rates": [0]}, "seeds": [1, 1]},
        "seeds",
    ),
    (
        {"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"rates": [0]}, "seeds": "a-b"},
        "seeds",
    ),
    (
        {"featuresets": {"x": "p"}, "methods": ["lp"], "noise": {"rates": [0]}, "metric": "auc"},
        "metric",
    ),
    (
        {
            "featuresets": {"x": "p"},
            "methods": ["lp"],
            "noise": {"rates": [0]},
            "train": {"epochz": 1},
        },
        "train.epochz",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_validation_errors_name_the_field(data, message):
    with pytest.raises(
        NoisyProbeError, match=message.replace(".", r"\.").replace("(", r"\(")
    ) as err:
        parse_spec(data)
    assert "\n" not in str(err.value)


def test_yaml_errors_and_missing_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("featuresets: {a: [\n")
    with pytest.raises(NoisyProbeError, match="not valid YAML"):
        load_spec(f)
    with pytest.raises(NoisyProbeError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")


def test_label_columns_must_exist(tmp_path):
    _fs(tmp_path / "fs", rnn=False)
    spec = parse_spec(
        {"featuresets": {"x": "fs"}, "methods": ["lp"], "noise": {"label_columns": ["rnn"]}},
        base_dir=tmp_path,
    )
    with pytest.raises(NoisyProbeError, match="noise.label_columns: no FeatureSet"):
        expand(spec, resolve_all(spec, progress=False))
    spec = parse_spec(
        {"featuresets": {"x": {"path": "fs", "label_columns": ["rnn"]}}, "methods": ["lp"]},
        base_dir=tmp_path,
    )
    with pytest.raises(NoisyProbeError, match="featuresets.x.label_columns"):
        expand(spec, resolve_all(spec, progress=False))


def test_missing_featureset_and_duplicates(tmp_path):
    spec = parse_spec(
        {"featuresets": {"x": "nowhere"}, "methods": ["lp"], "noise": {"rates": [0]}},
        base_dir=tmp_path,
    )
    with pytest.raises(NoisyProbeError, match="featuresets.x.path: no FeatureSet"):
        resolve_all(spec, progress=False)
    _fs(tmp_path / "fs")
    spec = parse_spec(
        {"featuresets": {"x": "fs", "y": "fs"}, "methods": ["lp"], "noise": {"rates": [0]}},
        base_dir=tmp_path,
    )
    with pytest.raises(NoisyProbeError, match="same data"):
        resolve_all(spec, progress=False)


def test_describe_reads_manifest_only(tmp_path):
    _fs(tmp_path / "fs", rnn=True)
    info = describe("toy", tmp_path / "fs")
    assert info.dataset == "toy0" and info.backbone == "none" and info.label_columns == ("rnn",)
    assert len(info.fingerprint) == 64


def test_example_spec_parses():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "bench-offline.yaml"
    spec = load_spec(example)
    assert len(spec.featuresets) >= 2 and spec.label_columns == ("rnn",)
