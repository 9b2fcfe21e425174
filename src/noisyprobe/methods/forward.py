"""``forward``: forward loss correction (Patrini et al., CVPR 2017).

With T the noise transition matrix (T_ij = P(noisy label j | clean class i)), the head's
clean-class posterior p = softmax(h) is pushed through T and scored against the noisy label:
loss = -log((p T)_y). T is either given per run (``transition``) or estimated from anchor
points of a warm-up model trained with plain cross-entropy: for each class i the anchor is the
training sample with the highest p_i (``anchor="max"``) or, as in the paper's CIFAR
experiments, the one at the 97th percentile of p_i (``anchor="percentile"``, the default), and
row i of T is that sample's predicted distribution. Training continues from the warm-up
weights with the corrected loss (the paper retrains from scratch; continuing keeps one cosine
schedule). The prediction is the head's clean-class posterior.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from noisyprobe.errors import NoisyProbeError
from noisyprobe.methods._params import check_choice, check_float, check_optional_int
from noisyprobe.methods.base import (
    HEAD_DEFAULTS,
    HeadPlan,
    Method,
    check_head_params,
    head_spec,
    register,
)
from noisyprobe.methods.context import StackContext, Step
from noisyprobe.methods.losses import cross_entropy, log_softmax, softmax


def forward_loss(logits: torch.Tensor, y: torch.Tensor, transition: torch.Tensor) -> torch.Tensor:
    """Per-sample ``-log((softmax(h) T)_y)``: logits [R, n, C], y [R, n], T [R, C, C] -> [R, n].

    Example:
        >>> import torch
        >>> t = torch.eye(2).unsqueeze(0)                          # T = I: cross-entropy
        >>> round(float(forward_loss(torch.zeros(1, 1, 2), torch.tensor([[1]]), t)[0, 0]), 4)
        0.6931
    """
    c = logits.shape[-1]
    column = transition.transpose(1, 2).gather(1, y.unsqueeze(-1).expand(*y.shape, c))
    log_p = log_softmax(logits)
    return -torch.logsumexp(log_p + column.clamp_min(1e-12).log(), dim=-1)


def estimate_transition(probs: torch.Tensor, *, percentile: float | None = 97.0) -> torch.Tensor:
    """Anchor-point estimate of T from predicted probabilities [R, N, C] -> [R, C, C].

    For class i the anchor is argmax_x p_i(x) (``percentile=None``) or, following Patrini et
    al.'s outlier filter, the sample with the largest p_i below the given percentile of p_i
    (NumPy's ``method="higher"``); row i of T is the anchor's predicted distribution.

    Example:
        >>> import torch
        >>> p = torch.tensor([[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]])
        >>> estimate_transition(p, percentile=None)
        tensor([[[0.9000, 0.1000],
                 [0.2000, 0.8000]]])
    """
    r, n, c = probs.shape
    rows = torch.arange(r, device=probs.device)
    out = torch.empty(r, c, c, dtype=probs.dtype, device=probs.device)
    for i in range(c):
        score = probs[:, :, i]
        if percentile is not None:
            k = math.ceil(percentile / 100.0 * (n - 1))
            threshold = score.kthvalue(k + 1, dim=1, keepdim=True).values
            score = torch.where(score >= threshold, torch.zeros_like(score), score)
        out[:, i, :] = probs[rows, score.argmax(dim=1)]
    return out


@register
class ForwardCorrection(Method):
    """Forward correction -log((softmax(h) T)_y) with T given or estimated (Patrini et al. 2017).

    Example:
        >>> from noisyprobe.methods import get
        >>> get("forward")().params["anchor"]
        'percentile'
    """

    name = "forward"
    defaults = {
        "transition": None,
        "warmup_epochs": None,
        "anchor": "percentile",
        "percentile": 97.0,
        **HEAD_DEFAULTS,
    }
    per_run = ("transition",)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        params["warmup_epochs"] = check_optional_int(
            self.name, "warmup_epochs", params["warmup_epochs"], low=1
        )
        check_choice(self.name, "anchor", params["anchor"], ("percentile", "max"))
        params["percentile"] = check_float(
            self.name, "percentile", params["percentile"], low=0.0, high=100.0
        )
        check_head_params(self.name, params)
        return params

    def warmup(self, epochs: int) -> int:
        """Warm-up length: ``warmup_epochs`` or a third of the epochs (at least 1)."""
        return self.params["warmup_epochs"] or max(1, epochs // 3)

    def check_run(self, params: dict[str, Any], *, num_classes: int, epochs: int) -> None:
        t = params.get("transition")
        if t is not None:
            _check_transition(t, num_classes)
        elif self.warmup(epochs) >= epochs:
            raise NoisyProbeError(
                f"forward: warmup_epochs ({self.warmup(epochs)}) must be smaller than epochs "
                f"({epochs}) when no transition matrix is given"
            )

    def first_selectable_epoch(self, ctx: StackContext) -> int:
        """After the warm-up, unless every run of the stack has a given T (no warm-up)."""
        if bool(ctx.state["fixed"].all()):
            return 0
        return super().first_selectable_epoch(ctx)

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (head_spec(self.params, dim, num_classes), 1)}

    def setup(self, ctx: StackContext) -> None:
        c = ctx.num_classes
        given = ctx.run_params.get("transition", [None] * ctx.num_runs)
        fixed = torch.tensor([t is not None for t in given], device=ctx.device)
        t = torch.eye(c).repeat(ctx.num_runs, 1, 1)
        for r, value in enumerate(given):
            if value is not None:
                t[r] = torch.as_tensor(np.asarray(value, dtype=np.float32))
        ctx.state.update(T=t.to(ctx.device), fixed=fixed, corrected=fixed.clone())

    def loss(self, step: Step) -> torch.Tensor:
        st = step.ctx.state
        logits = step.forward("main").logits
        corrected = forward_loss(logits, step.y, st["T"]).mean(dim=-1)
        if bool(st["corrected"].all()):
            return corrected
        ce = cross_entropy(logits, step.y).mean(dim=-1)
        return torch.where(st["corrected"], corrected, ce)

    def epoch_end(self, ctx: StackContext) -> None:
        st = ctx.state
        if ctx.epoch + 1 != self.warmup(ctx.epochs) or bool(st["fixed"].all()):
            return
        probs = softmax(ctx.full_logits(["main"])["main"])
        pct = self.params["percentile"] if self.params["anchor"] == "percentile" else None
        estimate = estimate_transition(probs, percentile=pct)
        st["T"] = torch.where(st["fixed"].view(-1, 1, 1), st["T"], estimate)
        st["corrected"] = torch.ones_like(st["fixed"])


def _check_transition(value: Any, num_classes: int) -> None:
    try:
        t = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise NoisyProbeError("forward: transition must be a C x C matrix of numbers") from None
    if t.shape != (num_classes, num_classes):
        raise NoisyProbeError(
            f"forward: transition must have shape ({num_classes}, {num_classes}), got {t.shape}"
        )
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise NoisyProbeError("forward: transition must be finite and non-negative")
    if not np.allclose(t.sum(axis=1), 1.0, atol=1e-4):
        raise NoisyProbeError("forward: every row of transition must sum to 1")
