"""``noisyprobe diagnose`` on small FeatureSets saved by the test."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from noisyprobe.cli import main
from noisyprobe.diagnostics.cka import linear_cka
from noisyprobe.diagnostics.knn import knn_accuracy
from noisyprobe.diagnostics.spectrum import lsvr, singular_value_entropy
from noisyprobe.features.store import FeatureSet


def _strict_json(path):
    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.fixture
def two_sets(tmp_path):
    rng = np.random.default_rng(0)
    n, c = 150, 3
    labels = np.arange(n) % c
    centres = rng.normal(size=(c, 8)) * 2
    a = (centres[labels] + rng.normal(size=(n, 8))).astype(np.float32)
    b = np.tanh(a @ rng.normal(size=(8, 5))).astype(np.float32)
    splits = np.array(["train"] * 100 + ["test"] * 50)
    ids = np.array([f"s{i}" for i in range(n)])
    FeatureSet(a, labels, splits, ids=ids).save(tmp_path / "alpha")
    # the second backbone saw the samples in another order and lacks a few
    keep = rng.permutation(n)[:140]
    FeatureSet(b[keep], labels[keep], splits[keep], ids=ids[keep]).save(tmp_path / "beta")
    return tmp_path, a, b, labels, keep


def test_profile_table_and_json(two_sets, capsys):
    root, a, b, labels, keep = two_sets
    out = root / "diag.json"
    code = main(
        [
            "diagnose",
            "--features",
            str(root / "alpha"),
            "--compare",
            str(root / "beta"),
            "--json",
            str(out),
            "--k",
            "5",
            "--no-progress",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    header = text.splitlines()[0].split()
    assert header == ["diagnostic", "alpha", "beta"]
    for label in (
        "skew mean",
        "SVE (uncentred)",
        "LSVR (centred)",
        "effective rank",
        "k-NN accuracy",
        "CKA to alpha",
        "debiased CKA",
    ):
        assert label in text
    result = _strict_json(out)
    pa, pb = result["profiles"]["alpha"], result["profiles"]["beta"]
    assert (pa["n"], pa["d"], pb["n"], pb["d"]) == (150, 8, 140, 5)
    assert pa["spectrum"]["uncentred"]["sve"] == pytest.approx(singular_value_entropy(a))
    assert pa["spectrum"]["centred"]["lsvr"] == pytest.approx(lsvr(a, center=True))
    assert pa["knn"]["protocol"] == "train->test"
    assert pa["knn"]["accuracy"] == pytest.approx(
        knn_accuracy(a[:100], labels[:100], a[100:], labels[100:], k=5)
    )
    assert len(pa["moments"]["skew"]) == 8
    assert "cka_to_reference" not in pa
    # CKA on the shared ids, aligned by id whatever the order
    order = np.sort(keep)
    pos = {i: j for j, i in enumerate(keep)}
    aligned_b = b[keep][[pos[i] for i in order]]
    assert pb["cka_to_reference"]["n_shared"] == 140
    assert pb["cka_to_reference"]["linear_cka"] == pytest.approx(linear_cka(a[order], aligned_b))


def test_holdout_protocol_without_test_split(tmp_path, capsys):
    rng = np.random.default_rng(1)
    FeatureSet(rng.normal(size=(50, 4)), np.arange(50) % 2).save(tmp_path / "fs")
    assert (
        main(
            [
                "diagnose",
                "--features",
                str(tmp_path / "fs"),
                "--json",
                str(tmp_path / "o.json"),
                "--k",
                "3",
                "--no-progress",
            ]
        )
        == 0
    )
    knn = _strict_json(tmp_path / "o.json")["profiles"]["fs"]["knn"]
    assert knn["protocol"] == "holdout" and knn["n_queries"] == 10 and knn["n_reference"] == 40


def test_knn_query_cap(two_sets):
    root = two_sets[0]
    assert (
        main(
            [
                "diagnose",
                "--features",
                str(root / "alpha"),
                "--knn-queries",
                "7",
                "--json",
                str(root / "o.json"),
                "--no-progress",
            ]
        )
        == 0
    )
    knn = _strict_json(root / "o.json")["profiles"]["alpha"]["knn"]
    assert knn["n_queries"] == 7 and knn["n_queries_available"] == 50


def test_figures_written(two_sets, capsys):
    pytest.importorskip("matplotlib")
    root = two_sets[0]
    figs = root / "figs"
    assert (
        main(
            [
                "diagnose",
                "--features",
                str(root / "alpha"),
                "--compare",
                str(root / "beta"),
                "--figures",
                str(figs),
                "--no-progress",
            ]
        )
        == 0
    )
    for name in ("moments.png", "spectrum.png"):
        assert (figs / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_without_matplotlib_name_the_extra(two_sets, monkeypatch, capsys):
    root = two_sets[0]
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    code = main(
        [
            "diagnose",
            "--features",
            str(root / "alpha"),
            "--figures",
            str(root / "figs"),
            "--json",
            str(root / "o.json"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "noisyprobe[report]" in err and err.count("\n") == 1
    assert not (root / "o.json").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--k", "0"], "--k"),
        (["--knn-queries", "-1"], "--knn-queries"),
        (["--noise", "symmetric"], "--small-loss"),
        (["--small-loss"], "--noise"),
    ],
)
def test_bad_arguments_are_one_line_errors(two_sets, capsys, argv, message):
    root = two_sets[0]
    code = main(["diagnose", "--features", str(root / "alpha"), "--no-progress", *argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_missing_featureset_is_a_user_error(tmp_path, capsys):
    assert main(["diagnose", "--features", str(tmp_path / "nope")]) == 2
    assert "no FeatureSet" in capsys.readouterr().err
