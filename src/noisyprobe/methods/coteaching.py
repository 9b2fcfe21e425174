"""``coteaching``: Co-Teaching (Han et al., NeurIPS 2018).

Two heads are trained side by side on the same mini-batches. Each head ranks the batch by its
own cross-entropy and keeps the (1 - r(t)) fraction of smallest-loss samples; its PEER is
updated on that selection (``num_remember = int((1 - r) * batch)``, as in the official
code). The forget rate grows linearly, r(t) = tau * min(t / T_k, 1) for epoch t, with T_k = 10
(``num_gradual``) and tau the noise rate, as in the paper: given per run (``forget_rate``;
the benchmark passes the injected rate when it injected the noise, see
:func:`noisyprobe.methods.base.known_noise_params`) or, only when unknown (None),
estimated by :func:`estimate_noise_rate` as the share of training samples whose label
disagrees with the heads' averaged prediction (capped at ``max_forget_rate``),
re-estimated at the end of every epoch of the ramp (t < T_k) and frozen afterwards, so
early, poorly trained estimates weigh little (an adaptation: the paper assumes the rate
known). The prediction is head 1's; head 2 is recorded as the peer in training
histories.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from noisyprobe.methods._params import check_float, check_int
from noisyprobe.methods.base import (
    HEAD_DEFAULTS,
    HeadPlan,
    Method,
    check_head_params,
    head_spec,
    register,
)
from noisyprobe.methods.context import StackContext, Step
from noisyprobe.methods.losses import cross_entropy, softmax


def coteaching_loss(ce: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Cross-update of two heads: ce [2, R, b] per-sample losses, keep [R] samples to keep.

    Head h is trained on the ``keep`` smallest-loss samples chosen by head 1-h; returns
    loss_1 + loss_2 per run, each the mean over the kept samples.

    Example:
        >>> import torch
        >>> ce = torch.tensor([[[1.0, 5.0, 2.0]], [[4.0, 0.5, 3.0]]])
        >>> coteaching_loss(ce, torch.tensor([1]))   # head 1 trains on sample 1, head 2 on 0
        tensor([9.])
    """
    b = ce.shape[-1]
    ranks = ce.detach().argsort(dim=-1, stable=True).argsort(dim=-1)
    chosen = (ranks < keep.view(1, -1, 1)).to(ce.dtype)
    per_head = (ce * chosen.flip(0)).sum(dim=-1) / keep.clamp(1, b).to(ce.dtype)
    return per_head.sum(dim=0)


def forget_schedule(tau: torch.Tensor, epoch: int, num_gradual: int) -> torch.Tensor:
    """r(t) = tau * min(t / T_k, 1).

    Example:
        >>> import torch
        >>> forget_schedule(torch.tensor([0.4]), 5, 10)
        tensor([0.2000])
    """
    return tau * min(epoch / num_gradual, 1.0)


@register
class CoTeaching(Method):
    """Co-Teaching with r(t) = tau min(t/10, 1) (Han et al. 2018).

    Example:
        >>> from noisyprobe.methods import get
        >>> get("coteaching")(forget_rate=0.2).heads(8, 3)["main"][1]   # two heads per run
        2
    """

    name = "coteaching"
    defaults = {
        "forget_rate": None,
        "num_gradual": 10,
        "max_forget_rate": 0.8,
        **HEAD_DEFAULTS,
    }
    per_run = ("forget_rate",)
    peer_head = ("main", 1)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        if params["forget_rate"] is not None:
            params["forget_rate"] = check_float(
                self.name, "forget_rate", params["forget_rate"], low=0.0, high=1.0, high_open=True
            )
        params["num_gradual"] = check_int(self.name, "num_gradual", params["num_gradual"], low=1)
        params["max_forget_rate"] = check_float(
            self.name,
            "max_forget_rate",
            params["max_forget_rate"],
            low=0.0,
            high=1.0,
            high_open=True,
        )
        check_head_params(self.name, params)
        return params

    @classmethod
    def noise_params(cls, params: Mapping[str, Any], *, kind: str, rate: float) -> dict:
        """The known noise rate is the forget rate (Han et al.: tau = epsilon)."""
        if params.get("forget_rate") is None and 0.0 <= rate < 1.0:
            return {"forget_rate": float(rate)}
        return {}

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (head_spec(self.params, dim, num_classes), 2)}

    def setup(self, ctx: StackContext) -> None:
        given = ctx.run_params.get("forget_rate", [None] * ctx.num_runs)
        tau = [math.nan if t is None else float(t) for t in given]
        ctx.state["tau"] = torch.tensor(tau, dtype=torch.float64, device=ctx.device)
        ctx.state["estimate"] = torch.tensor([t is None for t in given], device=ctx.device)

    def loss(self, step: Step) -> torch.Tensor:
        ctx = step.ctx
        r, b = step.idx.shape
        logits = step.forward("main").logits.view(2, r, b, -1)
        ce = cross_entropy(logits, step.y.unsqueeze(0))
        tau = torch.nan_to_num(ctx.state["tau"], nan=0.0)
        rate = forget_schedule(tau, ctx.epoch, self.params["num_gradual"])
        keep = torch.floor((1.0 - rate) * b).long().clamp_min(1)
        return coteaching_loss(ce, keep)

    def epoch_end(self, ctx: StackContext) -> None:
        st = ctx.state
        if ctx.epoch >= self.params["num_gradual"] or not bool(st["estimate"].any()):
            return
        logits = ctx.full_logits(["main"])["main"].view(2, ctx.num_runs, ctx.num_samples, -1)
        estimate = estimate_noise_rate(logits, ctx.labels, cap=self.params["max_forget_rate"])
        st["tau"] = torch.where(st["estimate"], estimate, st["tau"])


def estimate_noise_rate(
    logits: torch.Tensor, labels: torch.Tensor, *, cap: float = 1.0
) -> torch.Tensor:
    """Share of samples whose label disagrees with the heads' averaged prediction.

    logits [H, R, N, C] of H heads, labels [R, N] -> float64 [R], capped at ``cap``.

    Example:
        >>> import torch
        >>> logits = torch.tensor([[[[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 0.0]]]])
        >>> estimate_noise_rate(logits, torch.tensor([[0, 1, 1, 0]]))
        tensor([0.2500], dtype=torch.float64)
    """
    pred = softmax(logits).mean(dim=0).argmax(dim=-1)
    return (pred != labels).double().mean(dim=-1).clamp(0.0, cap)
