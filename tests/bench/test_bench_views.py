"""Label views (one extraction, many tasks) and per-FeatureSet noise options in grids."""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.bench.featuresets import resolve_all
from noisyprobe.bench.ledger import Ledger
from noisyprobe.bench.runner import run_grid
from noisyprobe.bench.spec import expand, load_spec
from noisyprobe.bench.views import derive_view
from noisyprobe.errors import NoisyProbeError
from noisyprobe.features.store import FeatureSet
from noisyprobe.noise import implied_rate, inject


def make_multitask(path, *, n=300, d=6, seed=0):
    """Two binary tasks a and b in columns human_a/auto_a, human_b/auto_b (auto = noisy)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    human_a = (x[:, 0] > 0).astype(int)
    human_b = (x[:, 1] > 0.5).astype(int)
    auto_a, auto_b = human_a.copy(), human_b.copy()
    auto_a[::7] = 1 - auto_a[::7]
    auto_b[::5] = 1 - auto_b[::5]
    splits = np.array(["train"] * (n * 2 // 3) + ["test"] * (n - n * 2 // 3))
    extra = {"human_a": human_a, "auto_a": auto_a, "human_b": human_b, "auto_b": auto_b}
    FeatureSet(
        x,
        human_a,
        splits,
        extra_labels=extra,
        classes=["no", "yes"],
        metadata={"dataset": "multi", "backbone": "rand"},
    ).save(path)
    return extra


GRID = """
featuresets:
  task-a: {path: base, labels: human_a, label_columns: {auto: auto_a},
           noise_options: {empirical: {source: vindr-readers, finding: cardiomegaly}}}
  task-b: {path: base, labels: human_b, classes: [absent, present],
           label_columns: {auto: auto_b}}
noise:
  kinds: [symmetric, empirical]
  rates: [0.0, 0.2, 0.4]
  options: {empirical: {source: nih-google, finding: pneumothorax}}
methods: {lp: {}}
seeds: [0, 1]
train: {epochs: 2, batch_size: 64}
"""


@pytest.fixture
def grid(tmp_path):
    columns = make_multitask(tmp_path / "base")
    (tmp_path / "grid.yaml").write_text(GRID)
    return tmp_path, columns


def test_view_relabels_without_touching_features(grid):
    tmp, columns = grid
    out = derive_view(tmp / "base", tmp / "v", labels="human_b", columns=[("auto", "auto_b")])
    base, view = FeatureSet.load(tmp / "base"), FeatureSet.load(out)
    np.testing.assert_array_equal(view.features, base.features)
    np.testing.assert_array_equal(view.splits, base.splits)
    np.testing.assert_array_equal(view.labels, columns["human_b"])
    np.testing.assert_array_equal(view.extra_labels["auto"], columns["auto_b"])
    assert list(view.extra_labels) == ["auto"]
    assert view.metadata["dataset"] == "multi[human_b]"


def test_view_names_a_missing_column(grid):
    tmp, _ = grid
    with pytest.raises(NoisyProbeError, match="'human_c' is not a label column"):
        derive_view(tmp / "base", tmp / "v", labels="human_c", columns=[])


def test_grid_of_views_gives_each_task_its_own_dataset_and_real_noise(grid):
    tmp, columns = grid
    spec = load_spec(tmp / "grid.yaml")
    infos = resolve_all(spec, progress=False)
    assert infos["task-a"].path != infos["task-b"].path != tmp / "base"
    assert infos["task-a"].dataset == "multi[human_a]"
    assert infos["task-a"].label_columns == ("auto",)
    runs = expand(spec, infos)
    conds = {r.condition_key: r for r in runs}
    names = sorted(r.condition_name for r in conds.values())
    # clean, symmetric 0.2 and 0.4, ONE empirical (the matrix sets its rate), real auto
    assert len(conds) == 10
    assert [n for n in names if n.startswith("task-a/")][:2] == ["task-a/auto", "task-a/clean"]
    emp = {r.featureset: r for r in conds.values() if r.noise_kind == "empirical"}
    # the entry's options override the grid's
    assert emp["task-a"].noise_options == {"source": "vindr-readers", "finding": "cardiomegaly"}
    assert emp["task-b"].noise_options == {"source": "nih-google", "finding": "pneumothorax"}
    train = FeatureSet.load(infos["task-a"].path).splits == "train"
    expected = implied_rate(
        "empirical", columns["human_a"][train], 2, source="vindr-readers", finding="cardiomegaly"
    )
    assert emp["task-a"].rate == pytest.approx(expected, abs=1e-4)


def test_grid_of_views_runs_and_injects_the_measured_confusion(grid):
    tmp, columns = grid
    ledger = tmp / "l.sqlite"
    report = run_grid(tmp / "grid.yaml", ledger, progress=False, regime=False)
    assert (report.total, report.failed) == (20, 0)
    with Ledger(ledger, readonly=True) as lg:
        runs = lg.runs()
    emp = runs[(runs["noise"] == "empirical") & (runs["featureset"] == "task-b")]
    train = FeatureSet.load(tmp / "base").splits == "train"
    for seed, realized in zip(emp["seed"], emp["realized_noise_rate"]):
        direct = inject(
            columns["human_b"][train],
            "empirical",
            None,
            2,
            int(seed),
            source="nih-google",
            finding="pneumothorax",
        )
        assert realized == pytest.approx(direct.realized_rate)
    real = runs[runs["noise"] == "real:auto"]
    assert set(real["featureset"]) == {"task-a", "task-b"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("{empirical: {source: nope, finding: x}}", "source must be one of"),
        ("{empirical: {source: vindr-readers}}", "needs finding"),
        ("{symmetric: {finding: x}}", "does not apply to noise kind 'symmetric'"),
    ],
)
def test_bad_noise_options_are_refused_when_the_spec_is_read(tmp_path, options, message):
    make_multitask(tmp_path / "base")
    (tmp_path / "g.yaml").write_text(
        "featuresets: {a: base}\nnoise: {kinds: [symmetric, empirical], rates: [0.2], "
        f"options: {options}}}\nmethods: {{lp: {{}}}}\n"
    )
    with pytest.raises(NoisyProbeError, match=message):
        load_spec(tmp_path / "g.yaml")


def test_pair_map_option_flips_only_the_mapped_class_and_is_checked_up_front(grid):
    tmp, columns = grid
    (tmp / "g.yaml").write_text(
        "featuresets:\n  a: {path: base, noise_options: {asymmetric: {pair_map: [0, 0]}}}\n"
        "noise: {kinds: [asymmetric], rates: [0.4]}\nmethods: {lp: {}}\nseeds: [0]\n"
        "train: {epochs: 1}\n"
    )
    report = run_grid(tmp / "g.yaml", tmp / "l.sqlite", progress=False, regime=False)
    assert report.failed == 0
    with Ledger(tmp / "l.sqlite", readonly=True) as lg:
        realized = float(lg.runs()["realized_noise_rate"].iloc[0])
    train = FeatureSet.load(tmp / "base").splits == "train"
    positives = columns["human_a"][train].mean()
    # 40 % of the positives (present -> absent), none of the negatives
    assert realized == pytest.approx(0.4 * positives, abs=0.01)
    (tmp / "bad.yaml").write_text(
        "featuresets:\n  a: {path: base, noise_options: {asymmetric: {pair_map: [0, 0, 1]}}}\n"
        "noise: {kinds: [asymmetric], rates: [0.4]}\nmethods: {lp: {}}\n"
    )
    with pytest.raises(NoisyProbeError, match="featuresets.a: noise kind 'asymmetric': pair_map"):
        run_grid(tmp / "bad.yaml", tmp / "l2.sqlite", progress=False, regime=False)


def test_known_noise_is_the_share_of_labels_the_injection_changed():
    from noisyprobe.train.protocol import Condition, _known_noise

    y = np.array([0] * 90 + [1] * 10)
    noise = inject(y, "asymmetric", 0.4, 2, 0, pair_map=[0, 0])
    cond = Condition(noise_kind="asymmetric", rate=0.4, noise_options={"pair_map": [0, 0]})
    # Co-Teaching forgets the 4 % that changed, not the nominal 40 %
    assert _known_noise("coteaching", {}, cond, noise) == {"forget_rate": 0.04}
