"""Training settings (:class:`TrainConfig`) and the description of one run (:class:`RunSpec`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from noisyprobe.errors import NoisyProbeError

DEFAULT_EPOCHS = 30
DEFAULT_MIN_STEPS = 8000
DEFAULT_C = "auto"
FIXED_C = 0.1
"""The ``C`` that ``C="auto"`` gives heads with a hidden layer (MLP heads)."""
_SCHEDULES = ("cosine", "constant")
_MONITORS = ("balanced_accuracy", "loss")


@dataclass(frozen=True)
class TrainConfig:
    """How every run of a ``train_runs`` call is optimised.

    Defaults follow the frozen-feature practice of the seed papers: AdamW (NMTune's official
    code uses AdamW with a cosine schedule), learning rate 1e-3, batch 128 (NMTune, Co-Teaching and
    ELR code), cosine decay per epoch to ``min_lr``, features standardised on the training split.

    Training budget: a fixed epoch count undertrains small data sets (400 rows at batch 128
    are 4 steps an epoch, so 30 epochs are only 120 optimizer steps). When ``epochs`` is not
    given, a run trains for ``max(30, ceil(min_steps / batches_per_epoch))`` epochs with
    ``min_steps = 8000``: 2000 epochs for 400 rows, 127 for 8,000 rows (63 steps an epoch).

    Regularisation: every head's weight matrices (not biases, not batch-norm) carry the L2
    penalty of scikit-learn's ``LogisticRegression(C=C)`` scaled to the mean loss,
    ``||W||^2 / (2 C N)`` over N training rows. The seed papers all train with (coupled,
    SGD) weight decay; AdamW's decoupled 1e-4 is too weak to matter, and without a penalty
    a linear head on separable data keeps growing its weights. No fixed C serves every data
    set: with 30% symmetric noise, C = 0.1 puts ``lp`` 7 points below
    ``LogisticRegressionCV`` on the IU X-ray reports (MiniLM and mpnet features, where
    cross-validation picks C = 1e-4 to 8e-4) and 10 points below on a 384-dim mixture, yet
    within 0.5 on breast_cancer, digits and an 8k-row set (benchmarks/baseline_sklearn.py).
    So by default (``C="auto"``) a run whose heads are all linear gets the C that
    cross-validation picks on its own training labels, as ``LogisticRegressionCV`` would,
    and heads with a hidden layer get ``FIXED_C = 0.1`` (a linear model's C of 1e-4 would
    crush them), as do methods that train on their own predictions (ELR, DivideMix: on
    the IU reports with 30% noise they lose 2.4 and 8.8 points under the searched C;
    ``Method.penalty_search``). The search is per training-label vector (cached), so
    linear-head methods of a condition share one C and the limit cases (forward with the
    identity, Co-Teaching with forget rate 0) still equal ``lp``; at any explicit C, so
    does ELR with lambda 0.
    A method class may bring its own default step budget (``default_min_steps``), used only
    when neither is given (see :func:`noisyprobe.train.trainer.stack_config`).
    An explicit ``epochs`` is honoured exactly unless ``min_steps`` is also given; see
    :meth:`epochs_for`.

    Attributes:
        epochs: passes over the training set (at least; see ``min_steps``). ``None`` (not
            given): 30, and the step budget applies; :meth:`epochs_for` resolves it.
        min_steps: lower bound on optimizer steps; the epoch count grows until
            ``epochs * batches_per_epoch >= min_steps``. ``None`` (not given): the method's
            default budget (8000 unless it sets ``default_min_steps``) when ``epochs`` is not
            given either, else 0 (exactly ``epochs`` epochs).
        batch_size: mini-batch size (the last batch of an epoch may be smaller).
        lr: peak AdamW learning rate.
        weight_decay: AdamW decoupled weight decay.
        C: inverse L2 strength as in scikit-learn: penalty ``||W||^2 / (2 C N)`` on every
            weight matrix of every head (``None``: no penalty). ``"cv"``: chosen per run as
            ``LogisticRegressionCV`` would, by 5-fold cross-validation of a logistic
            regression on the run's training labels over ``logspace(-4, 4, 10)``
            (:mod:`noisyprobe.train.penalty`; ten warm-started L-BFGS fits per distinct label
            vector, about 8 s for 2,700 x 384 on one core). ``"auto"`` (default): ``"cv"``
            for methods whose heads are all linear (unless ``Method.penalty_search`` is
            False), ``FIXED_C`` otherwise.
        standardize: centre and scale each feature with training-split statistics.
        early_stopping: keep each run's parameters from its best validation epoch and stop a
            run after ``patience`` epochs without improvement (needs ``X_val``/``val_labels``).
        patience: epochs without improvement before a run stops.
        monitor: validation criterion, ``"balanced_accuracy"`` (higher is better) or
            ``"loss"`` (validation cross-entropy, lower is better).
        schedule: ``"cosine"`` (lr_e = min_lr + (lr - min_lr)(1 + cos(pi e / epochs)) / 2) or
            ``"constant"``.
        min_lr: final learning rate of the cosine schedule.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when available).
        num_threads: torch CPU threads while training (None: leave torch's setting).
        betas, eps: AdamW moments.

    Example:
        >>> TrainConfig(epochs=5).lr
        0.001
        >>> from dataclasses import replace
        >>> replace(TrainConfig(), epochs=6).epochs_for(400)      # explicit epochs: exact
        6
        >>> TrainConfig().epochs_for(400), TrainConfig().epochs_for(8000)
        (2000, 127)
        >>> TrainConfig(C=0.1).l2_strength(400)              # 1 / (C N)
        0.025
    """

    epochs: int | None = None
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    standardize: bool = True
    early_stopping: bool = False
    patience: int = 5
    monitor: str = "balanced_accuracy"
    schedule: str = "cosine"
    min_lr: float = 0.0
    device: str = "cpu"
    num_threads: int | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    min_steps: int | None = None
    C: float | str | None = DEFAULT_C

    def __post_init__(self) -> None:
        if self.epochs is not None:
            _positive_int("epochs", self.epochs)
        m = self.min_steps
        bad = isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0
        if m is not None and bad:
            raise NoisyProbeError(f"TrainConfig.min_steps must be an integer >= 0, got {m!r}")
        _positive_int("batch_size", self.batch_size)
        _positive_int("patience", self.patience)
        if self.num_threads is not None:
            _positive_int("num_threads", self.num_threads)
        for name in ("lr", "weight_decay", "min_lr", "eps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise NoisyProbeError(f"TrainConfig.{name} must be a number >= 0, got {value!r}")
        if self.lr <= 0:
            raise NoisyProbeError(f"TrainConfig.lr must be > 0, got {self.lr!r}")
        c = self.C
        number = isinstance(c, (int, float)) and not isinstance(c, bool)
        chosen = c in ("cv", "auto")
        if c is not None and not chosen and not (number and math.isfinite(c) and c > 0):
            raise NoisyProbeError(
                f"TrainConfig.C must be a number > 0, 'cv', 'auto' or None, got {c!r}"
            )
        if self.schedule not in _SCHEDULES:
            raise NoisyProbeError(f"TrainConfig.schedule must be one of {', '.join(_SCHEDULES)}")
        if self.monitor not in _MONITORS:
            raise NoisyProbeError(f"TrainConfig.monitor must be one of {', '.join(_MONITORS)}")
        if not isinstance(self.device, str) or not self.device:
            raise NoisyProbeError("TrainConfig.device must be 'cpu', 'cuda', 'cuda:N' or 'auto'")

    def l2_strength(self, num_samples: int, c: float | None = None) -> float:
        """Coefficient ``1 / (C N)`` of the penalty ``l2 ||W||^2 / 2`` (0 when ``C`` is None).

        ``c``: the value to use when ``C`` is ``"cv"`` or ``"auto"`` (chosen per run by the
        trainer).
        """
        value = c if self.C in ("cv", "auto") else self.C
        return 0.0 if value is None else 1.0 / (float(value) * int(num_samples))

    def epochs_for(self, num_samples: int, *, default_min_steps: int | None = None) -> int:
        """Epochs a run on ``num_samples`` training rows gets: enough for ``min_steps`` steps.

        Args:
            num_samples: training rows.
            default_min_steps: the step budget when neither ``epochs`` nor ``min_steps`` is
                given (``None``: 8000). The trainer passes the method's own, if it has one.

        Example:
            >>> TrainConfig(epochs=10, min_steps=100, batch_size=50).epochs_for(200)
            25
            >>> TrainConfig(epochs=10).epochs_for(200)        # explicit epochs: exact
            10
            >>> TrainConfig().epochs_for(400, default_min_steps=2000)
            500
        """
        epochs = DEFAULT_EPOCHS if self.epochs is None else int(self.epochs)
        min_steps = self.min_steps
        if min_steps is None:
            default = DEFAULT_MIN_STEPS if default_min_steps is None else int(default_min_steps)
            min_steps = default if self.epochs is None else 0
        batches = max(1, math.ceil(int(num_samples) / self.batch_size))
        return max(epochs, math.ceil(int(min_steps) / batches))

    def resolved(self, num_samples: int, *, default_min_steps: int | None = None) -> TrainConfig:
        """This config with the epoch count fixed for ``num_samples`` rows (``min_steps=0``).

        Example:
            >>> TrainConfig().resolved(400).epochs
            2000
        """
        epochs = self.epochs_for(num_samples, default_min_steps=default_min_steps)
        return replace(self, epochs=epochs, min_steps=0)


@dataclass(frozen=True)
class RunSpec:
    """One training run: a method, a seed and the labels to learn from.

    Attributes:
        method: registered method name (see ``noisyprobe.methods.available()``).
        seed: drives the run's initial weights, data order and method randomness; runs with
            the same seed share data order and initialisation (common random numbers).
        labels: int64 [N_train] training labels, possibly noisy.
        params: method hyperparameters.
        val_labels: int64 [N_val] labels of the validation split for early stopping (possibly
            noisy, as in practice).
        tag: free-form identifier carried to the result (e.g. the noise condition).
        order_seed: seed of the data order only (``None``: ``seed``). Runs of a stack with
            one order seed share every mini-batch, so the trainer gathers it once and runs
            one wide GEMM for all of them (much faster when each run would otherwise have
            its own order); initial weights and method randomness still follow ``seed``.
            Shared orders are common random numbers: seed-to-seed spread then leaves out the
            data-order component.

    Example:
        >>> import numpy as np
        >>> RunSpec("gce", 0, np.array([0, 1, 1]), {"q": 0.5}).params["q"]
        0.5
    """

    method: str
    seed: int
    labels: np.ndarray
    params: Mapping[str, Any] = field(default_factory=dict)
    val_labels: np.ndarray | None = None
    tag: str = ""
    order_seed: int | None = None

    @property
    def data_order_seed(self) -> int:
        """The seed of this run's data order (``order_seed``, else ``seed``)."""
        return int(self.seed if self.order_seed is None else self.order_seed)

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise NoisyProbeError(f"RunSpec.seed must be an integer, got {self.seed!r}")
        if int(self.seed) < 0:
            raise NoisyProbeError(f"RunSpec.seed must be >= 0, got {self.seed}")
        o = self.order_seed
        if o is not None and (isinstance(o, bool) or not isinstance(o, (int, np.integer)) or o < 0):
            raise NoisyProbeError(f"RunSpec.order_seed must be an integer >= 0 or None, got {o!r}")
        if not isinstance(self.method, str):
            raise NoisyProbeError(f"RunSpec.method must be a method name, got {self.method!r}")
        if not isinstance(self.params, Mapping):
            raise NoisyProbeError("RunSpec.params must be a mapping of hyperparameters")


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise NoisyProbeError(f"TrainConfig.{name} must be an integer >= 1, got {value!r}")
