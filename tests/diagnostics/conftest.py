"""Fixtures for the diagnostics tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Force the row-streamed diagnostics to use many small blocks (chunking must not matter)."""
    import noisyprobe.diagnostics._blocks as blocks

    monkeypatch.setattr(blocks, "BLOCK_ELEMENTS", 37)
    return 37
