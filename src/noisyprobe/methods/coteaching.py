"""``coteaching``: Co-Teaching (Han et al., NeurIPS 2018).

Two heads are trained side by side on the same mini-batches. Each head ranks the batch by its
own cross-entropy and keeps the (1 - r(t)) fraction of smallest-loss samples; its PEER is
updated on that selection (``num_remember = int((1 - r) * batch)``, as in the official
code). The forget rate grows linearly, r(t) = tau * min(t / T_k, 1) for epoch t, with tau the
noise rate, as in the paper. The prediction is head 1's; head 2 is recorded as the peer in
training histories.

Ramp length T_k (``num_gradual``). Paper: T_k = 10 of 200 epochs. Here: None (default) means
``max(10, round(0.05 * epochs))``, the same 5 % of the run, because the adaptive budget
(:meth:`noisyprobe.train.TrainConfig.epochs_for`) gives small data sets hundreds of very
short epochs (400 rows: 500 epochs of 4 steps), where 10 epochs are 40 optimizer steps. Runs
of up to 200 epochs keep T_k = 10; an explicit integer is honoured.

Noise rate tau. Given per run (``forget_rate``; the benchmark passes the injected rate when it
injected the noise, see :func:`noisyprobe.methods.base.known_noise_params`), the paper's
schedule above applies from epoch 0. Unknown (None): the paper assumes tau known, so this
is an adaptation. The heads first train on every sample (r = 0) until epoch E =
``max(T_k, round(estimate_share * epochs))`` (``estimate_share`` 0.5), then tau is estimated
once by :func:`estimate_noise_rate` (share of training samples whose label disagrees with the
heads' averaged prediction, capped at ``max_forget_rate``) and the ramp runs from there,
r(t) = tau * min((t - E) / T_k, 1). Why: the estimate counts every training error of the
heads as noise, so it is only close to the noise rate once the heads are trained; frozen at
epoch 10 of a 500-epoch run (the previous rule) it read 7.5 % on clean breast_cancer and
18 % on clean digits, and dropping that share of every batch cost 4-8 balanced-accuracy
points against ``lp`` on clean data (heads never learn what they drop, so later estimates
do not recover). With the estimate at mid-run, clean data give tau of about 1-3 % and
Co-Teaching stays near ``lp``, while 40 % symmetric noise still reads about 0.4.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from noisyprobe.methods._params import check_float, check_optional_int
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
    """Co-Teaching with r(t) = tau min(t/T_k, 1), T_k = max(10, 5 % of the run) (Han et al.).

    Example:
        >>> from noisyprobe.methods import get
        >>> get("coteaching")(forget_rate=0.2).heads(8, 3)["main"][1]   # two heads per run
        2
    """

    name = "coteaching"
    defaults = {
        "forget_rate": None,
        "num_gradual": None,
        "estimate_share": 0.5,
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
        params["num_gradual"] = check_optional_int(
            self.name, "num_gradual", params["num_gradual"], low=1
        )
        params["estimate_share"] = check_float(
            self.name, "estimate_share", params["estimate_share"], low=0.0, high=1.0, high_open=True
        )
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

    def ramp_epochs(self, epochs: int) -> int:
        """T_k: ``num_gradual`` or ``max(10, round(0.05 * epochs))`` (paper: 10 of 200)."""
        return self.params["num_gradual"] or max(10, round(0.05 * epochs))

    def estimate_epoch(self, epochs: int) -> int:
        """E: epochs trained on every sample before an unknown noise rate is estimated."""
        e = max(self.ramp_epochs(epochs), round(self.params["estimate_share"] * epochs))
        return min(e, max(epochs - 1, 1))

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
        t_k = self.ramp_epochs(ctx.epochs)
        rate = forget_schedule(tau, ctx.epoch, t_k)
        if bool(ctx.state["estimate"].any()):
            since = max(ctx.epoch - self.estimate_epoch(ctx.epochs), 0)
            late = forget_schedule(tau, since, t_k)
            rate = torch.where(ctx.state["estimate"], late, rate)
        keep = torch.floor((1.0 - rate) * b).long().clamp_min(1)
        return coteaching_loss(ce, keep)

    def epoch_end(self, ctx: StackContext) -> None:
        st = ctx.state
        if ctx.epoch + 1 != self.estimate_epoch(ctx.epochs) or not bool(st["estimate"].any()):
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
