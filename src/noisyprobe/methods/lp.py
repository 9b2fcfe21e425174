"""``lp``: linear probing with cross-entropy, the reference every method is compared to.

A linear head D -> C trained with cross-entropy on the given (possibly noisy) labels: the
"LP" baseline of NMTune (ICLR 2024), SKD (NeurIPS 2025) and the frozen-VFM benchmark.
Like every head it carries the trainer's L2 penalty (``TrainConfig.C``, scikit-learn's
``LogisticRegression(C=C)`` objective divided by ``C N``), so a converged run reaches
logistic regression's minimiser.
"""

from __future__ import annotations

import torch

from noisyprobe.methods.base import HeadPlan, Method, register
from noisyprobe.methods.context import Step
from noisyprobe.methods.heads import LinearSpec
from noisyprobe.methods.losses import cross_entropy


@register
class LinearProbe(Method):
    """Linear probe + cross-entropy (no hyperparameters; the L2 penalty is the trainer's).

    Example:
        >>> from noisyprobe.methods import get
        >>> get("lp")().heads(8, 3)["main"][0]
        LinearSpec(in_dim=8, num_classes=3)
    """

    name = "lp"
    # The trainer may compute this loss's gradients in closed form (trainer._LinearCE).
    linear_ce = True

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (LinearSpec(dim, num_classes), 1)}

    def loss(self, step: Step) -> torch.Tensor:
        return cross_entropy(step.forward("main").logits, step.y).mean(dim=-1)
