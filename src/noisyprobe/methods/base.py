"""The method interface: head shapes + pure loss functions + optional per-epoch hooks.

A method never loops over runs: it receives stacked tensors with a leading run axis R and
returns one loss per run ([R]); the trainer sums them, so each run's gradient is exactly the
gradient of its own loss. Hyperparameters are keyword-only, validated on construction, and
documented with the paper they come from. Hyperparameters listed in ``per_run`` may differ
between runs of one stack (e.g. Co-Teaching's forget rate set to each run's noise rate).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from noisyprobe._registry import Registry
from noisyprobe.errors import NoisyProbeError
from noisyprobe.methods._params import check_choice, check_optional_int
from noisyprobe.methods.context import StackContext, Step
from noisyprobe.methods.heads import LinearSpec, MLPSpec

REGISTRY: Registry[type[Method]] = Registry("method")

HeadPlan = dict[str, tuple[LinearSpec | MLPSpec, int]]


def register(cls: type[Method]) -> type[Method]:
    """Class decorator: make a method available under ``cls.name``."""
    REGISTRY.register(cls.name)(cls)
    return cls


class Method:
    """Base class of every training method.

    Subclasses set ``name``, ``defaults`` (every hyperparameter with its default) and
    implement :meth:`heads` and :meth:`loss`; the hooks are optional.

    Example:
        >>> from noisyprobe.methods import get
        >>> m = get("gce")(q=0.5)
        >>> m.params["q"]
        0.5
    """

    name: ClassVar[str] = ""
    defaults: ClassVar[dict[str, Any]] = {}
    per_run: ClassVar[tuple[str, ...]] = ()
    # (head name, copy) whose output is the method's prediction, and the peer head (two-head
    # methods) recorded as "pred_peer" in training histories.
    main_head: ClassVar[tuple[str, int]] = ("main", 0)
    peer_head: ClassVar[tuple[str, int] | None] = None
    # Whether TrainConfig's C="auto" may give this method's linear heads the C that
    # cross-validating a logistic regression picks (noisyprobe.train.penalty): the right
    # penalty for cross-entropy on the given labels. A method that trains on its own
    # predictions (ELR's running targets, DivideMix's co-guessed labels and loss-GMM) sets
    # False and gets FIXED_C: so strong a penalty keeps its predictions near uniform and
    # starves that mechanism.
    penalty_search: ClassVar[bool] = True

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            known = ", ".join(sorted(self.defaults)) or "none"
            raise NoisyProbeError(
                f"{self.name}: unknown hyperparameter(s) {', '.join(unknown)}; expected: {known}"
            )
        merged = {**self.defaults, **params}
        self.params: dict[str, Any] = self.validate(merged)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        """Check hyperparameter values; return the validated (possibly normalised) dict."""
        return params

    def stack_key(self) -> str:
        """Identity of the hyperparameters that must be equal within one stack."""
        shared = {k: v for k, v in self.params.items() if k not in self.per_run}
        return json.dumps(shared, sort_keys=True, default=repr)

    # -- what to train -------------------------------------------------------------------
    def heads(self, dim: int, num_classes: int) -> HeadPlan:
        """name -> (head spec, heads per run)."""
        raise NotImplementedError

    def check_run(self, params: Mapping[str, Any], *, num_classes: int, epochs: int) -> None:
        """Validate settings that depend on the problem (number of classes, epochs)."""

    def first_selectable_epoch(self, ctx: StackContext) -> int:
        """First epoch (0-based) early stopping may select: the epoch after the warm-up.

        A method with a plain-CE warm-up (Forward, DivideMix) overrides :meth:`warmup`; an
        epoch of the warm-up is never chosen as the best one, since it is not yet the method.
        Clipped to the last epoch so that short schedules still select something. Called
        after :meth:`setup`.
        """
        return min(self.warmup(ctx.epochs), max(ctx.epochs - 1, 0))

    def warmup(self, epochs: int) -> int:
        """Number of warm-up epochs that do not train the method's own loss (default 0)."""
        return 0

    @classmethod
    def noise_params(cls, params: Mapping[str, Any], *, kind: str, rate: float) -> dict:
        """Per-run hyperparameters set from a KNOWN injected noise (kind, rate).

        A benchmark that injects the noise itself knows it; methods whose paper uses the true
        noise (Co-Teaching's forget rate, DivideMix's asymmetric-noise warm-up penalty)
        override this. Returns only the updates; values the user set are kept. Every key
        returned must be in ``per_run`` (runs of one stack may have different noise).

        Example:
            >>> from noisyprobe.methods import get
            >>> get("gce").noise_params({}, kind="symmetric", rate=0.4)
            {}
        """
        return {}

    # -- hooks ---------------------------------------------------------------------------
    def setup(self, ctx: StackContext) -> None:
        """Called once before the first epoch (allocate per-run state in ``ctx.state``)."""

    def epoch_start(self, ctx: StackContext) -> None:
        """Called at the start of every epoch (``ctx.epoch`` is set)."""

    def loss(self, step: Step) -> torch.Tensor:
        """One loss per run for this mini-batch: [R]."""
        raise NotImplementedError

    def epoch_end(self, ctx: StackContext) -> None:
        """Called after the last step of every epoch."""

    # -- prediction ----------------------------------------------------------------------
    def predict_logits(self, logits: Mapping[str, torch.Tensor], num_runs: int) -> torch.Tensor:
        """The method's prediction [R, n, C] from every head's logits [E, n, C]."""
        name, copy = self.main_head
        return _copy(logits[name], num_runs, copy)

    def peer_logits(self, logits: Mapping[str, torch.Tensor], num_runs: int) -> torch.Tensor | None:
        if self.peer_head is None:
            return None
        name, copy = self.peer_head
        return _copy(logits[name], num_runs, copy)


def known_noise_params(
    method: str, params: Mapping[str, Any], *, kind: str | None, rate: float
) -> dict[str, Any]:
    """``params`` completed with what ``method`` takes from a known injected noise.

    ``kind`` None (no injected noise, e.g. real noisy labels) leaves ``params`` unchanged:
    the method then estimates what it needs.

    Example:
        >>> known_noise_params("coteaching", {}, kind="symmetric", rate=0.4)
        {'forget_rate': 0.4}
        >>> known_noise_params("coteaching", {"forget_rate": 0.2}, kind="symmetric", rate=0.4)
        {'forget_rate': 0.2}
        >>> known_noise_params("coteaching", {}, kind=None, rate=0.0)
        {}
    """
    out = dict(params)
    if kind:
        out.update(REGISTRY.get(method).noise_params(out, kind=kind, rate=float(rate)))
    return out


def _copy(logits: torch.Tensor, num_runs: int, copy: int) -> torch.Tensor:
    return logits[copy * num_runs : (copy + 1) * num_runs]


# -- helpers shared by the loss-only methods ------------------------------------------------
HEAD_DEFAULTS: dict[str, Any] = {"head": "linear", "hidden": None}


def check_head_params(method: str, params: dict[str, Any]) -> None:
    """Validate the ``head`` ("linear" or "mlp") and ``hidden`` (None = D) options."""
    check_choice(method, "head", params["head"], ("linear", "mlp"))
    params["hidden"] = check_optional_int(method, "hidden", params["hidden"], low=1)


def head_spec(params: Mapping[str, Any], dim: int, num_classes: int) -> LinearSpec | MLPSpec:
    """The linear probe, or the 2-layer MLP F -> Z (width ``hidden``, Z = D) + linear."""
    if params.get("head", "linear") == "linear":
        return LinearSpec(dim, num_classes)
    hidden = params.get("hidden") or dim
    return MLPSpec(dim, hidden, dim, num_classes)
