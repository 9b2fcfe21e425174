import numpy as np
import pytest
import torch

from noisyprobe.studies.checkpoints import load_checkpoint
from noisyprobe.studies.cnn import PretrainConfig, embed, pretrain


def _data():
    rng = np.random.default_rng(0)
    return rng.random((40, 28, 28), dtype=np.float32), rng.integers(0, 10, size=40)


def _params(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    x, y = _data()
    cfg = PretrainConfig(epochs=2, width=2, feature_dim=8, checkpoint_every=1)
    straight = pretrain(x, y, seed=5, config=cfg)
    ckpt = tmp_path / "c.pt"
    pretrain(x, y, seed=5, config=PretrainConfig(epochs=1, width=2, feature_dim=8), checkpoint=ckpt)
    assert load_checkpoint(ckpt)["epoch"] == 1
    resumed = pretrain(x, y, seed=5, config=cfg, checkpoint=ckpt)
    assert load_checkpoint(ckpt)["epoch"] == 2
    assert torch.allclose(_params(straight), _params(resumed), atol=1e-6)


def test_same_seed_same_init_and_order():
    x, y = _data()
    cfg = PretrainConfig(epochs=1, width=2, feature_dim=8)
    a, b = pretrain(x, y, seed=1, config=cfg), pretrain(x, y, seed=1, config=cfg)
    assert torch.equal(_params(a), _params(b))
    f = embed(a, x)
    assert f.shape == (40, 8) and f.dtype == np.float32 and (f >= 0).all()


@pytest.mark.slow
def test_cnn_can_memorise_random_labels():
    x, y = _data()
    model = pretrain(
        x, y, seed=0, config=PretrainConfig(epochs=60, width=4, feature_dim=32, lr=3e-3)
    )
    from noisyprobe.studies.cnn import predict

    assert (predict(model, x) == y).mean() > 0.9
