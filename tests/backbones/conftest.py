"""Fixtures: tiny Hugging Face models built once per session, real backbones loaded once."""

from __future__ import annotations

import pytest
from backbone_samples import save_tiny_bert, save_tiny_vision


@pytest.fixture(scope="session")
def tiny_model_dirs(tmp_path_factory):
    """name -> saved model directory, for every entry of TINY."""
    root = tmp_path_factory.mktemp("tiny-hf")
    dirs = {"tiny-bert": save_tiny_bert(root / "bert")}
    for kind in ("vit", "dinov2", "clip", "clip-vision"):
        dirs[f"tiny-{kind}"] = save_tiny_vision(kind, root / kind)
    return dirs


_SHARED: dict = {}


@pytest.fixture(scope="session")
def shared_backbone():
    """get(name, **options), created once per session (real models take seconds to load)."""
    import noisyprobe.backbones as backbones

    def make(name, **options):
        # one thread: on a shared, busy CPU many small ops with 2 OpenMP threads stall badly
        options.setdefault("num_threads", 1)
        key = (name, tuple(sorted(options.items())))
        if key not in _SHARED:
            _SHARED[key] = backbones.get(name, **options)
        return _SHARED[key]

    return make
