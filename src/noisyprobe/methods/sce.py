"""``sce``: symmetric cross-entropy (Wang et al., ICCV 2019).

L = alpha CE + beta RCE, where the reverse cross-entropy ``-sum_k p_k log q_k`` uses the
one-hot label q with log 0 replaced by a constant A, so RCE = -A (1 - p_y). ``log_zero``
chooses A:

* ``"paper"`` (default): A = -4, the value the paper states (and noisyprobe's design table);
* ``"official"``: A = ln(1e-4) ~ -9.21, what the authors' code computes (it clamps the
  one-hot at 1e-4 before the log), i.e. the paper's loss with beta scaled by ln(1e4)/4 ~ 2.3;
* a negative number: that A.

The paper's value is the default because it is the published definition and keeps the
paper's alpha/beta meaning; the official clamp is one option away. Defaults alpha = 0.1,
beta = 1.0 (the paper's CIFAR-10 setting); predictions are clamped to [1e-7, 1] as in the
official code.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from noisyprobe.errors import NoisyProbeError
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
from noisyprobe.methods.losses import cross_entropy, pick, softmax

LOG_ZERO = {"paper": -4.0, "official": math.log(1e-4)}


def sce_loss(
    logits: torch.Tensor, y: torch.Tensor, alpha: float, beta: float, log_zero: float = -4.0
) -> torch.Tensor:
    """Per-sample ``alpha CE + beta RCE`` with RCE = -log_zero * sum_{k != y} clamp(p_k).

    Example:
        >>> import torch
        >>> round(float(sce_loss(torch.zeros(1, 2), torch.tensor([0]), 0.0, 1.0)[0]), 4)  # 4*0.5
        2.0
    """
    ce = cross_entropy(logits, y)
    p = softmax(logits).clamp(1e-7, 1.0)
    p_other = p.sum(dim=-1) - pick(p, y)
    return alpha * ce + beta * (-log_zero) * p_other


@register
class SCE(Method):
    """Symmetric cross-entropy, alpha = 0.1, beta = 1, log 0 := -4 (Wang et al. 2019).

    ``log_zero``: "paper" (A = -4, default), "official" (A = ln 1e-4) or a negative number.

    Example:
        >>> from noisyprobe.methods import get
        >>> get("sce")(alpha=1.0, beta=0.0).params["alpha"]
        1.0
        >>> round(get("sce")(log_zero="official").log_zero, 4)
        -9.2103
    """

    name = "sce"
    defaults = {"alpha": 0.1, "beta": 1.0, "log_zero": "paper", **HEAD_DEFAULTS}

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        params["alpha"] = check_float(self.name, "alpha", params["alpha"], low=0.0)
        params["beta"] = check_float(self.name, "beta", params["beta"], low=0.0)
        if params["log_zero"] not in LOG_ZERO:
            if isinstance(params["log_zero"], str):
                raise NoisyProbeError(
                    f"{self.name}: log_zero must be 'paper', 'official' or a negative number, "
                    f"got {params['log_zero']!r}"
                )
            params["log_zero"] = check_float(
                self.name, "log_zero", params["log_zero"], high=0.0, high_open=True
            )
        if params["alpha"] == 0 and params["beta"] == 0:
            raise NoisyProbeError(f"{self.name}: alpha and beta cannot both be 0")
        check_head_params(self.name, params)
        return params

    @property
    def log_zero(self) -> float:
        """The constant A that replaces log 0 in RCE."""
        value = self.params["log_zero"]
        return LOG_ZERO[value] if isinstance(value, str) else float(value)

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (head_spec(self.params, dim, num_classes), 1)}

    def loss(self, step: Step) -> torch.Tensor:
        p = self.params
        logits = step.forward("main").logits
        return sce_loss(logits, step.y, p["alpha"], p["beta"], self.log_zero).mean(dim=-1)
