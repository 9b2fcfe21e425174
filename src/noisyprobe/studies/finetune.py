"""EfficientNet-Lite0 (ImageNet weights, offline) prepared for fine-tuning in three modes."""

from __future__ import annotations

from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError

MODES = ("full", "last", "lora")
# Blocks whose pooled outputs are compared layer by layer (end of each stage) + the head.
LAYERS = (0, 2, 4, 7, 10, 14, 15)


def build_model(*, image_size: int, num_classes: int, mode: str, rank: int = 8) -> Any:
    """EfficientNet-Lite0 with ImageNet weights, a new classifier and ``mode``'s trainables.

    Modes: ``full`` (every parameter), ``last`` (last three blocks, head conv, classifier),
    ``lora`` (everything frozen but a zero-initialised rank-``rank`` adapter added to the
    1x1 head convolution, and the classifier).

    Example:
        >>> # m = build_model(image_size=64, num_classes=10, mode="lora")
    """
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    from noisyprobe.backbones._weights import load_state_dict
    from noisyprobe.backbones.efficientnet_lite0 import weights_file

    if mode not in MODES:
        raise NoisyProbeError(f"unknown fine-tuning mode {mode!r}; expected one of {MODES}")
    model = EfficientNet.from_name("efficientnet-lite0", image_size=int(image_size))
    model.load_state_dict(load_state_dict(weights_file()), strict=True)
    model._fc = torch.nn.Linear(model._fc.in_features, int(num_classes))
    for p in model.parameters():
        p.requires_grad_(mode == "full")
    if mode == "last":
        for part in [*model._blocks[-3:], model._conv_head, model._bn1]:
            for p in part.parameters():
                p.requires_grad_(True)
    if mode == "lora":
        model._conv_head = LowRankConv(model._conv_head, rank=rank)
    for p in model._fc.parameters():
        p.requires_grad_(True)
    return model


def _lowrank_class() -> Any:
    from torch import nn

    class _LowRankConv(nn.Module):
        def __init__(self, base: nn.Module, rank: int) -> None:
            super().__init__()
            self.base = base
            self.down = nn.Conv2d(base.in_channels, rank, 1, bias=False)
            self.up = nn.Conv2d(rank, base.out_channels, 1, bias=False)
            nn.init.zeros_(self.up.weight)  # starts as the pretrained layer exactly

        def forward(self, x: Any) -> Any:
            return self.base(x) + self.up(self.down(x))

    return _LowRankConv


def LowRankConv(base: Any, *, rank: int) -> Any:  # noqa: N802 (a class factory)
    """A frozen 1x1 conv plus a trainable low-rank update ``up(down(x))`` (``up`` = 0 at start).

    Example:
        >>> import torch
        >>> conv = torch.nn.Conv2d(4, 6, 1)
        >>> lr = LowRankConv(conv, rank=2)
        >>> x = torch.randn(1, 4, 3, 3)
        >>> bool(torch.allclose(lr(x), conv(x)))
        True
    """
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise NoisyProbeError(f"rank must be a positive integer, got {rank!r}")
    return _lowrank_class()(base, rank)


def to_input(images: np.ndarray, image_size: int) -> Any:
    """uint8 grey [N, H, W] -> float [N, 3, S, S] on the TF-Lite scale ``(x - 127) / 128``.

    Example:
        >>> tuple(to_input(np.zeros((2, 28, 28), dtype=np.uint8), 32).shape)
        (2, 3, 32, 32)
    """
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).unsqueeze(1)
    x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    return ((x - 127.0) / 128.0).repeat(1, 3, 1, 1)


def layer_features(model: Any, x: Any, *, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Spatially pooled outputs of the blocks in :data:`LAYERS` and of the head, eval mode.

    Example:
        >>> # layer_features(model, to_input(images, 64))["head"].shape -> (N, 1280)
    """
    import torch

    captured: dict[str, list[np.ndarray]] = {}
    hooks = []
    for i in LAYERS:

        def hook(_m: Any, _inp: Any, out: Any, name: str = f"block{i}") -> None:
            captured.setdefault(name, []).append(out.mean(dim=(2, 3)).float().cpu().numpy())

        hooks.append(model._blocks[i].register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        device = next(model.parameters()).device
        with torch.no_grad():
            for s in range(0, len(x), batch_size):
                head = model.extract_features(x[s : s + batch_size].to(device)).mean(dim=(2, 3))
                captured.setdefault("head", []).append(head.float().cpu().numpy())
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return {k: np.concatenate(v) for k, v in captured.items()}
