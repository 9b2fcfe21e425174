"""What a method sees while its stack trains: the stack context and one mini-batch step.

The trainer owns the loop; a method reads labels and heads from :class:`StackContext`, keeps
its own per-run state in ``ctx.state`` (ELR targets, DivideMix clean probabilities...), and
computes its loss from a :class:`Step`. Every tensor carries the run axis R first; a head with
``copies`` heads per run has E = copies * R entries in copy-major order (entry ``j*R + r``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from noisyprobe.methods.heads import HeadOutput, StackedHead
from noisyprobe.methods.inputs import GroupPlan, Inputs

# Rows per chunk when evaluating heads on a whole split: keeps [E, chunk, width] tensors at
# roughly this many floats.
_EVAL_FLOATS = 1 << 22


class StackContext:
    """The stack of R runs a method trains: labels, heads, per-run settings and state.

    Attributes:
        labels: long [R, N] training labels of each run (possibly noisy).
        num_classes, dim, epochs, batch_size: problem and schedule sizes.
        seeds: the seed of each run.
        run_params: per-run values of the method's per-run hyperparameters.
        heads: name -> stacked head with ``copies[name] * R`` entries.
        rngs: one NumPy generator per run for method randomness (mixup, ...).
        state: free per-stack storage for the method.
        epoch: the current epoch (0-based).
    """

    def __init__(
        self,
        *,
        labels: torch.Tensor,
        num_classes: int,
        x_train: torch.Tensor,
        heads: Mapping[str, StackedHead],
        copies: Mapping[str, int],
        epochs: int,
        batch_size: int,
        seeds: Sequence[int],
        run_params: Mapping[str, list[Any]] | None = None,
        rngs: Sequence[np.random.Generator] | None = None,
    ) -> None:
        self.labels = labels
        self.num_runs, self.num_samples = int(labels.shape[0]), int(labels.shape[1])
        self.num_classes = int(num_classes)
        self.x_train = x_train
        self.dim = int(x_train.shape[1])
        self.heads = dict(heads)
        self.copies = dict(copies)
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.seeds = list(seeds)
        self.run_params = dict(run_params or {})
        self.rngs = list(rngs) if rngs is not None else [np.random.default_rng(s) for s in seeds]
        self.state: dict[str, Any] = {}
        self.epoch = 0
        self.device = labels.device

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.num_samples // self.batch_size)

    def batch_sizes(self) -> list[int]:
        """Sizes of the mini-batches of one epoch (the last one may be smaller)."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return [self.batch_size] * full + ([rest] if rest else [])

    @torch.no_grad()
    def full_logits(self, names: Iterable[str] | None = None) -> dict[str, torch.Tensor]:
        """Logits of the named heads on every training sample, eval mode: [E, N, C] each."""
        return evaluate_heads({k: self.heads[k] for k in (names or self.heads)}, self.x_train)


class Step:
    """One mini-batch of a stack: per-run sample indices, labels and features.

    Attributes:
        ctx: the stack context.
        index: step number within the epoch; ``num_steps`` steps per epoch.
        idx: long [R, b] sample indices of each run's batch.
        y: long [R, b] their (possibly noisy) labels.
        inputs: the batch features (grouped by data order).
    """

    def __init__(
        self, ctx: StackContext, index: int, num_steps: int, idx: torch.Tensor, inputs: Inputs
    ) -> None:
        self.ctx = ctx
        self.index = index
        self.num_steps = num_steps
        self.idx = idx
        self.y = ctx.labels.gather(1, idx)
        self.inputs = inputs

    @property
    def epoch(self) -> int:
        return self.ctx.epoch

    @property
    def progress(self) -> float:
        """Fractional epoch count: epoch + index / num_steps (as in DivideMix's ramp-up)."""
        return self.ctx.epoch + self.index / self.num_steps

    def forward(self, name: str, inputs: Inputs | None = None, *, train: bool = True) -> HeadOutput:
        """Run head ``name`` on this batch (or on ``inputs``, e.g. mixed-up features)."""
        inp = inputs if inputs is not None else self.inputs.tile(self.ctx.copies[name])
        return self.ctx.heads[name](inp, train=train)


def shared_inputs(x: torch.Tensor, entries: int) -> Inputs:
    """Inputs where ``entries`` heads all see every row of ``x`` [n, D]."""
    return Inputs(x.unsqueeze(0), GroupPlan.build(torch.zeros(entries, dtype=torch.long)))


@torch.no_grad()
def evaluate_heads(heads: Mapping[str, StackedHead], x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Eval-mode logits of every head on all rows of ``x`` [n, D]: name -> [E, n, C].

    Rows are processed in chunks so that no [E, chunk, width] tensor grows beyond a few
    million floats; every head sees each chunk through one wide GEMM per layer.
    """
    out: dict[str, torch.Tensor] = {}
    n = int(x.shape[0])
    for name, head in heads.items():
        e = head.num_entries
        spec = head.spec
        width = max(getattr(spec, "hidden", 0), getattr(spec, "z_dim", 0), spec.num_classes)
        chunk = max(1, min(n, _EVAL_FLOATS // max(1, e * width)))
        plan = GroupPlan.build(torch.zeros(e, dtype=torch.long)).to(x.device)
        parts = []
        for start in range(0, n, chunk):
            xc = x[start : start + chunk]
            parts.append(head(Inputs(xc.unsqueeze(0), plan), train=False).logits)
        # Chunks are transposed views of class-major memory; keep that layout for the result.
        out[name] = torch.cat([p.transpose(1, 2) for p in parts], dim=2).transpose(1, 2)
    return out
