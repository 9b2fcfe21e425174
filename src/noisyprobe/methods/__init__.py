"""Training methods for heads on frozen features, one file each, registered by name.

``available()`` lists them; ``get(name)`` returns the method class, whose keyword-only
hyperparameters default to the values of the paper it comes from. Every method works on
stacked runs (leading run axis) and is trained by :func:`noisyprobe.train.train_runs`.

Example:
    >>> from noisyprobe import methods
    >>> "elr" in methods.available()
    True
    >>> methods.get("elr")(lam=1.0).params["lam"]
    1.0
"""

from __future__ import annotations

from noisyprobe.methods import (  # noqa: F401  (importing registers each method)
    coteaching,
    cufit,
    dividemix,
    elr,
    forward,
    gce,
    label_smoothing,
    lp,
    mlp,
    nmtune,
    nmtune_official,
    sce,
    skd,
)
from noisyprobe.methods.base import REGISTRY, Method

__all__ = ["Method", "available", "get"]


def available() -> list[str]:
    """Names of every registered method, sorted."""
    return REGISTRY.names()


def get(name: str) -> type[Method]:
    """The method class registered as ``name`` (unknown names raise NoisyProbeError)."""
    return REGISTRY.get(name)
