"""Stacked heads: the parameters of E independent heads held as tensors with a leading axis.

A head is a pure function of its stacked parameters (``W [E, out, in]`` as in
``torch.nn.Linear``, ``b [E, out]``) and
an :class:`~noisyprobe.methods.inputs.Inputs`; batched matmuls (``baddbmm``) evaluate all E at
once. Each entry is initialised from its own generator, so an entry's initial weights do not
depend on the other entries of the stack.

* :class:`LinearSpec`: a linear probe ``x W + b``.
* :class:`MLPSpec`: the 2-layer MLP ``F -> Z`` of NMTune/SKD (Linear, [BatchNorm], ReLU,
  Linear; optional residual ``Z = s * MLP(F) + F``) followed by a linear classifier ``Z -> C``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from noisyprobe.methods.inputs import affine

_INITS = ("uniform", "kaiming")


@dataclass(frozen=True)
class HeadOutput:
    """What a head computes for a batch: logits [E, n, C] and, for MLP heads, Z [E, n, Z]."""

    logits: torch.Tensor
    z: torch.Tensor | None = None


@dataclass(frozen=True)
class LinearSpec:
    """A linear probe D -> C, initialised like ``torch.nn.Linear`` (U(±1/√D)).

    Example:
        >>> import torch
        >>> head = LinearSpec(4, 3).build([torch.Generator().manual_seed(0)] * 2)
        >>> head.params["weight"].shape
        torch.Size([2, 3, 4])
    """

    in_dim: int
    num_classes: int

    def init_entry(self, gen: torch.Generator) -> dict[str, torch.Tensor]:
        w, b = _uniform_linear(self.in_dim, self.num_classes, gen)
        return {"weight": w, "bias": b}

    def build(self, gens: Sequence[torch.Generator], device: str | torch.device = "cpu"):
        return StackedHead.initialise(self, gens, device)

    def forward(
        self,
        params: Mapping[str, torch.Tensor],
        buffers: Mapping[str, torch.Tensor],
        inputs,
        train: bool,
    ) -> HeadOutput:
        return HeadOutput(inputs.linear(params["weight"], params["bias"]))

    def flops_per_sample(self) -> int:
        """Multiply-adds x2 of one forward pass for one sample."""
        return 2 * self.in_dim * self.num_classes


@dataclass(frozen=True)
class MLPSpec:
    """The MLP head F -> Z -> C of NMTune (ICLR 2024) and SKD (NeurIPS 2025).

    Args:
        in_dim: D, the feature dimension.
        hidden: width of the hidden layer.
        z_dim: dimension of the transformed features Z.
        num_classes: C.
        batchnorm: BatchNorm1d after the first linear layer (NMTune's official code). That layer
            then has no bias: BatchNorm cancels it, so its gradient is pure rounding noise,
            which Adam would turn into a random walk of the running mean.
        residual: ``Z = s * MLP(F) + F`` with a learned per-dimension scale s (needs z_dim = D).
        scale_init: initial value of s.
        classifier_init: ``"uniform"`` (torch.nn.Linear default) or ``"kaiming"`` (Kaiming-uniform
            weights and zero bias, as NMTune's official classification head).
        bn_momentum, bn_eps: BatchNorm running-statistics momentum and epsilon (torch defaults).

    Example:
        >>> import torch
        >>> spec = MLPSpec(4, 8, 4, 3)
        >>> head = spec.build([torch.Generator().manual_seed(0)])
        >>> sorted(head.params)
        ['bias1', 'bias2', 'bias_c', 'weight1', 'weight2', 'weight_c']
    """

    in_dim: int
    hidden: int
    z_dim: int
    num_classes: int
    batchnorm: bool = False
    residual: bool = False
    scale_init: float = 0.5
    classifier_init: str = "uniform"
    bn_momentum: float = 0.1
    bn_eps: float = 1e-5

    def __post_init__(self) -> None:
        if self.residual and self.z_dim != self.in_dim:
            raise ValueError("a residual MLP head needs z_dim == in_dim")
        if self.classifier_init not in _INITS:
            raise ValueError(f"classifier_init must be one of {_INITS}")

    def init_entry(self, gen: torch.Generator) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        out["weight1"], out["bias1"] = _uniform_linear(self.in_dim, self.hidden, gen)
        if self.batchnorm:
            del out["bias1"]
        out["weight2"], out["bias2"] = _uniform_linear(self.hidden, self.z_dim, gen)
        if self.classifier_init == "kaiming":
            bound = math.sqrt(6.0 / self.z_dim)
            out["weight_c"] = _uniform((self.num_classes, self.z_dim), bound, gen)
            out["bias_c"] = torch.zeros(self.num_classes)
        else:
            out["weight_c"], out["bias_c"] = _uniform_linear(self.z_dim, self.num_classes, gen)
        if self.batchnorm:
            out["bn_weight"] = torch.ones(self.hidden)
            out["bn_bias"] = torch.zeros(self.hidden)
        if self.residual:
            out["scale"] = torch.full((self.z_dim,), float(self.scale_init))
        return out

    def init_buffers(self) -> dict[str, torch.Tensor]:
        if not self.batchnorm:
            return {}
        return {"running_mean": torch.zeros(self.hidden), "running_var": torch.ones(self.hidden)}

    def build(self, gens: Sequence[torch.Generator], device: str | torch.device = "cpu"):
        return StackedHead.initialise(self, gens, device)

    def forward(
        self,
        params: Mapping[str, torch.Tensor],
        buffers: Mapping[str, torch.Tensor],
        inputs,
        train: bool,
    ) -> HeadOutput:
        h = inputs.linear(params["weight1"], params.get("bias1"))
        if self.batchnorm:
            h = _batchnorm(h, params, buffers, train, self.bn_momentum, self.bn_eps)
        h = torch.relu(h)
        z = affine(h, params["weight2"], params["bias2"])
        if self.residual:
            z = params["scale"].unsqueeze(1) * z + inputs.dense()
        logits = affine(z, params["weight_c"], params["bias_c"])
        return HeadOutput(logits, z)

    def flops_per_sample(self) -> int:
        return 2 * (
            self.in_dim * self.hidden + self.hidden * self.z_dim + self.z_dim * self.num_classes
        )


class StackedHead:
    """E heads of one spec, as stacked tensors ``params[name]: [E, ...]``.

    ``forward`` evaluates all E entries at once; ``select`` extracts some entries (e.g. one
    run, for prediction) and ``blend`` copies entries from another head (best-epoch
    snapshots for early stopping).
    """

    def __init__(
        self,
        spec: LinearSpec | MLPSpec,
        params: dict[str, torch.Tensor],
        buffers: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.spec = spec
        self.params = params
        self.buffers = buffers or {}

    @classmethod
    def initialise(
        cls,
        spec: LinearSpec | MLPSpec,
        gens: Sequence[torch.Generator],
        device: str | torch.device = "cpu",
    ) -> StackedHead:
        """One entry per generator; entry e draws its initial weights from ``gens[e]`` only.

        Raises:
            NoisyProbeError: the stack would not fit in memory (checked before allocating,
                so a huge ``hidden`` is refused in one line instead of the OOM killer).
        """
        check_fits_in_memory([(spec, len(gens))], device)
        return cls.from_entries(spec, [spec.init_entry(g) for g in gens], device)

    @classmethod
    def from_entries(
        cls,
        spec: LinearSpec | MLPSpec,
        entries: Sequence[Mapping[str, torch.Tensor]],
        device: str | torch.device = "cpu",
    ) -> StackedHead:
        """Stack per-entry initial parameters (``spec.init_entry`` outputs) into one head."""
        params = {
            k: torch.stack([e[k] for e in entries]).to(device).requires_grad_() for k in entries[0]
        }
        init_buffers = getattr(spec, "init_buffers", dict)()
        buffers = {
            k: v.unsqueeze(0).repeat(len(entries), *([1] * v.dim())).to(device)
            for k, v in init_buffers.items()
        }
        return cls(spec, params, buffers)

    @property
    def num_entries(self) -> int:
        return int(next(iter(self.params.values())).shape[0])

    def parameters(self) -> list[torch.Tensor]:
        return list(self.params.values())

    def __call__(self, inputs, *, train: bool = True) -> HeadOutput:
        return self.spec.forward(self.params, self.buffers, inputs, train)

    def select(self, index: torch.Tensor | Sequence[int]) -> StackedHead:
        """Detached copies of the entries ``index`` (in that order)."""
        idx = torch.as_tensor(index, dtype=torch.long, device=self.device)
        params = {k: v.detach().index_select(0, idx).clone() for k, v in self.params.items()}
        buffers = {k: v.index_select(0, idx).clone() for k, v in self.buffers.items()}
        return StackedHead(self.spec, params, buffers)

    def blend(self, mask: torch.Tensor, source: StackedHead) -> None:
        """In place: entries where ``mask`` is true take the values of ``source``.

        ``mask`` has one value per entry, or one per run (R values for a head with ``copies``
        heads per run, E = copies * R entries in copy-major order): a run's mask then applies
        to every copy of that run.
        """
        e = self.num_entries
        if mask.numel() != e:
            if mask.numel() == 0 or e % mask.numel():
                raise ValueError(f"blend: mask of {mask.numel()} values for {e} entries")
            mask = mask.repeat(e // mask.numel())
        with torch.no_grad():
            for store, other in ((self.params, source.params), (self.buffers, source.buffers)):
                for k, v in store.items():
                    m = mask.view(-1, *([1] * (v.dim() - 1)))
                    v.copy_(torch.where(m, other[k].detach(), v))

    def snapshot(self) -> StackedHead:
        """A detached copy of every entry."""
        return self.select(torch.arange(self.num_entries))

    def to(self, device: str | torch.device) -> StackedHead:
        params = {k: v.detach().to(device) for k, v in self.params.items()}
        return StackedHead(self.spec, params, {k: v.to(device) for k, v in self.buffers.items()})

    @property
    def device(self) -> torch.device:
        return next(iter(self.params.values())).device


_COPIES = 5
"""Float32 copies of each weight a training stack holds: the initial entries, the stacked
parameters, their gradients and Adam's two moments."""


def stack_bytes(spec: LinearSpec | MLPSpec, entries: int) -> int:
    """Bytes the weights of ``entries`` heads of ``spec`` take while training (an estimate).

    Example:
        >>> stack_bytes(LinearSpec(1000, 10), 4)              # 1e4 weights x 4 heads x 5 x 4 B
        800000
    """
    weights = spec.flops_per_sample() // 2  # the weight matrices' entries (biases are tiny)
    return int(weights) * int(entries) * 4 * _COPIES


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import os

        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits_in_memory(
    stacks: Sequence[tuple[LinearSpec | MLPSpec, int]], device: str | torch.device = "cpu"
) -> None:
    """Refuse CPU stacks ((spec, entries) pairs) whose weights exceed the memory available now.

    Example:
        >>> check_fits_in_memory([(LinearSpec(8, 2), 3)])          # tiny: passes
    """
    if torch.device(device).type != "cpu":
        return
    need, have = sum(stack_bytes(s, e) for s, e in stacks), _available_memory()
    if have is not None and need > have:
        from noisyprobe.errors import NoisyProbeError

        gib = 1024**3
        biggest = max(stacks, key=lambda pair: stack_bytes(*pair))
        raise NoisyProbeError(
            f"heads too large: {biggest[1]} x {biggest[0]!r} and the rest need about "
            f"{need / gib:.1f} GiB for weights, gradients and optimizer state; "
            f"{have / gib:.1f} GiB is available (use a smaller hidden size or fewer runs "
            "per stack)"
        )


def _uniform(shape: tuple[int, ...], bound: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(shape, generator=gen, dtype=torch.float32).mul_(2 * bound).sub_(bound)


def _uniform_linear(
    fan_in: int, fan_out: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    bound = 1.0 / math.sqrt(fan_in)
    return _uniform((fan_out, fan_in), bound, gen), _uniform((fan_out,), bound, gen)


def _batchnorm(
    h: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    buffers: Mapping[str, torch.Tensor],
    train: bool,
    momentum: float,
    eps: float,
) -> torch.Tensor:
    """BatchNorm1d per entry: statistics over each entry's own batch (dim 1)."""
    if train:
        n = h.shape[1]
        mean = h.mean(dim=1, keepdim=True)
        var = (h - mean).pow(2).mean(dim=1, keepdim=True)
        if buffers:
            with torch.no_grad():
                unbiased = var.squeeze(1) * (n / max(n - 1, 1))
                buffers["running_mean"].mul_(1 - momentum).add_(momentum * mean.squeeze(1))
                buffers["running_var"].mul_(1 - momentum).add_(momentum * unbiased)
    else:
        mean = buffers["running_mean"].unsqueeze(1)
        var = buffers["running_var"].unsqueeze(1)
    scale = params["bn_weight"].unsqueeze(1) * torch.rsqrt(var + eps)
    return (h - mean) * scale + params["bn_bias"].unsqueeze(1)
