"""Progress bars are drawn only when asked and stderr is a terminal."""

from __future__ import annotations

import io
import sys

from noisyprobe._progress import progress_bar, show_progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buf)
    assert not show_progress(True)
    bar = progress_bar(total=3, desc="x")
    bar.update(3)
    bar.close()
    assert buf.getvalue() == ""


def test_bar_on_a_terminal_only_when_enabled(monkeypatch):
    tty = _Tty()
    monkeypatch.setattr(sys, "stderr", tty)
    assert show_progress(True) and not show_progress(False)
    bar = progress_bar(total=3, desc="x", enabled=False)
    bar.update(3)
    bar.close()
    assert tty.getvalue() == ""
    bar = progress_bar(total=3, desc="shown")
    bar.update(3)
    bar.close()
    assert "shown" in tty.getvalue()


def test_closed_stderr_means_no_bar(monkeypatch):
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    assert not show_progress(True)
