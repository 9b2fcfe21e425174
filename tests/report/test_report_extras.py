"""Edge cases: one dataset, one method, unknown diagnostics layouts, escaping in tables."""

from __future__ import annotations

import json
import sqlite3

from noisyprobe.report import build_report
from noisyprobe.report.extras import diagnostics, scalars, studies
from noisyprobe.report.html import Cell, table


def test_one_dataset_report_explains_missing_selector(tmp_path, make_synthetic_ledger):
    ledger = make_synthetic_ledger(tmp_path / "one.sqlite", datasets=("d1",))
    text = build_report(ledger)
    assert "Not available for this ledger: leave-one-dataset-out needs" in text
    assert text.count('<img class="fig"') == 4  # CD, ranks, regret, recall: no selector bars


def test_one_method_report_has_no_friedman(tmp_path, make_synthetic_ledger):
    ledger = make_synthetic_ledger(tmp_path / "lp.sqlite")
    with sqlite3.connect(ledger) as db:
        db.execute("DELETE FROM runs WHERE method != 'lp'")
    text = build_report(ledger)
    assert "Needs at least two methods." in text and 'class="friedman"' not in text


def test_unknown_diagnostics_layout_is_listed_not_fatal(tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"version": 2, "payload": {"x": [1, 2]}, "name": "<odd>"}))
    out = diagnostics([path])
    assert "Unrecognised diagnostics layout (top level: version, payload, name)" in out
    assert "&lt;odd&gt;" in out and "<odd>" not in out


def test_empty_study_folder_and_scalars(tmp_path):
    assert "No .json, .png or .svg files" in studies([tmp_path])
    assert scalars([1, 2]) == [] and scalars({"a": None, "b": {"c": "d"}}, depth=0) == [("a", None)]


def test_table_escapes_cells_and_flags():
    out = table(["<h>"], [[Cell("<0>", "zero", title='a"b')], [1.5]], attrs={"x": '"'})
    assert '<td class="zero" title="a&quot;b">&lt;0&gt;</td>' in out
    assert '<td class="n">1.5</td>' in out and 'data-x="&quot;"' in out and "<h>" not in out
