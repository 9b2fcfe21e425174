"""A batched two-component 1-D Gaussian mixture, fitted by EM (DivideMix's clean/noisy split).

``fit_gmm2`` follows ``sklearn.mixture.GaussianMixture(n_components=2)`` step by step: hard
k-means initialisation, EM with ``reg_covar`` added to each variance, convergence when the
mean log-likelihood changes by less than ``tol``, and a final E-step. It fits B independent
mixtures at once (one per head and run) on a [B, N] tensor, in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

_EPS10 = 10 * torch.finfo(torch.float64).eps


@dataclass(frozen=True)
class GMM2:
    """B fitted two-component mixtures: means, variances and weights are [B, 2]."""

    means: torch.Tensor
    variances: torch.Tensor
    weights: torch.Tensor
    converged: torch.Tensor
    n_iter: torch.Tensor

    def log_resp(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean log-likelihood [B], log responsibilities [B, N, 2]) of x [B, N]."""
        return _e_step(x.double(), self.means, self.variances, self.weights)

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior probability of each component: [B, N, 2]."""
        return self.log_resp(x)[1].exp()

    def prob_low(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior of the component with the smaller mean (DivideMix's clean probability)."""
        proba = self.predict_proba(x)
        low = self.means.argmin(dim=1)
        return proba.gather(2, low.view(-1, 1, 1).expand(-1, proba.shape[1], 1)).squeeze(2)


def fit_gmm2(
    x: torch.Tensor,
    *,
    max_iter: int = 100,
    tol: float = 1e-3,
    reg_covar: float = 1e-6,
    kmeans_iter: int = 300,
) -> GMM2:
    """Fit a 2-component GMM to each row of x [B, N] (defaults as scikit-learn's).

    Example:
        >>> import torch
        >>> g = fit_gmm2(torch.tensor([[0.0, 0.1, 0.2, 5.0, 5.1, 5.2]]))
        >>> [round(float(m), 2) for m in g.means[0]]
        [0.1, 5.1]
    """
    x = x.double()
    if x.dim() != 2 or x.shape[1] < 2:
        raise ValueError(f"fit_gmm2 needs x of shape [B, N] with N >= 2, got {tuple(x.shape)}")
    resp = _kmeans_resp(x, kmeans_iter)
    means, variances, weights = _m_step(x, resp, reg_covar)
    b = x.shape[0]
    lower = torch.full((b,), -math.inf, dtype=torch.float64, device=x.device)
    active = torch.ones(b, dtype=torch.bool, device=x.device)
    n_iter = torch.zeros(b, dtype=torch.long, device=x.device)
    for _ in range(max_iter):
        log_norm, log_resp = _e_step(x, means, variances, weights)
        new = _m_step(x, log_resp.exp(), reg_covar)
        keep = active.unsqueeze(1)
        means = torch.where(keep, new[0], means)
        variances = torch.where(keep, new[1], variances)
        weights = torch.where(keep, new[2], weights)
        change = log_norm - lower
        lower = torch.where(active, log_norm, lower)
        n_iter = n_iter + active.long()
        active = active & ~(change.abs() < tol)
        if not bool(active.any()):
            break
    return GMM2(means, variances, weights, ~active, n_iter)


def _kmeans_resp(x: torch.Tensor, iters: int) -> torch.Tensor:
    """Hard 2-means responsibilities (Lloyd's algorithm from the row minimum and maximum)."""
    centers = torch.stack([x.min(dim=1).values, x.max(dim=1).values], dim=1)
    assign = None
    for _ in range(iters):
        new_assign = (x - centers[:, 1:]).abs() < (x - centers[:, :1]).abs()
        if assign is not None and torch.equal(new_assign, assign):
            break
        assign = new_assign
        one = assign.double()
        count1, count0 = one.sum(1), (1 - one).sum(1)
        mean1 = (x * one).sum(1) / count1.clamp_min(1)
        mean0 = (x * (1 - one)).sum(1) / count0.clamp_min(1)
        centers = torch.stack(
            [
                torch.where(count0 > 0, mean0, centers[:, 0]),
                torch.where(count1 > 0, mean1, centers[:, 1]),
            ],
            dim=1,
        )
    one = assign.double()
    return torch.stack([1 - one, one], dim=2)


def _m_step(
    x: torch.Tensor, resp: torch.Tensor, reg_covar: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    nk = resp.sum(dim=1) + _EPS10
    means = (resp * x.unsqueeze(2)).sum(dim=1) / nk
    diff = x.unsqueeze(2) - means.unsqueeze(1)
    variances = (resp * diff * diff).sum(dim=1) / nk + reg_covar
    weights = nk / nk.sum(dim=1, keepdim=True)
    return means, variances, weights


def _e_step(
    x: torch.Tensor, means: torch.Tensor, variances: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    diff = x.unsqueeze(2) - means.unsqueeze(1)
    log_prob = -0.5 * (
        math.log(2 * math.pi) + variances.log().unsqueeze(1) + diff * diff / variances.unsqueeze(1)
    )
    weighted = log_prob + weights.log().unsqueeze(1)
    log_norm = torch.logsumexp(weighted, dim=2)
    return log_norm.mean(dim=1), weighted - log_norm.unsqueeze(2)
