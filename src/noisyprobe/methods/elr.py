"""``elr``: early-learning regularization (Liu et al., NeurIPS 2020).

Each sample keeps a target t_i, a running ensemble of the model's own predictions:
t_i <- beta t_i + (1 - beta) p_i / sum(p_i) (p detached, clamped to [1e-4, 1 - 1e-4]), and
the loss is CE + lambda * log(1 - <t_i, p_i>), which keeps the head close to what it learnt
before memorising the noisy labels. Defaults beta = 0.7, lambda = 3 (the paper's CIFAR-10
setting). The targets are a per-run state tensor [R, N, C] updated at every step.

Training budget: the shared default of at least 8000 AdamW steps (see
:meth:`noisyprobe.train.TrainConfig.epochs_for`; ELR needed it first, which is why the
shared budget grew from 2000). Paper: 120 CIFAR-10 epochs of about 390 SGD steps (lr 0.02),
some 47k steps. The regulariser slows the head down by design: its gradient on a
confidently predicted sample stays about lambda / 2 in logit space (it does not vanish like
the CE gradient), and on a misfit sample it opposes the CE pull (for lambda = 3 it is the
larger of the two), so predictions move slowly. Measured on
clean data (benchmarks/baseline_sklearn.py, 3 seeds): after 2000 steps ELR was 5.3
(breast_cancer) and 3.8 (digits) balanced-accuracy points below ``lp``, about where ``lp``
is after 350 steps; after 8000 steps it is within 1 point (a 3x larger learning rate closes
the gap too, so the head is under-trained, not mis-specified). lambda and beta keep the
paper's values, which is what gives ELR its robustness (tests/methods/
test_methods_noise_robustness.py). An explicit ``epochs`` is honoured as for every method.

Known gap on clean digits (issue 8; 1400 rows, 10 classes, 8000 steps, TrainConfig.C = 0.1,
3 seeds, lp 96.72): ELR 94.97, 1.75 points below ``lp``, and its training accuracy is 95.0 %
against ``lp``'s 98.8 %, so it under-fits. Not the L2 penalty (C = None: 94.56; C = 1:
94.81) and only partly the budget (32000 steps: 95.47; lr 3e-3: 95.72). The cause is the
regulariser itself: with t = p and a sample predicted as class j != y with p_j = 0.98, the
gradient on logit j is -0.48 lambda from the regulariser against +0.98 from the
cross-entropy (autograd), so for lambda > 2 a clean sample the head misfits confidently
stays misfit (a linear head cannot memorise single samples the way the paper's ResNet
does). A smaller lambda does not close the gap: over 4 splits (benchmarks/clean_tradeoff.py,
benchmarks/results/clean-parity.md) lambda 0.5, 1 and 2 are 1.1-1.3 points short of ``lp``
clean (lambda 0, plain cross-entropy at C = 0.1: 0.4), so pulling towards the running
predictions costs about a point at any weight, while under 40 % asymmetric noise any
lambda >= 1 gains about 9 points over ``lp``; beta = 0.99 helps noise (split 0: 94.20
symmetric, 80.81 asymmetric) but not clean data (95.46). The paper's values are kept and
the gap is a strict xfail in tests/methods/test_methods_clean_parity.py.
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
from noisyprobe.methods.context import StackContext, Step
from noisyprobe.methods.losses import cross_entropy, softmax


def elr_update(target: torch.Tensor, logits: torch.Tensor, beta: float) -> torch.Tensor:
    """New targets ``beta t + (1 - beta) p / sum p`` from detached clamped predictions.

    Example:
        >>> import torch
        >>> elr_update(torch.zeros(1, 2), torch.zeros(1, 2), 0.5)
        tensor([[0.2500, 0.2500]])
    """
    p = softmax(logits.detach()).clamp(1e-4, 1.0 - 1e-4)
    return beta * target + (1.0 - beta) * p / p.sum(dim=-1, keepdim=True)


def elr_loss(
    logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor, lam: float
) -> torch.Tensor:
    """Per-sample ``CE + lam * log(1 - <t, clamp(p)>)`` for (already updated) targets t.

    Example:
        >>> import torch
        >>> t = torch.tensor([[0.5, 0.5]])
        >>> round(float(elr_loss(torch.zeros(1, 2), torch.tensor([0]), t, 0.0)[0]), 4)
        0.6931
    """
    ce = cross_entropy(logits, y)
    if lam == 0:
        return ce
    p = softmax(logits).clamp(1e-4, 1.0 - 1e-4)
    return ce + lam * torch.log1p(-(target * p).sum(dim=-1))


@register
class ELR(Method):
    """Early-learning regularization, beta = 0.7, lambda = 3 (Liu et al. 2020).

    ``penalty_search = False``: under ``C="auto"`` ELR keeps ``FIXED_C`` rather than the
    logistic regression's cross-validated C. Its regulariser pulls towards running averages
    of its own predictions, which a C of 1e-4..1e-3 keeps near uniform: on the IU reports
    (MiniLM, 30% symmetric noise, 2 seeds) ELR reached 83.07 balanced accuracy with the
    cross-validated C (8e-4) and 85.50 with C = 0.1 (benchmarks/baseline_sklearn.py).

    Example:
        >>> from noisyprobe.methods import get
        >>> get("elr")().params["beta"], get("elr")().params["lam"]
        (0.7, 3.0)
    """

    name = "elr"
    penalty_search = False
    defaults = {"beta": 0.7, "lam": 3.0, **HEAD_DEFAULTS}

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        params["beta"] = check_float(
            self.name, "beta", params["beta"], low=0.0, high=1.0, high_open=True
        )
        params["lam"] = check_float(self.name, "lam", params["lam"], low=0.0)
        check_head_params(self.name, params)
        return params

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (head_spec(self.params, dim, num_classes), 1)}

    def setup(self, ctx: StackContext) -> None:
        ctx.state["targets"] = torch.zeros(
            ctx.num_runs * ctx.num_samples, ctx.num_classes, device=ctx.device
        )

    def loss(self, step: Step) -> torch.Tensor:
        ctx = step.ctx
        logits = step.forward("main").logits
        r, b = step.idx.shape
        rows = torch.arange(r, device=step.idx.device).unsqueeze(1) * ctx.num_samples + step.idx
        rows = rows.reshape(-1)
        table = ctx.state["targets"]
        target = elr_update(table.index_select(0, rows).view(r, b, -1), logits, self.params["beta"])
        table.index_copy_(0, rows, target.view(r * b, -1))
        return elr_loss(logits, step.y, target, self.params["lam"]).mean(dim=-1)
