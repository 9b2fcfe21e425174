"""Mini-batch features for a stack of runs, with a grouped first-layer matmul.

Runs in a stack each see their own mini-batch, but runs that share a seed share their data
order, hence the same rows of the (shared) feature matrix. :class:`Inputs` keeps one gathered
batch per *order group* (``xg`` of shape [S, n, D]) and a map from stack entries to groups.
The first layer of every head asks :meth:`Inputs.linear` for ``x_r @ W_r + b_r``; when several
entries share a group it runs ONE wide GEMM per group ([n, D] @ [D, K·out]) instead of K skinny
ones, and never copies the features per run. Evaluation on a shared matrix (all runs see all
rows) is the special case S = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# When entries of a group are not stored next to each other, the grouped GEMM needs a copy of
# their weights; above this output width a per-entry matmul on gathered rows is cheaper.
_GROUPED_MAX_OUT = 64


@dataclass(frozen=True)
class GroupPlan:
    """Static layout of stack entries over order groups (built once per stack).

    Attributes:
        group: long [E], the order group of each entry.
        num_groups: S.
        width: K, the largest number of entries in one group.
        slots: long [S*K], the entry in each (group, slot) cell; ``E`` marks padding.
        position: long [E], the cell of each entry in the flattened [S*K] layout.
        padded: whether some cells are padding.
        identity: entries map one-to-one onto groups in order (no grouping needed).
        contiguous: cells hold entries 0..E-1 in order (no reordering needed).
    """

    group: torch.Tensor
    num_groups: int
    width: int
    slots: torch.Tensor
    position: torch.Tensor
    padded: bool
    identity: bool
    contiguous: bool

    @classmethod
    def build(cls, group: torch.Tensor | list[int], num_groups: int | None = None) -> GroupPlan:
        """Lay out entries (``group[e]`` = order group of entry e) into per-group slots.

        Example:
            >>> plan = GroupPlan.build([0, 1, 0, 1])
            >>> plan.num_groups, plan.width, plan.slots.tolist()
            (2, 2, [0, 2, 1, 3])
        """
        g = torch.as_tensor(group, dtype=torch.long).cpu()
        e = int(g.numel())
        s = int(num_groups if num_groups is not None else (int(g.max()) + 1 if e else 0))
        counts = torch.bincount(g, minlength=s)
        width = int(counts.max()) if e else 0
        slots = torch.full((s * width,), e, dtype=torch.long)
        position = torch.empty(e, dtype=torch.long)
        fill = [0] * s
        for entry, grp in enumerate(g.tolist()):
            cell = grp * width + fill[grp]
            fill[grp] += 1
            slots[cell] = entry
            position[entry] = cell
        identity = s == e and bool(torch.equal(g, torch.arange(e)))
        padded = bool((counts < width).any())
        contiguous = not padded and bool(torch.equal(slots, torch.arange(s * width)))
        return cls(g, s, width, slots, position, padded, identity, contiguous)

    def tile(self, copies: int) -> GroupPlan:
        """The plan for ``copies`` heads per run (entry ``j*E + e`` is copy j of entry e)."""
        if copies == 1:
            return self
        cache = self.__dict__.setdefault("_tiles", {})
        if copies not in cache:
            tiled = GroupPlan.build(self.group.cpu().repeat(copies), self.num_groups)
            cache[copies] = tiled.to(self.group.device)
        return cache[copies]

    def to(self, device: torch.device) -> GroupPlan:
        return GroupPlan(
            self.group.to(device),
            self.num_groups,
            self.width,
            self.slots.to(device),
            self.position.to(device),
            self.padded,
            self.identity,
            self.contiguous,
        )


class Inputs:
    """Features of one mini-batch (or of a whole split) for the E entries of a stack.

    Args:
        xg: float [S, n, D], the rows seen by each order group.
        plan: how entries map onto groups; ``None`` means one entry per group, in order.

    Example:
        >>> import torch
        >>> x = torch.randn(1, 5, 3)                  # one matrix shared by every entry
        >>> inp = Inputs(x, GroupPlan.build([0, 0, 0]))
        >>> w, b = torch.randn(3, 2, 3), torch.zeros(3, 2)     # [E, out, D]
        >>> out = inp.linear(w, b)
        >>> out.shape, torch.allclose(out[1], x[0] @ w[1].T, atol=1e-6)
        (torch.Size([3, 5, 2]), True)
    """

    def __init__(self, xg: torch.Tensor, plan: GroupPlan | None = None) -> None:
        if xg.dim() != 3:
            raise ValueError(f"xg must be [S, n, D], got shape {tuple(xg.shape)}")
        self.xg = xg
        self.plan = plan if plan is not None else GroupPlan.build(torch.arange(xg.shape[0]))
        self._dense: torch.Tensor | None = None

    @property
    def num_entries(self) -> int:
        return int(self.plan.group.numel())

    @property
    def n(self) -> int:
        return int(self.xg.shape[1])

    @property
    def dim(self) -> int:
        return int(self.xg.shape[2])

    @property
    def shared(self) -> bool:
        """True when every entry sees the same rows (evaluation on a whole split)."""
        return self.plan.num_groups == 1

    def tile(self, copies: int) -> Inputs:
        """The same rows for ``copies`` heads per entry (copy-major entry order)."""
        return self if copies == 1 else Inputs(self.xg, self.plan.tile(copies))

    def dense(self) -> torch.Tensor:
        """Per-entry features, [E, n, D]; for shared inputs a broadcastable [1, n, D] view."""
        if self.plan.identity or self.shared:
            return self.xg
        if self._dense is None:
            self._dense = self.xg.index_select(0, self.plan.group)
        return self._dense

    def linear(self, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """``x_e @ weight[e]^T + bias[e]`` for every entry e: [E, n, out].

        Args:
            weight: [E, out, D] stacked weights (``torch.nn.Linear`` layout).
            bias: [E, out] stacked biases, or None.

        The grouped path returns a transposed view (classes/units outermost, samples
        innermost), which also makes reductions over the last axis cheap.
        """
        plan = self.plan
        if plan.identity:
            return affine(self.xg, weight, bias)
        if plan.contiguous or weight.shape[1] <= _GROUPED_MAX_OUT:
            return self._grouped(weight, bias)
        return affine(self.dense(), weight, bias)

    def _grouped(self, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        plan = self.plan
        s, k, n = plan.num_groups, plan.width, self.n
        out_dim, d = weight.shape[1], weight.shape[2]
        if not plan.contiguous:
            if plan.padded:
                weight = torch.cat([weight, weight.new_zeros(1, out_dim, d)])
                if bias is not None:
                    bias = torch.cat([bias, bias.new_zeros(1, out_dim)])
            weight = weight.index_select(0, plan.slots)
            if bias is not None:
                bias = bias.index_select(0, plan.slots)
        w = weight.reshape(s, k * out_dim, d)
        xt = self.xg.transpose(1, 2)
        if bias is None:
            out = torch.bmm(w, xt)
        else:
            out = torch.baddbmm(bias.reshape(s, k * out_dim, 1), w, xt)
        out = out.view(s * k, out_dim, n)
        if not plan.contiguous:
            out = out.index_select(0, plan.position)
        return out.transpose(1, 2)


def affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """Batched ``x @ weight^T + bias``: x [E, n, in], weight [E, out, in] -> [E, n, out].

    Computed as ``weight @ x^T`` so that the result is stored unit-major ([E, out, n] in
    memory) and returned as a transposed view: the next layer reads it without a copy and
    reductions over units (softmax over classes) run along contiguous memory.
    """
    xt = x.transpose(1, 2)
    out = torch.bmm(weight, xt) if bias is None else torch.baddbmm(bias.unsqueeze(-1), weight, xt)
    return out.transpose(1, 2)
