"""Per-sample loss building blocks on stacked logits [..., n, C] (pure functions).

All functions keep every leading axis (runs, heads) and reduce only the class axis, so a
method can weight, mask or average per run afterwards.
"""

from __future__ import annotations

import torch

# Below this many classes, softmax kernels over a contiguous last axis are slow on CPU; the
# class-major layout (softmax over a middle axis, vectorised along samples) is several
# times faster.
_SMALL_C = 32


def _class_major(logits: torch.Tensor) -> torch.Tensor | None:
    """A class-major [..., C, n] tensor with the same values, or None to use the last axis."""
    if logits.dim() < 2:
        return None
    if logits.stride(-1) != 1 and logits.stride(-2) == 1:
        return logits.transpose(-1, -2)
    if logits.shape[-1] <= _SMALL_C and logits.shape[-2] > 1:
        return logits.transpose(-1, -2).contiguous()
    return None


def log_softmax(logits: torch.Tensor) -> torch.Tensor:
    """``log_softmax`` over the class axis (last), fast for few classes.

    Heads return logits [..., n, C] as transposed views of class-major memory; the softmax
    then runs along contiguous samples instead of over a short strided class axis.

    Example:
        >>> import torch
        >>> x = torch.randn(2, 3, 4)
        >>> torch.allclose(log_softmax(x), torch.log_softmax(x, dim=-1))
        True
    """
    cm = _class_major(logits)
    if cm is None:
        return torch.log_softmax(logits, dim=-1)
    return torch.log_softmax(cm, dim=-2).transpose(-1, -2)


def softmax(logits: torch.Tensor) -> torch.Tensor:
    """``softmax`` over the class axis (last), layout-aware like :func:`log_softmax`."""
    cm = _class_major(logits)
    if cm is None:
        return torch.softmax(logits, dim=-1)
    return torch.softmax(cm, dim=-2).transpose(-1, -2)


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-sample cross-entropy ``-log softmax(h)_y``: logits [..., n, C], y [..., n] -> [..., n].

    Example:
        >>> import torch
        >>> round(float(cross_entropy(torch.zeros(1, 2), torch.tensor([0]))[0]), 4)
        0.6931
    """
    return -pick(log_softmax(logits), y)


def pick(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``logits[..., y]`` per sample; y broadcasts over leading axes (e.g. two heads).

    Example:
        >>> import torch
        >>> pick(torch.tensor([[[1.0, 2.0]], [[3.0, 4.0]]]), torch.tensor([[1]]))
        tensor([[2.],
                [4.]])
    """
    index = y.unsqueeze(-1).expand(*logits.shape[:-1], 1)
    return logits.gather(-1, index).squeeze(-1)


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample ``-sum_k t_k log softmax(h)_k`` for soft targets t [..., n, C].

    Example:
        >>> import torch
        >>> t = torch.tensor([[0.5, 0.5]])
        >>> round(float(soft_cross_entropy(torch.zeros(1, 2), t)[0]), 4)
        0.6931
    """
    return -(log_softmax(logits) * target).sum(dim=-1)


def one_hot(y: torch.Tensor, num_classes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One-hot float encoding of long labels: [..., n] -> [..., n, C]."""
    out = torch.zeros(*y.shape, num_classes, dtype=dtype, device=y.device)
    return out.scatter_(-1, y.unsqueeze(-1), 1.0)


def masked_mean(values: torch.Tensor, mask: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Mean of ``values`` over ``dim`` where ``mask`` is true; 0 where nothing is selected.

    Example:
        >>> import torch
        >>> masked_mean(torch.tensor([[1.0, 3.0, 5.0]]), torch.tensor([[True, True, False]]))
        tensor([2.])
    """
    m = mask.to(values.dtype)
    return (values * m).sum(dim) / m.sum(dim).clamp_min(1.0)


def sharpen(p: torch.Tensor, temperature: float) -> torch.Tensor:
    """Temperature sharpening ``p^(1/T) / sum p^(1/T)`` over the class axis (MixMatch).

    Example:
        >>> import torch
        >>> sharpen(torch.tensor([0.25, 0.75]), 0.5)
        tensor([0.1000, 0.9000])
    """
    q = p.pow(1.0 / temperature)
    return q / q.sum(dim=-1, keepdim=True)
