"""The closed-form lp step taken a few order groups at a time (``_LinearCE.CHUNK_BYTES``).

Chunking only splits the batched calls of one step into slices, so a stack stepped one or two
groups at a time (uneven last chunk included) must train bitwise like one stepped whole, and
both like the autograd path on ``LinearProbe.loss``.
"""

from __future__ import annotations

import numpy as np
import pytest

from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs, trainer


def _train(x, runs, cfg):
    return np.stack(
        predict_proba_runs(train_runs(x, runs, num_classes=3, config=cfg, progress=False), x)
    )


@pytest.mark.parametrize("seeds", [[0, 1, 2, 3, 4], [0, 0, 1, 1, 2, 2]])
@pytest.mark.parametrize("groups_per_chunk", [1, 2])
def test_chunked_step_equals_whole_step_and_autograd(monkeypatch, seeds, groups_per_chunk):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(70, 6)).astype(np.float32)
    y = x[:, :3].argmax(1).astype(np.int64)
    runs = [
        RunSpec("lp", s, np.where(rng.random(70) < 0.2, (y + 1) % 3, y).astype(np.int64))
        for s in seeds
    ]
    cfg = TrainConfig(epochs=4, batch_size=16, lr=5e-2, C=0.05)
    monkeypatch.setattr(trainer._LinearCE, "CHUNK_BYTES", 1 << 40)
    whole = _train(x, runs, cfg)
    sizes = []
    real = trainer._LinearCE._chunk_views

    def spy(self, b):
        out = real(self, b)
        sizes.append([c.groups.stop - c.groups.start for c in out])
        return out

    monkeypatch.setattr(trainer._LinearCE, "_chunk_views", spy)
    # Bytes of one group's rows of a full batch (16 rows of 6 float32 features).
    monkeypatch.setattr(trainer._LinearCE, "CHUNK_BYTES", groups_per_chunk * 16 * 6 * 4)
    chunked = _train(x, runs, cfg)
    groups = len(set(seeds))
    assert max(sizes[0]) == groups_per_chunk and sum(sizes[0]) == groups
    np.testing.assert_array_equal(chunked, whole)
    monkeypatch.setattr(trainer._LinearCE, "maybe", staticmethod(lambda *a: None))
    np.testing.assert_allclose(chunked, _train(x, runs, cfg), atol=2e-5)
