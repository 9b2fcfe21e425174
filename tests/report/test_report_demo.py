"""``noisyprobe demo`` ends by writing the report of its ledger and printing the path."""

from __future__ import annotations

from pathlib import Path

from noisyprobe import demo


def test_demo_writes_report_beside_its_ledger(monkeypatch, tmp_path, capsys, report_inputs):
    import noisyprobe.bench.demo_grid as demo_grid

    ledger = Path(report_inputs["ledger"])
    monkeypatch.setattr(demo_grid, "demo_ledger_path", lambda raw: ledger)
    out = demo.write_demo_report(tmp_path / "padchest", quick=True)
    assert out == ledger.with_suffix(".html") and out.is_file()
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"report: {out}"
    assert '<section id="friedman">' in out.read_text(encoding="utf-8")


def test_demo_report_skipped_without_ledger(monkeypatch, tmp_path, capsys):
    import noisyprobe.bench.demo_grid as demo_grid

    monkeypatch.setattr(demo_grid, "demo_ledger_path", lambda raw: tmp_path / "none.sqlite")
    assert demo.write_demo_report(tmp_path / "padchest") is None
    assert "report skipped: no ledger" in capsys.readouterr().out
