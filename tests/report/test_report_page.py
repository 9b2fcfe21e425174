"""``noisyprobe report`` end to end: exit codes, sections, self-containment, valid HTML."""

from __future__ import annotations

import re
import sqlite3
from html.parser import HTMLParser

import pytest

from noisyprobe.cli import main

VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}
SECTIONS = (
    "overview",
    "methods",
    "friedman",
    "ranks",
    "regret",
    "recall",
    "selector",
    "diagnostics",
    "studies",
)


class _Checker(HTMLParser):
    """Balanced tags, unique ids, and every <img> source."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.imgs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def parsed(report_file):
    text = report_file.read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return text, checker


def test_report_is_valid_self_contained_html(parsed):
    text, checker = parsed
    assert text.startswith("<!DOCTYPE html>")
    assert checker.errors == [] and checker.stack == []
    assert len(checker.ids) == len(set(checker.ids))
    assert not re.search(r"https?://", text)  # nothing to fetch, not even a link
    assert "<script" not in text.lower() and "<link" not in text.lower()
    assert checker.imgs and all(src.startswith("data:image/") for src in checker.imgs)


def test_report_has_every_section_and_figure(parsed):
    text, checker = parsed
    for sid in SECTIONS:
        assert f'<section id="{sid}">' in text
        assert f'href="#{sid}"' in text
    # CD diagram, rank heatmap, regret heatmap, 3 recall heatmaps, selector bars,
    # moments + spectra, loss densities, and the study's PNG and SVG
    assert len(checker.imgs) == 12
    assert sum(src.startswith("data:image/svg+xml;base64,") for src in checker.imgs) >= 6
    words = " ".join(checker.text)
    for phrase in (
        "Friedman test and Nemenyi critical difference",
        "Critical-difference diagram",
        "Rank heatmap over conditions",
        "By noise kind (mean)",
        "By noise rate (mean)",
        "Runs with a class at zero recall",
        "selector (k-nearest conditions)",
        "skewness and kurtosis histograms",
        "singular-value spectra",
        "loss densities",
        "figures/curve.png",
        "curve.svg",
    ):
        assert phrase in words, phrase
    # zero-recall flags: the synthetic lp runs lose class 1 under asymmetric noise at 0.4
    assert text.count('class="zero') >= 3
    assert "2/10 at 0" in words


def test_report_escapes_text_and_reads_study_tolerantly(parsed):
    text, checker = parsed
    assert "<title>Noise &lt;report&gt; &amp; co</title>" in text
    assert "<report>" not in text
    words = " ".join(checker.text)
    assert "broken.json: skipped, not readable JSON" in words
    assert "notes.txt" not in words  # neither a result nor a figure
    for key in ("rate", "best", "ok", "skd", "slight noise helps", "results.json: findings"):
        assert key in words
    assert "<pre>| level | acc |\n|---|---|" in text  # long text kept as a block
    assert "1 result files in subfolders" in words and "records/seed0_rate0.1.json" in words
    assert "curve" not in re.findall(r"<td>([^<]*)</td>", text)  # lists are not scalars


def _fails(capsys, argv, match):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and match in err, err


def test_bad_inputs_fail_with_one_line_and_write_nothing(tmp_path, capsys, report_inputs):
    out = tmp_path / "r.html"
    ledger = str(report_inputs["ledger"])
    _fails(capsys, ["report", str(tmp_path / "missing.sqlite"), "--out", str(out)], "no ledger")
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database\n" * 50)
    _fails(capsys, ["report", str(text), "--out", str(out)], "ledger")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    _fails(capsys, ["report", str(other), "--out", str(out)], "ledger")
    _fails(capsys, ["report", str(tmp_path), "--out", str(out)], "no ledger")
    missing = str(tmp_path / "diag.json")
    _fails(capsys, ["report", ledger, "--diagnose", missing, "--out", str(out)], "no such file")
    bad = tmp_path / "bad.json"
    bad.write_text("[1,")
    _fails(capsys, ["report", ledger, "--diagnose", str(bad), "--out", str(out)], "JSON")
    _fails(capsys, ["report", ledger, "--study", str(text), "--out", str(out)], "not a dir")
    _fails(capsys, ["report", ledger, "--alpha", "2", "--out", str(out)], "--alpha")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.html")] == []


def test_empty_ledger_fails(tmp_path, capsys):
    from noisyprobe.bench.ledger import Ledger

    Ledger(tmp_path / "empty.sqlite").close()
    argv = ["report", str(tmp_path / "empty.sqlite"), "--out", str(tmp_path / "r.html")]
    _fails(capsys, argv, "no finished runs")
