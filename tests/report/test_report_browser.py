"""The report in a real browser: headless Chromium loads it, measures every figure,
collects script and console errors, and takes a screenshot.

Chromium is Debian's ``chromium`` (``.ci/run`` installs it). Without it the test is skipped,
except under CI (``CI`` set), where a missing browser fails the test.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
# Runs first (top of <head>): records errors and console.error calls; on load, the size of
# every figure and any resource fetched from outside the file, into data-probe on <html>.
PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    var t = e.target && e.target !== window ? (e.target.tagName || "") + " failed to load" : "";
    errors.push(String(e.message || t || e.type));
  }, true);
  var original = console.error;
  console.error = function () {
    errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
  window.addEventListener("load", function () {
    var figures = [];
    document.querySelectorAll("img, svg").forEach(function (el) {
      var r = el.getBoundingClientRect();
      figures.push({tag: el.tagName.toLowerCase(), alt: el.getAttribute("alt") || "",
                    natural: [el.naturalWidth || 0, el.naturalHeight || 0],
                    box: [r.width, r.height], complete: el.complete !== false});
    });
    var fetched = performance.getEntriesByType("resource").map(function (e) { return e.name; });
    document.documentElement.setAttribute("data-probe", JSON.stringify(
      {figures: figures, errors: errors, fetched: fetched,
       height: document.documentElement.scrollHeight}));
  });
})();
</script>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail("CI is set but chromium is not installed (.ci/run installs it with apt)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def _run(browser: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"]
    out = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def _console_errors(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if ("CONSOLE" in line and ":ERROR:" in line) or "Uncaught" in line
    ]


def test_report_renders_in_chromium(report_file, tmp_path):
    browser = _chromium()
    page = tmp_path / "probed.html"
    text = report_file.read_text(encoding="utf-8")
    page.write_text(text.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    dom = _run(browser, tmp_path, "--dump-dom", page.as_uri())
    found = re.search(r'data-probe="([^"]*)"', dom.stdout)
    assert found, "the page's load handler did not run"
    probe = json.loads(html.unescape(found.group(1)))
    assert probe["errors"] == []
    assert probe["fetched"] == []  # nothing but the file itself
    assert _console_errors(dom.stderr) == []
    figures = probe["figures"]
    assert len(figures) == text.count('<img class="fig"') == 12
    for fig in figures:
        assert fig["complete"], fig
        assert min(fig["natural"]) > 0 and min(fig["box"]) > 0, fig  # decoded and laid out

    shot = tmp_path / "report.png"
    height = max(1000, min(int(probe["height"]) + 100, 16000))
    out = _run(browser, tmp_path, f"--screenshot={shot}", f"--window-size=1280,{height}",
               page.as_uri())  # fmt: skip
    assert _console_errors(out.stderr) == []
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (height, 1280)
    ink = (pixels[..., :3] < 0.9).any(axis=-1)  # anything not (nearly) white
    assert ink.mean() > 0.02
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows.max() > height // 2  # content reaches the lower half, not just a header
