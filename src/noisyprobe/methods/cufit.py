"""``cufit``: curriculum fine-tuning on frozen features (Yu et al., NeurIPS 2024).

The frozen-feature form of CUFIT: a linear probe (LP) learns from every sample; adapter head 1
(an MLP) learns only from samples whose given label equals the LP's prediction; adapter
head 2 only from samples whose label equals head 1's prediction. The three heads train
simultaneously with cross-entropy, each selection mask multiplying the per-sample loss before
the mean over the whole batch (as in the official ``train_cufit.py``). The prediction is
head 2's; head 1 is recorded as the peer in training histories.
"""

from __future__ import annotations

from typing import Any

import torch

from noisyprobe.methods.base import HeadPlan, Method, register
from noisyprobe.methods.context import Step
from noisyprobe.methods.heads import LinearSpec
from noisyprobe.methods.losses import cross_entropy
from noisyprobe.methods.mlp import check_mlp_params, mlp_spec


def cufit_loss(
    lp: torch.Tensor, head1: torch.Tensor, head2: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """CE(LP) + mean(agree_LP * CE(head1)) + mean(agree_1 * CE(head2)) per run: logits [R, b, C].

    Example:
        >>> import torch
        >>> y = torch.tensor([[0]])
        >>> wrong = torch.tensor([[[0.0, 1.0]]])       # predicts class 1: selects nothing
        >>> float(cufit_loss(wrong, wrong, wrong, y)[0]) == float(cross_entropy(wrong, y)[0, 0])
        True
    """
    with torch.no_grad():
        agree_lp = (lp.argmax(dim=-1) == y).to(lp.dtype)
        agree_1 = (head1.argmax(dim=-1) == y).to(lp.dtype)
    loss = cross_entropy(lp, y).mean(dim=-1)
    loss = loss + (agree_lp * cross_entropy(head1, y)).mean(dim=-1)
    return loss + (agree_1 * cross_entropy(head2, y)).mean(dim=-1)


@register
class CUFIT(Method):
    """CUFIT on frozen features: LP -> adapter 1 -> adapter 2 curriculum (Yu et al. 2024).

    Example:
        >>> from noisyprobe.methods import get
        >>> sorted(get("cufit")().heads(8, 3))
        ['adapters', 'lp']
    """

    name = "cufit"
    defaults = {"hidden": None, "z_dim": None}
    main_head = ("adapters", 1)
    peer_head = ("adapters", 0)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        check_mlp_params(self.name, params)
        return params

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {
            "lp": (LinearSpec(dim, num_classes), 1),
            "adapters": (mlp_spec(self.params, dim, num_classes), 2),
        }

    def loss(self, step: Step) -> torch.Tensor:
        r, b = step.idx.shape
        lp = step.forward("lp").logits
        adapters = step.forward("adapters").logits.view(2, r, b, -1)
        return cufit_loss(lp, adapters[0], adapters[1], step.y)
