"""empirical noise: measured medical confusions applied through the transition kind."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from noisyprobe.errors import NoisyProbeError
from noisyprobe.noise import describe, inject
from noisyprobe.noise._empirical_measure import confusion, measure_nih_google, measure_vindr
from noisyprobe.noise._empirical_table import TABLE
from noisyprobe.noise.empirical import measured, task_transition


def test_table_rows_are_stochastic_and_match_counts():
    for source, findings in TABLE.items():
        for finding, entry in findings.items():
            counts = np.asarray(entry["counts"], dtype=float)
            t = measured(source, finding)
            np.testing.assert_allclose(t.sum(axis=1), 1.0)
            np.testing.assert_allclose(t, counts / counts.sum(axis=1, keepdims=True), atol=1e-5)


def test_binary_exact_counting_reproduces_the_matrix():
    y = np.repeat([0, 1], 10_000)
    nl = inject(y, "empirical", None, 2, seed=1, source="vindr-readers", finding="cardiomegaly")
    np.testing.assert_allclose(nl.transition, measured("vindr-readers", "cardiomegaly"), atol=1e-4)
    b = measured("vindr-readers", "cardiomegaly")
    assert nl.rate == pytest.approx(0.5 * (b[0, 1] + b[1, 0]))
    assert describe(nl)["kind"] == "empirical"


def test_positive_zero_flips_the_binary_matrix():
    b = measured("nih-google", "pneumothorax")
    np.testing.assert_allclose(
        task_transition(b, 2, positive=0), [[b[1, 1], b[1, 0]], [b[0, 1], b[0, 0]]]
    )


def test_one_vs_rest_mapping_by_hand():
    t = task_transition([[0.8, 0.2], [0.3, 0.7]], 4, positive=2)
    expected = np.array(
        [[0.8, 0, 0.2, 0], [0, 0.8, 0.2, 0], [0.1, 0.1, 0.7, 0.1], [0, 0, 0.2, 0.8]]
    )
    np.testing.assert_allclose(t, expected)
    y = np.repeat(np.arange(4), 1000)
    nl = inject(
        y,
        "empirical",
        None,
        4,
        seed=0,
        source="iu-automatic",
        finding="effusion",
        positive=2,
        counting="bernoulli",
    )
    ref = task_transition(measured("iu-automatic", "effusion"), 4, positive=2)
    np.testing.assert_allclose(nl.transition, ref, atol=0.03)
    assert nl.rate == pytest.approx(float(np.mean(1 - np.diag(ref)[y])))


def test_seeded_and_unlabelled_untouched():
    y = np.array([0, 1, -1] * 50)
    a = inject(y, "empirical", None, 2, seed=4, source="nih-google", finding="airspace-opacity")
    b = inject(y, "empirical", None, 2, seed=4, source="nih-google", finding="airspace-opacity")
    assert a.labels.tolist() == b.labels.tolist()
    assert (a.labels[y == -1] == -1).all()


def test_bad_options():
    with pytest.raises(NoisyProbeError, match="source must be one of"):
        inject([0, 1], "empirical", None, 2, seed=0, source="nope", finding="x")
    with pytest.raises(NoisyProbeError, match="finding for 'nih-google'"):
        inject([0, 1], "empirical", None, 2, seed=0, source="nih-google", finding="fracture")
    with pytest.raises(NoisyProbeError, match="rate=None"):
        inject([0, 1], "empirical", 0.2, 2, seed=0, source="nih-google", finding="pneumothorax")
    with pytest.raises(NoisyProbeError, match="positive"):
        inject(
            [0, 1],
            "empirical",
            None,
            2,
            seed=0,
            source="nih-google",
            finding="pneumothorax",
            positive=5,
        )


def test_confusion_limit_cases():
    assert confusion(np.array([1, 1]), np.array([1, 1]))["transition"] == [[1.0, 0.0], [0.0, 1.0]]


def _gz_csv(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode()))
    return path


def test_measure_nih_google_on_a_small_file(tmp_path):
    f = _gz_csv(
        tmp_path / "g.csv.gz",
        "Image Index,Finding Labels,Pneumothorax,Nodule or mass,Airspace opacity,Fracture\n"
        "a,Pneumothorax,YES,NO,NO,NO\n"
        "b,No Finding,YES,YES,NO,NO\n"
        "c,Mass|Infiltration,NO,YES,YES,NO\n"
        "d,Edema,NO,NO,NO,NO\n",
    )
    out = measure_nih_google(f)
    assert out["pneumothorax"]["counts"] == [[2, 0], [1, 1]]
    assert out["nodule-or-mass"]["counts"] == [[2, 0], [1, 1]]
    assert out["airspace-opacity"]["counts"] == [[2, 1], [0, 1]]


def test_measure_vindr_leave_one_reader_out(tmp_path):
    f = _gz_csv(
        tmp_path / "v.csv.gz",
        "image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n"
        "i1,Cardiomegaly,3,R1,1,1,2,2\n"
        "i1,Cardiomegaly,3,R2,1,1,2,2\n"
        "i1,No finding,14,R3,,,,\n"
        "i2,No finding,14,R1,,,,\n"
        "i2,No finding,14,R2,,,,\n"
        "i2,No finding,14,R4,,,,\n",
    )
    # i1: R3 vs (R1,R2 agree 1) -> (1, 0); R1 vs (R2=1, R3=0) disagree -> skipped; same R2.
    # i2: all three absent -> 3 x (0, 0).
    assert measure_vindr(f)["cardiomegaly"]["counts"] == [[3, 0], [1, 0]]


@pytest.mark.slow
def test_shipped_table_equals_a_new_measurement():
    from noisyprobe.noise._empirical_measure import measure_all

    folder = Path.home() / ".cache" / "noisyprobe" / "torchxrayvision"
    names = [
        "google2019_nih-chest-xray-labels.csv.gz",
        "vinbigdata-train.csv.gz",
        "NLMCXR_reports.tgz",
    ]
    if not all((folder / n).is_file() for n in names):
        pytest.skip("the torchxrayvision label files are not cached")
    assert measure_all(folder) == TABLE
