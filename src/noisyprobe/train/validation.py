"""Per-run validation scores for early stopping, vectorised over the run axis."""

from __future__ import annotations

import torch


def balanced_accuracy_rows(y: torch.Tensor, pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Balanced accuracy of each row: y, pred long [R, n] -> float64 [R].

    The mean recall over the classes present in that row's ``y`` (scikit-learn's
    ``balanced_accuracy_score``); rows may have different labels (noisy validation labels).

    Example:
        >>> import torch
        >>> balanced_accuracy_rows(torch.tensor([[0, 0, 0, 1]]), torch.tensor([[0, 0, 1, 1]]), 2)
        tensor([0.8333], dtype=torch.float64)
    """
    r, _ = y.shape
    c = int(num_classes)
    offset = torch.arange(r, device=y.device).unsqueeze(1) * (c * c)
    cm = torch.bincount((offset + y * c + pred).reshape(-1), minlength=r * c * c).view(r, c, c)
    support = cm.sum(dim=2).double()
    recall = cm.diagonal(dim1=1, dim2=2).double() / support.clamp_min(1)
    present = support > 0
    return (recall * present).sum(dim=1) / present.sum(dim=1).clamp_min(1)
