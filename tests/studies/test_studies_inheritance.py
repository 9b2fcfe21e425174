import json

import numpy as np
import pytest
from scipy.stats import kurtosis as sp_kurt
from scipy.stats import skew as sp_skew

from noisyprobe.studies.inheritance import feature_diagnostics
from noisyprobe.studies.inheritance_report import findings, summarize, table


def test_feature_diagnostics_match_scipy_and_ignore_dead_columns():
    x = np.random.default_rng(0).gamma(2.0, size=(200, 5))
    x = np.hstack([x, np.zeros((200, 1))])  # a dead ReLU unit
    d = feature_diagnostics(x)
    live = x[:, :5]
    assert d["skewness"] == pytest.approx(np.mean(sp_skew(live, bias=False)))
    assert d["kurtosis"] == pytest.approx(np.mean(sp_kurt(live, bias=False)))
    s = np.linalg.svd(x, compute_uv=False)
    p = s / s.sum()
    p = p[p > 0]
    assert d["sve"] == pytest.approx(-(p * np.log(p)).sum())
    assert d["lsvr"] == pytest.approx(-np.log(s[0] / s.sum()))


def _record(seed, rate, id_acc, ood_acc, sve, lsvr, skew):
    methods = {"lp": 0.0, "mlp": -0.01, "nmtune": 0.02, "skd": 0.01}
    return {
        "seed": seed,
        "rate": rate,
        "memorised": None if rate == 0 else 0.9,
        "clean_fit": 1.0,
        "pretrain_test_accuracy": 0.8,
        "diagnostics": {
            d: {"sve": sve, "lsvr": lsvr, "skewness": skew, "kurtosis": 2 * skew}
            for d in ("id", "ood")
        },
        "accuracy": {
            "id_full": {m: id_acc + g for m, g in methods.items()},
            "id_fewshot": {m: id_acc - 0.1 + g for m, g in methods.items()},
            "ood_mnist": {m: ood_acc + g for m, g in methods.items()},
        },
    }


def test_findings_on_a_synthetic_study_with_the_papers_trends():
    levels = [0.0, 0.05, 0.1, 0.2, 0.3]
    id_acc = [0.80, 0.82, 0.81, 0.78, 0.75]
    ood = [0.70, 0.68, 0.66, 0.63, 0.60]
    sve = [3.0, 3.2, 3.1, 2.9, 2.8]
    lsvr = [1.0, 1.1, 1.2, 1.3, 1.4]
    skew = [2.0, 1.8, 1.6, 1.4, 1.2]
    records = [
        _record(s, r, id_acc[i] + 0.001 * s, ood[i], sve[i], lsvr[i], skew[i])
        for s in range(3)
        for i, r in enumerate(levels)
    ]
    summary = summarize(records, levels)
    assert summary["0.05"]["accuracy"]["id_full"]["lp"]["mean"] == pytest.approx(0.821)
    assert summary["0.05"]["accuracy"]["id_full"]["lp"]["std"] == pytest.approx(0.001)
    assert summary["0"]["memorised"]["n"] == 0
    verdicts = {f["finding"]: f["holds"] for f in findings(summary, levels)}
    assert len(verdicts) == 11 and all(verdicts.values())  # every trend was built in
    flat = [_record(0, r, 0.8 - r, 0.6 + r, 3.0 - r, 1.5 - r, 1.0 + r) for r in levels]
    flat_verdicts = {f["finding"]: f["holds"] for f in findings(summarize(flat, levels), levels)}
    assert not any(v for k, v in flat_verdicts.items() if "recovers" not in k)
    text = table(summary, levels)
    assert "| 0.05 |" in text and "82.10±0.10" in text
    json.dumps(findings(summary, levels))
