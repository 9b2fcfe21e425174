"""``gce``: generalized cross-entropy (Zhang & Sabuncu, NeurIPS 2018).

L_q = (1 - p_y^q) / q with q = 0.7 (the paper's default). It tends to cross-entropy as q -> 0
and to MAE (up to a factor) at q = 1; computed as ``-expm1(q log p_y) / q`` so that small q
stays accurate.
"""

from __future__ import annotations

from typing import Any

import torch

from noisyprobe.methods._params import check_float
from noisyprobe.methods.base import (
    HEAD_DEFAULTS,
    HeadPlan,
    Method,
    check_head_params,
    head_spec,
    register,
)
from noisyprobe.methods.context import Step
from noisyprobe.methods.losses import cross_entropy


def gce_loss(logits: torch.Tensor, y: torch.Tensor, q: float) -> torch.Tensor:
    """Per-sample GCE ``(1 - p_y^q) / q``: logits [..., n, C], y [..., n] -> [..., n].

    Example:
        >>> import torch
        >>> round(float(gce_loss(torch.zeros(1, 2), torch.tensor([0]), 1.0)[0]), 4)  # 1 - 0.5
        0.5
    """
    log_py = -cross_entropy(logits, y)
    return -torch.expm1(q * log_py) / q


@register
class GCE(Method):
    """Generalized cross-entropy, q = 0.7 (Zhang & Sabuncu 2018); linear head by default.

    Example:
        >>> from noisyprobe.methods import get
        >>> get("gce")().params["q"]
        0.7
    """

    name = "gce"
    defaults = {"q": 0.7, **HEAD_DEFAULTS}

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        params["q"] = check_float(self.name, "q", params["q"], low=0.0, high=1.0, low_open=True)
        check_head_params(self.name, params)
        return params

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (head_spec(self.params, dim, num_classes), 1)}

    def loss(self, step: Step) -> torch.Tensor:
        logits = step.forward("main").logits
        return gce_loss(logits, step.y, self.params["q"]).mean(dim=-1)
