"""``skd``: skewness/kurtosis distribution-shape regularisation (Sun et al., NeurIPS 2025).

Pretraining noise flattens the feature distribution (lower skewness and kurtosis). SKD trains
an MLP F -> Z and a linear classifier Z -> C with

    L = CE + lambda_s L_skew + lambda_k L_kurt + lambda_d L_dis,
    L_skew = (1/D) sum_j |Skew(Z_:,j) - tau_s|,  L_kurt = (1/D) sum_j |Kurt(Z_:,j) - tau_k|,
    L_dis  = mean over the batch of (1/log 2) log(1 + exp(h_y - mean_{y' != y} h_y')),

with the seed's bias-corrected moments over the mini-batch (the shared implementation
:func:`noisyprobe.diagnostics.moments.torch_skew_kurt`) and lambda_s = 0.1, lambda_k = 1,
lambda_d = 0.1, tau_s = tau_k = 0. The moments need at least 4 samples: on a smaller batch
(a short final batch) the two shape terms are left out for that step.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from noisyprobe.diagnostics.moments import torch_skew_kurt
from noisyprobe.methods._params import check_float
from noisyprobe.methods.base import HeadPlan, Method, register
from noisyprobe.methods.context import Step
from noisyprobe.methods.losses import cross_entropy, pick
from noisyprobe.methods.mlp import check_mlp_params, mlp_spec


def shape_losses(z: torch.Tensor, tau_s: float, tau_k: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_skew, L_kurt) per run for Z [R, M, D] (zeros when M < 4).

    Example:
        >>> import torch
        >>> z = torch.tensor([[[0.0], [0.0], [0.0], [1.0]]])    # skew 2, kurtosis 4
        >>> shape_losses(z, 0.0, 0.0)
        (tensor([2.]), tensor([4.]))
    """
    if z.shape[-2] < 4:
        zero = z.sum(dim=(-2, -1)) * 0.0
        return zero, zero
    skew, kurt = torch_skew_kurt(z, dim=-2)
    return (skew - tau_s).abs().mean(dim=-1), (kurt - tau_k).abs().mean(dim=-1)


def dis_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample (1/log 2) softplus(h_y - mean_{y' != y} h_y'): [..., n, C] -> [..., n].

    Example:
        >>> import torch
        >>> float(dis_loss(torch.zeros(1, 3), torch.tensor([0]))[0])   # log(2)/log(2)
        1.0
    """
    c = logits.shape[-1]
    h_y = pick(logits, y)
    others = (logits.sum(dim=-1) - h_y) / (c - 1)
    return F.softplus(h_y - others) / math.log(2.0)


@register
class SKD(Method):
    """SKD: CE + 0.1 L_skew + 1 L_kurt + 0.1 L_dis on an MLP F -> Z (Sun et al. 2025).

    Example:
        >>> from noisyprobe.methods import get
        >>> p = get("skd")().params
        >>> p["lambda_s"], p["lambda_k"], p["lambda_d"]
        (0.1, 1.0, 0.1)
    """

    name = "skd"
    defaults = {
        "lambda_s": 0.1,
        "lambda_k": 1.0,
        "lambda_d": 0.1,
        "tau_s": 0.0,
        "tau_k": 0.0,
        "hidden": None,
        "z_dim": None,
    }

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        for key in ("lambda_s", "lambda_k", "lambda_d"):
            params[key] = check_float(self.name, key, params[key], low=0.0)
        for key in ("tau_s", "tau_k"):
            params[key] = check_float(self.name, key, params[key])
        check_mlp_params(self.name, params)
        return params

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (mlp_spec(self.params, dim, num_classes), 1)}

    def loss(self, step: Step) -> torch.Tensor:
        p = self.params
        out = step.forward("main")
        loss = cross_entropy(out.logits, step.y).mean(dim=-1)
        if p["lambda_s"] or p["lambda_k"]:
            l_skew, l_kurt = shape_losses(out.z, p["tau_s"], p["tau_k"])
            loss = loss + p["lambda_s"] * l_skew + p["lambda_k"] * l_kurt
        if p["lambda_d"]:
            loss = loss + p["lambda_d"] * dis_loss(out.logits, step.y).mean(dim=-1)
        return loss
