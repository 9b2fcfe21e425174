"""``mlp``: the 2-layer MLP head F -> Z plus a linear classifier, trained with cross-entropy.

The "MLP tuning" baseline of NMTune (ICLR 2024, Table 1) and the architecture that NMTune and
SKD regularise: Linear(D, hidden), ReLU, Linear(hidden, Z), then Linear(Z, C). With every SKD
weight set to 0, ``skd`` is exactly this method.
"""

from __future__ import annotations

from typing import Any

import torch

from noisyprobe.methods._params import check_optional_int
from noisyprobe.methods.base import HeadPlan, Method, register
from noisyprobe.methods.context import Step
from noisyprobe.methods.heads import MLPSpec
from noisyprobe.methods.losses import cross_entropy


def mlp_spec(params: dict[str, Any], dim: int, num_classes: int) -> MLPSpec:
    """The shared MLP head: ``hidden`` and ``z_dim`` default to the feature dimension D."""
    return MLPSpec(dim, params["hidden"] or dim, params["z_dim"] or dim, num_classes)


def check_mlp_params(method: str, params: dict[str, Any]) -> None:
    params["hidden"] = check_optional_int(method, "hidden", params["hidden"], low=1)
    params["z_dim"] = check_optional_int(method, "z_dim", params["z_dim"], low=1)


@register
class MLPHead(Method):
    """2-layer MLP F -> Z (hidden and Z default to D) + linear classifier, cross-entropy.

    Example:
        >>> from noisyprobe.methods import get
        >>> get("mlp")(hidden=16).heads(8, 3)["main"][0].hidden
        16
    """

    name = "mlp"
    defaults = {"hidden": None, "z_dim": None}

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        check_mlp_params(self.name, params)
        return params

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (mlp_spec(self.params, dim, num_classes), 1)}

    def loss(self, step: Step) -> torch.Tensor:
        return cross_entropy(step.forward("main").logits, step.y).mean(dim=-1)
