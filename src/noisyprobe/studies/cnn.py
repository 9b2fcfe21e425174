"""The small CNN backbone of the inheritance study and its supervised pretraining loop."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError
from noisyprobe.studies.checkpoints import load_checkpoint, save_checkpoint


def build_cnn(*, width: int = 16, feature_dim: int = 128, num_classes: int = 10) -> Any:
    """A 28x28 grey-image CNN: two strided convs, a ``feature_dim`` penultimate layer.

    ``model.features(x)`` gives the (post-ReLU) penultimate features; ``model(x)`` logits.

    Example:
        >>> import torch
        >>> m = build_cnn(width=4, feature_dim=8)
        >>> x = torch.zeros(2, 1, 28, 28)
        >>> tuple(m.features(x).shape), tuple(m(x).shape)
        ((2, 8), (2, 10))
    """
    import torch
    from torch import nn

    class SmallCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(1, width, 5, stride=2, padding=2),
                nn.ReLU(),
                nn.Conv2d(width, 2 * width, 3, stride=2, padding=1),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(2 * width * 7 * 7, feature_dim),
                nn.ReLU(),
            )
            self.head = nn.Linear(feature_dim, num_classes)

        def features(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.body(x))

    return SmallCNN()


@dataclass(frozen=True)
class PretrainConfig:
    """Schedule of one pretraining run (identical for every noise level of a seed).

    Attributes:
        epochs: passes over the pretraining subset (long enough to memorise flipped labels).
        batch_size: mini-batch size.
        lr: Adam learning rate (constant; no weight decay, no augmentation, so the network
            can fit its noisy labels).
        width: channels of the first conv (the second has twice as many).
        feature_dim: penultimate width (the frozen features).
        checkpoint_every: save a resumable checkpoint every this many epochs.

    Example:
        >>> PretrainConfig(epochs=2).batch_size
        64
    """

    epochs: int = 40
    batch_size: int = 64
    lr: float = 1e-3
    width: int = 16
    feature_dim: int = 128
    checkpoint_every: int = 5

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "width", "feature_dim", "checkpoint_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise NoisyProbeError(
                    f"PretrainConfig.{name} must be a positive integer, got {v!r}"
                )
        if not self.lr > 0:
            raise NoisyProbeError(f"PretrainConfig.lr must be > 0, got {self.lr!r}")


def pretrain(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    seed: int,
    config: PretrainConfig,
    checkpoint: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    progress: bool = False,
) -> Any:
    """Train the CNN with cross-entropy on (possibly noisy) ``labels``; resumable.

    The init comes from ``torch.manual_seed(seed)`` and the batch order of epoch e from
    ``numpy.random.default_rng([seed, e])``, so every noise level of a seed shares init,
    order and schedule, and a resumed run continues exactly where it stopped.

    Args:
        images: float32 [N, 28, 28] in [0, 1].
        labels: int64 [N] training labels.
        seed: init and order seed.
        config: the schedule.
        checkpoint: file for the resumable state (model, optimiser, epoch); ``None``: none.
        device: torch device.
        progress: per-epoch bar on stderr (only shown when stderr is a terminal).

    Returns:
        The trained model (eval mode, on ``device``).

    Example:
        >>> x = np.random.default_rng(0).random((32, 28, 28), dtype=np.float32)
        >>> cfg = PretrainConfig(epochs=1, width=2, feature_dim=4)
        >>> m = pretrain(x, np.arange(32) % 10, seed=0, config=cfg)
        >>> m.training
        False
    """
    import torch

    torch.manual_seed(int(seed))
    model = build_cnn(width=config.width, feature_dim=config.feature_dim).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    start = 0
    state = load_checkpoint(checkpoint) if checkpoint is not None else None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start = int(state["epoch"])
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).unsqueeze(1).to(device)
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64)).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    bar = _bar(config.epochs, start, progress, f"pretrain seed {seed}")
    model.train()
    for epoch in range(start, config.epochs):
        order = torch.as_tensor(np.random.default_rng([int(seed), epoch]).permutation(len(y)))
        for i in range(0, len(y), config.batch_size):
            idx = order[i : i + config.batch_size].to(device)
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
        done = epoch + 1
        if checkpoint is not None and (
            done % config.checkpoint_every == 0 or done == config.epochs
        ):
            save_checkpoint(
                checkpoint,
                {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": done},
            )
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return model.eval()


def embed(
    model: Any, images: np.ndarray, *, device: str = "cpu", batch_size: int = 512
) -> np.ndarray:
    """Frozen penultimate features float32 [N, feature_dim] of float images [N, 28, 28].

    Example:
        >>> m = build_cnn(width=2, feature_dim=4).eval()
        >>> embed(m, np.zeros((3, 28, 28), dtype=np.float32)).shape
        (3, 4)
    """
    return _forward(model, images, device, batch_size, features=True)


def predict(
    model: Any, images: np.ndarray, *, device: str = "cpu", batch_size: int = 512
) -> np.ndarray:
    """Argmax predictions [N] of the pretraining head.

    Example:
        >>> m = build_cnn(width=2, feature_dim=4).eval()
        >>> predict(m, np.zeros((3, 28, 28), dtype=np.float32)).shape
        (3,)
    """
    return _forward(model, images, device, batch_size, features=False).argmax(axis=1)


def _forward(
    model: Any, images: np.ndarray, device: str, batch_size: int, *, features: bool
) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            xb = torch.as_tensor(np.asarray(images[i : i + batch_size], dtype=np.float32))
            xb = xb.unsqueeze(1).to(device)
            out.append((model.features(xb) if features else model(xb)).float().cpu().numpy())
    return np.concatenate(out).astype(np.float32)


def _bar(total: int, initial: int, progress: bool, desc: str) -> Any:
    if not progress or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, file=sys.stderr, leave=False)
