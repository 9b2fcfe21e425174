"""``nmtune``: NMTune, black-box tuning of a noisy pretrained feature space (ICLR 2024).

An MLP maps the frozen features F to Z in R^D and a linear classifier reads Z. Besides
cross-entropy, three regularisers reshape Z (seed NMTune, eq. 3-6):

* L_MSE = mean over rows of ||F/||F|| - Z/||Z|| ||^2  (keep the pretrained knowledge);
* L_COV = (1/D) sum_{i != j} C(Z)_ij^2, C the batch covariance with M - 1 (decorrelate);
* L_SVD = -sigma_1 / sum_j sigma_j of the batch matrix Z (raise the dominant singular value).

Loss = CE + lambda (L_MSE + L_COV + L_SVD) with lambda = 0.01 and a "2 layers MLP" (Chen et
al.). The hidden width defaults to D.
"""

from __future__ import annotations

from typing import Any

import torch

from noisyprobe.methods._params import check_choice, check_float, check_optional_int
from noisyprobe.methods._spectral import offdiag_cov_sq, singular_values
from noisyprobe.methods.base import HeadPlan, Method, register
from noisyprobe.methods.context import Step
from noisyprobe.methods.heads import MLPSpec
from noisyprobe.methods.losses import cross_entropy


def _normalize(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def nmtune_regularizers(
    f: torch.Tensor, z: torch.Tensor, *, solver: str = "gram"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(L_MSE, L_COV, L_SVD) per run for features F and Z, both [R, M, D] (F may broadcast).

    Example:
        >>> import torch
        >>> f = torch.tensor([[[1.0, 0.0], [0.0, 2.0]]])
        >>> mse, cov, svd = nmtune_regularizers(f, f)
        >>> float(mse[0]), float(cov[0]), round(float(svd[0]), 4)   # sigma = (2, 1)
        (0.0, 1.0, -0.6667)
    """
    mse = (_normalize(f) - _normalize(z)).pow(2).sum(dim=-1).mean(dim=-1)
    cov = offdiag_cov_sq(z) / z.shape[-1]
    sigma = singular_values(z, solver=solver)
    svd = -sigma[..., 0] / sigma.sum(dim=-1).clamp_min(1e-12)
    return mse, cov, svd


@register
class NMTune(Method):
    """NMTune: CE + 0.01 (L_MSE + L_COV + L_SVD) on an MLP F -> Z (Chen et al. 2024).

    Example:
        >>> from noisyprobe.methods import get
        >>> get("nmtune")().params["lam"]
        0.01
    """

    name = "nmtune"
    defaults = {"lam": 0.01, "hidden": None, "svd_solver": "gram"}

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        params["lam"] = check_float(self.name, "lam", params["lam"], low=0.0)
        params["hidden"] = check_optional_int(self.name, "hidden", params["hidden"], low=1)
        check_choice(self.name, "svd_solver", params["svd_solver"], ("gram", "svd"))
        return params

    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        return {"main": (MLPSpec(dim, self.params["hidden"] or dim, dim, num_classes), 1)}

    def loss(self, step: Step) -> torch.Tensor:
        out = step.forward("main")
        ce = cross_entropy(out.logits, step.y).mean(dim=-1)
        lam = self.params["lam"]
        if lam == 0:
            return ce
        mse, cov, svd = nmtune_regularizers(
            step.inputs.dense(), out.z, solver=self.params["svd_solver"]
        )
        return ce + lam * (mse + cov + svd)
