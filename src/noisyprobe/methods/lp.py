"""``lp``: linear probing with cross-entropy, the reference every method is compared to.

A linear head D -> C trained with cross-entropy on the given (possibly noisy) labels: the
"LP" baseline of NMTune (ICLR 2024), SKD (NeurIPS 2025) and the frozen-VFM benchmark.

Optional L2 penalty ``C`` (off by default): the mean cross-entropy plus
``||W||^2 / (2 C N)`` over the N training rows, scikit-learn's ``LogisticRegression(C=C)``
objective divided by ``C N`` (the bias is not penalised), so a converged run reaches
the same minimiser.
"""

from __future__ import annotations

from typing import Any

import torch

from noisyprobe.methods._params import check_float
from noisyprobe.methods.base import HeadPlan, Method, register
from noisyprobe.methods.context import Step
from noisyprobe.methods.heads import LinearSpec
from noisyprobe.methods.losses import cross_entropy


@register
class LinearProbe(Method):
    """Linear probe + cross-entropy; ``C``: optional L2 penalty (``None``: none, the default).

    Example:
        >>> from noisyprobe.methods import get
        >>> get("lp")().heads(8, 3)["main"][0]
        LinearSpec(in_dim=8, num_classes=3)
        >>> get("lp")(C=0.1).l2(400)            # 1 / (C N)
        0.025
    """

    name = "lp"
    defaults = {"C": None}
    # The trainer may compute this loss's gradients in closed form (trainer._LinearCE).
    linear_ce = True

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        if params["C"] is not None:
            params["C"] = check_float(self.name, "C", params["C"], low=0.0, low_open=True)
        return params

    def l2(self, num_samples: int) -> float:
        """Coefficient ``1 / (C N)`` of the penalty ``l2 ||W||^2 / 2`` (0 without ``C``)."""
        c = self.params["C"]
        return 0.0 if c is None else 1.0 / (c * int(num_samples))

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (LinearSpec(dim, num_classes), 1)}

    def loss(self, step: Step) -> torch.Tensor:
        loss = cross_entropy(step.forward("main").logits, step.y).mean(dim=-1)
        lam = self.l2(step.ctx.x_train.shape[0])
        if lam:
            weight = step.ctx.heads["main"].params["weight"]
            loss = loss + 0.5 * lam * weight.pow(2).flatten(1).sum(dim=1)
        return loss
