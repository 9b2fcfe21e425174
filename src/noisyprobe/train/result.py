"""Trained runs: per-run prediction from a trained stack, and batched prediction of many runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from noisyprobe.methods.context import evaluate_heads
from noisyprobe.methods.heads import StackedHead
from noisyprobe.methods.losses import softmax
from noisyprobe.train.features import Standardizer, check_features

if TYPE_CHECKING:  # pragma: no cover
    from noisyprobe.methods.base import Method
    from noisyprobe.train.config import RunSpec


@dataclass
class TrainedStack:
    """The final parameters of one stack of runs and what is needed to predict with them."""

    method: Method
    heads: dict[str, StackedHead]
    copies: dict[str, int]
    num_runs: int
    num_classes: int
    dim: int
    standardizer: Standardizer
    device: torch.device

    def inputs(self, x: np.ndarray) -> torch.Tensor:
        arr = check_features(x, "X", self.dim)
        return self.standardizer.transform(arr, self.device)

    @torch.no_grad()
    def logits(self, x: torch.Tensor, runs: Sequence[int] | None = None) -> torch.Tensor:
        """Prediction logits [len(runs), n, C] of the selected runs (all by default)."""
        if runs is None or len(runs) == self.num_runs and list(runs) == list(range(self.num_runs)):
            heads, r = self.heads, self.num_runs
        else:
            heads = {
                name: head.select(
                    [j * self.num_runs + i for j in range(self.copies[name]) for i in runs]
                )
                for name, head in self.heads.items()
            }
            r = len(runs)
        return self.method.predict_logits(evaluate_heads(heads, x), r)


@dataclass
class TrainedRun:
    """One trained run: its spec, how long it trained, its history, and its predictions.

    Attributes:
        spec: the :class:`~noisyprobe.train.config.RunSpec` it was trained from.
        epochs_trained: epochs actually run (fewer than configured after early stopping).
        best_epoch: 0-based epoch whose parameters were kept (the last one without early
            stopping).
        history: with ``record_history=True``, ``"loss"`` float32 [epochs, N_train] (per-sample
            cross-entropy of the given label under the method's prediction, at each epoch end)
            and ``"pred"`` int64 [epochs, N_train]; two-head methods add ``"pred_peer"``
            (the peer head's prediction). Empty otherwise.
        params: the method hyperparameters after validation (defaults filled in).
        C: the inverse L2 strength its heads were trained with (``None``: no penalty); with
            ``TrainConfig(C="cv")``, the value cross-validation chose for this run.
    """

    spec: RunSpec
    epochs_trained: int
    best_epoch: int
    history: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    C: float | None = None
    _stack: TrainedStack | None = field(default=None, repr=False)
    _index: int = field(default=0, repr=False)
    _heads: dict[str, StackedHead] | None = field(default=None, repr=False)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities [n, C] (float32) of this run on features X [n, D]."""
        stack = self._stack
        x = stack.inputs(X)
        if self._heads is None:
            self._heads = {
                name: head.select(
                    [j * stack.num_runs + self._index for j in range(stack.copies[name])]
                )
                for name, head in stack.heads.items()
            }
        with torch.no_grad():
            logits = stack.method.predict_logits(evaluate_heads(self._heads, x), 1)[0]
            return softmax(logits).cpu().numpy()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class indices int64 [n]."""
        return self.predict_proba(X).argmax(axis=1).astype(np.int64)


def predict_proba_runs(runs: Sequence[TrainedRun], X: np.ndarray) -> np.ndarray:
    """Probabilities of many runs at once: [len(runs), n, C] float32.

    Runs trained in the same stack are evaluated together (one wide GEMM per layer), which is
    much faster than calling ``predict_proba`` run by run.

    Example:
        >>> import numpy as np
        >>> from noisyprobe.train import RunSpec, TrainConfig, train_runs
        >>> x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
        >>> y = (x[:, 0] > 0).astype(np.int64)
        >>> runs = train_runs(x, [RunSpec("lp", s, y) for s in range(2)], num_classes=2,
        ...                   config=TrainConfig(epochs=2), progress=False)
        >>> predict_proba_runs(runs, x).shape
        (2, 40, 2)
    """
    if not runs:
        return np.zeros((0, 0, 0), dtype=np.float32)
    out: list[np.ndarray | None] = [None] * len(runs)
    by_stack: dict[int, list[int]] = {}
    for i, run in enumerate(runs):
        by_stack.setdefault(id(run._stack), []).append(i)
    for members in by_stack.values():
        stack = runs[members[0]]._stack
        x = stack.inputs(X)
        logits = stack.logits(x, [runs[i]._index for i in members])
        probs = softmax(logits).cpu().numpy()
        for j, i in enumerate(members):
            out[i] = probs[j]
    return np.stack(out)
