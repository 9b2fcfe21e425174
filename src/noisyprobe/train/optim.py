"""AdamW for stacked parameters: one fused kernel call per step, no per-step Python overhead.

Identical to ``torch.optim.AdamW(fused=True)`` (decoupled weight decay, bias correction), but
without the optimizer's per-step bookkeeping, which dominates when a step is a few small
batched matmuls. AdamW is element-wise, so a stacked tensor [R, ...] gets exactly the update
each run would get alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


class StackedAdamW:
    """AdamW over a fixed list of leaf tensors.

    Example:
        >>> import torch
        >>> p = torch.zeros(2, requires_grad=True)
        >>> opt = StackedAdamW([p], lr=0.1)
        >>> (p - 1.0).pow(2).sum().backward()
        >>> opt.step()
        >>> [round(v, 4) for v in p.tolist()]          # first Adam step moves by lr
        [0.1, 0.1]
    """

    def __init__(
        self,
        params: Sequence[torch.Tensor],
        *,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = list(params)
        self.lr = float(lr)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)
        self.exp_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        steps = [self.steps[i] for i in live]
        torch._foreach_add_(steps, 1.0)
        torch._fused_adamw_(
            [self.params[i] for i in live],
            [self.params[i].grad for i in live],
            [self.exp_avg[i] for i in live],
            [self.exp_avg_sq[i] for i in live],
            [],
            steps,
            lr=self.lr,
            beta1=self.betas[0],
            beta2=self.betas[1],
            weight_decay=self.weight_decay,
            eps=self.eps,
            amsgrad=False,
            maximize=False,
        )
