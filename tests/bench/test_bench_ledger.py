"""Ledger: idempotent registration and recording, statuses, locking, export."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from noisyprobe.bench.export import export
from noisyprobe.bench.ledger import Ledger, RunResult
from noisyprobe.bench.spec import GridRun, canonical_json, sha256_text
from noisyprobe.errors import NoisyProbeError


def _runs(n=6):
    out = []
    for i in range(n):
        spec = canonical_json({"i": i})
        out.append(
            GridRun(
                key=sha256_text(spec),
                spec_json=spec,
                condition_key=f"c{i % 2}",
                featureset="toy",
                dataset="toy",
                backbone="none",
                label_column=None,
                noise_kind="symmetric" if i % 2 else None,
                rate=0.2 if i % 2 else 0.0,
                counting="exact",
                method="lp" if i < 3 else "gce",
                params={} if i < 3 else {"q": 0.7},
                seed=i,
            )
        )
    return out


def _result(run, value):
    metrics = {
        "balanced_accuracy": value,
        "accuracy": value + 0.01,
        "macro_f1": value - 0.01,
        "ece": 0.05,
        "per_class_recall": [value, None, 0.0],
        "zero_recall_classes": [2],
    }
    return RunResult(
        key=run.key,
        metrics=metrics,
        realized_noise_rate=0.2,
        train_size=10,
        eval_size=5,
        stack_size=3,
        train_seconds=0.1,
        eval_seconds=0.01,
    )


def test_register_is_idempotent(tmp_path):
    runs = _runs()
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert ledger.add_runs(runs) == 6
        assert ledger.add_runs(runs) == 0
        assert ledger.add_runs(_runs(8)) == 2
        assert ledger.counts() == {"pending": 8, "running": 0, "done": 0, "failed": 0}
        assert ledger.unfinished([r.key for r in runs]) == [r.key for r in runs]


def test_record_done_once_and_never_overwritten(tmp_path):
    runs = _runs()
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.add_runs(runs)
        ledger.mark_running([r.key for r in runs[:3]])
        assert ledger.counts()["running"] == 3
        assert ledger.record([_result(r, 0.8) for r in runs[:3]]) == 3
        # recording again (e.g. a duplicate delivery) changes nothing
        assert ledger.record([_result(r, 0.1) for r in runs[:3]]) == 0
        ledger.record_failure([runs[0].key, runs[3].key], "ValueError: boom")
        status = ledger.statuses()
        assert status[runs[0].key] == "done" and status[runs[3].key] == "failed"
        assert ledger.unfinished([r.key for r in runs]) == [r.key for r in runs[3:]]
        df = ledger.runs()
    assert len(df) == 3 and (df["balanced_accuracy"] == 0.8).all()
    assert df["per_class_recall"].iloc[0] == [0.8, None, 0.0]
    assert df["zero_recall_classes"].iloc[0] == [2]
    assert json.loads(df["metrics"].iloc[0])["accuracy"] == pytest.approx(0.81)
    assert json.loads(df["versions"].iloc[0])["numpy"] == np.__version__
    assert set(df["attempts"]) == {1}


def test_unfinished_includes_unknown_running_and_failed(tmp_path):
    runs = _runs()
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.add_runs(runs[:4])
        ledger.mark_running([runs[0].key])
        ledger.record_failure([runs[1].key], "x")
        ledger.record([_result(runs[2], 0.5)])
        keys = [r.key for r in runs]
        assert ledger.unfinished(keys) == [keys[0], keys[1], keys[3], keys[4], keys[5]]


def test_nan_metrics_are_stored_as_null(tmp_path):
    run = _runs(1)[0]
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.add_runs([run])
        res = _result(run, 0.5)
        res = RunResult(key=run.key, metrics={**res.metrics, "ece": float("nan")})
        ledger.record([res])
        assert ledger.runs()["ece"].isna().all()


def test_writer_lock_is_exclusive(tmp_path):
    path = tmp_path / "l.sqlite"
    with (
        Ledger(path) as a,
        Ledger(path) as b,
        a.writer_lock(),
        pytest.raises(NoisyProbeError, match="another noisyprobe bench"),
        b.writer_lock(),
    ):
        pass
    with Ledger(path) as b, b.writer_lock():  # released after the first holder
        pass


def test_readonly_missing_corrupt_and_wrong_schema(tmp_path):
    with pytest.raises(NoisyProbeError, match="no ledger"):
        Ledger(tmp_path / "none.sqlite", readonly=True)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(NoisyProbeError, match="not a usable ledger"):
        Ledger(bad)
    old = tmp_path / "old.sqlite"
    Ledger(old).close()
    with sqlite3.connect(old) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(NoisyProbeError, match="schema version 0"):
        Ledger(old, readonly=True)


def test_readonly_cannot_write(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    with Ledger(path, readonly=True) as ledger, pytest.raises(sqlite3.OperationalError):
        ledger.add_runs(_runs(1))


def test_conditions_and_regime(tmp_path):
    runs = _runs()
    with Ledger(tmp_path / "l.sqlite") as ledger:
        for r in runs:
            ledger.add_condition(r, canonical_json({"c": r.condition_key}))
        assert ledger.conditions_without_regime(["c0", "c1"]) == ["c0", "c1"]
        ledger.set_regime(
            "c1", {"noise_rate": 0.21, "loss_overlap": float("nan")}, seed=1, seconds=0.5
        )
        assert ledger.conditions_without_regime(["c0", "c1"]) == ["c0"]
        df = ledger.conditions()
    assert len(df) == 2
    row = df[df["key"] == "c1"].iloc[0]
    assert row["regime"] == {"noise_rate": 0.21, "loss_overlap": None}
    assert row["noise"] == "symmetric" and row["regime_seed"] == 1


def test_meta(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert ledger.get_meta("metric", "x") == "x"
        ledger.set_meta("metric", "ece")
        ledger.set_meta("metric", "accuracy")
        assert ledger.get_meta("metric") == "accuracy"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_round_trip(tmp_path, suffix):
    runs = _runs()
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.add_runs(runs)
        ledger.record([_result(r, 0.5 + i / 100) for i, r in enumerate(runs[:4])])
    out = tmp_path / f"runs{suffix}"
    assert export(path, out) == 4
    df = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert sorted(df["balanced_accuracy"]) == pytest.approx([0.5, 0.51, 0.52, 0.53])
    assert json.loads(df["per_class_recall"].iloc[0])[1] is None
    assert export(path, tmp_path / f"all{suffix}", status=None) == 6
    with pytest.raises(NoisyProbeError, match=".csv or .parquet"):
        export(path, tmp_path / "runs.xlsx")


def _snapshot(path):
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


def test_sqlite_file_of_another_program_is_left_untouched(tmp_path):
    other = tmp_path / "app.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('ada')")
    db.close()
    before = _snapshot(other)
    for readonly in (False, True):
        with pytest.raises(NoisyProbeError, match="not a noisyprobe ledger"):
            Ledger(other, readonly=readonly)
    assert _snapshot(other) == before  # no tables added, no WAL switched on
    tagged = tmp_path / "tagged.sqlite"
    with sqlite3.connect(tagged) as db:
        db.execute("PRAGMA application_id = 1234")
    db.close()
    with pytest.raises(NoisyProbeError, match="application_id"):
        Ledger(tagged)


def test_newer_schema_is_refused_before_any_write(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    before = _snapshot(path)
    with pytest.raises(NoisyProbeError, match="schema version 99.*newer"):
        Ledger(path)
    assert _snapshot(path) == before
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()


def test_ledger_has_its_application_id(tmp_path):
    from noisyprobe.bench.ledger import APPLICATION_ID

    Ledger(tmp_path / "l.sqlite").close()
    with sqlite3.connect(tmp_path / "l.sqlite") as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.close()


def test_writer_lock_holds_through_a_symlinked_path(tmp_path):
    import os

    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    (tmp_path / "alias").mkdir()
    os.symlink(path, tmp_path / "alias" / "link.sqlite")
    with (
        Ledger(path) as a,
        Ledger(tmp_path / "alias" / "link.sqlite") as b,
        a.writer_lock(),
        pytest.raises(NoisyProbeError, match="another noisyprobe bench"),
        b.writer_lock(),
    ):
        pass
