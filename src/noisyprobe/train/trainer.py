"""The vectorized multi-run trainer.

Runs that share a method, its stack-level hyperparameters and hence a head shape are trained
as ONE stack: parameters are stacked tensors [R, ...], every step is a handful of batched
matmuls for all R runs, and one AdamW update covers the whole stack (AdamW is element-wise,
so each run's update is exactly the one it would get alone). Each run keeps its own seed-
derived initialisation, data order (runs with the same seed, or the same
``RunSpec.order_seed``, share it, and then share one gathered batch and a wide GEMM), labels,
method state and early-stopping bookkeeping. The feature matrix is shared, never copied per
run. ``lp`` stacks take a closed-form gradient step (:class:`_LinearCE`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from noisyprobe.errors import NoisyProbeError
from noisyprobe.methods import get as get_method
from noisyprobe.methods.base import Method
from noisyprobe.methods.context import StackContext, Step, evaluate_heads
from noisyprobe.methods.heads import LinearSpec, StackedHead, check_fits_in_memory
from noisyprobe.methods.inputs import GroupPlan, Inputs
from noisyprobe.methods.losses import cross_entropy
from noisyprobe.train import rng
from noisyprobe.train.config import DEFAULT_EPOCHS, FIXED_C, RunSpec, TrainConfig
from noisyprobe.train.features import (
    Standardizer,
    check_features,
    check_labels,
    resolve_device,
    stack_labels,
)
from noisyprobe.train.optim import StackedAdamW
from noisyprobe.train.result import TrainedRun, TrainedStack
from noisyprobe.train.validation import balanced_accuracy_rows


def train_runs(
    X_train: np.ndarray,
    runs: Sequence[RunSpec],
    *,
    num_classes: int,
    config: TrainConfig = TrainConfig(),  # noqa: B008  (frozen dataclass)
    X_val: np.ndarray | None = None,
    record_history: bool = False,
    progress: bool = True,
) -> list[TrainedRun]:
    """Train every run, stacking runs of the same method and hyperparameters.

    Args:
        X_train: float features [N, D] shared by all runs (a memory map is fine).
        runs: what to train; each run has its own method, seed and (noisy) labels [N].
        num_classes: C; labels lie in [0, C).
        config: optimisation settings shared by all runs; the epoch count of a stack is
            ``config.epochs_for(N)`` (by default at least 8000 optimizer steps, or the
            method's own ``default_min_steps``; see :func:`stack_config`).
        X_val: validation features [N_val, D] for early stopping (runs then need
            ``val_labels``).
        record_history: keep per-epoch per-sample losses and predictions on the training set.
        progress: show a per-epoch progress bar on stderr.

    Returns:
        One :class:`TrainedRun` per run, in the order given.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(200, 5)).astype(np.float32)
        >>> y = (x[:, 0] > 0).astype(np.int64)
        >>> runs = [RunSpec("lp", 0, y), RunSpec("gce", 1, y, {"q": 0.5})]
        >>> cfg = TrainConfig(epochs=20, lr=5e-2)
        >>> out = train_runs(x, runs, num_classes=2, config=cfg, progress=False)
        >>> [float((r.predict(x) == y).mean()) > 0.9 for r in out]
        [True, True]
    """
    c = _check_num_classes(num_classes)
    x_train = check_features(X_train, "X_train")
    n, d = x_train.shape
    runs = list(runs)
    if not runs:
        return []
    if config.early_stopping and X_val is None:
        raise NoisyProbeError("early stopping needs X_val and val_labels on every run")
    x_val = check_features(X_val, "X_val", d) if X_val is not None else None
    device = resolve_device(config.device)
    # The budget adapts to the data size (and the method) per stack: stacks see fixed epochs.
    stacks = _plan_stacks(runs, n, c, config, x_val)
    with _threads(config.num_threads):
        standardizer = Standardizer.fit(x_train, enabled=config.standardize)
        if x_val is not None:
            Standardizer.fit(x_val, enabled=False, name="X_val")  # finiteness check only
        xt = standardizer.transform(x_train, device)
        xv = standardizer.transform(x_val, device) if x_val is not None else None
        results: list[TrainedRun | None] = [None] * len(runs)
        for method, members, labels, val_labels, stack_config in stacks:
            trained = _train_stack(
                method,
                [runs[i] for i in members],
                labels,
                val_labels,
                xt,
                xv,
                c,
                stack_config,
                standardizer,
                device,
                record_history,
                progress,
            )
            for i, run in zip(members, trained):
                results[i] = run
    return results  # type: ignore[return-value]


def _check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise NoisyProbeError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    if num_classes < 2:
        raise NoisyProbeError(f"num_classes must be >= 2, got {num_classes}")
    return int(num_classes)


def stack_config(method: Method, config: TrainConfig, num_samples: int) -> TrainConfig:
    """``config`` with the epochs a stack of ``method`` on ``num_samples`` rows trains for.

    A method class may declare its own default step budget ``default_min_steps`` (used when
    the config gives neither ``epochs`` nor ``min_steps``; not inherited by subclasses).

    Example:
        >>> from noisyprobe.methods import get
        >>> stack_config(get("gce")(), TrainConfig(), 400).epochs
        2000
        >>> stack_config(get("lp")(), TrainConfig(epochs=7), 400).epochs
        7
    """
    default = vars(type(method)).get("default_min_steps")
    return config.resolved(num_samples, default_min_steps=default)


def _plan_stacks(
    runs: list[RunSpec], n: int, c: int, config: TrainConfig, x_val: np.ndarray | None
) -> list[tuple[Method, list[int], list[np.ndarray], list[np.ndarray] | None, TrainConfig]]:
    """Validate every run and group them into stacks (same method and shared params)."""
    groups: dict[tuple[str, str], tuple[Method, list[int], list, list]] = {}
    for i, run in enumerate(runs):
        cls = get_method(run.method)
        method = cls(**dict(run.params))
        resolved = stack_config(method, config, n)
        method.check_run(method.params, num_classes=c, epochs=resolved.epochs)
        labels = check_labels(run.labels, f"runs[{i}].labels", n, c)
        val = None
        if config.early_stopping:
            if run.val_labels is None:
                raise NoisyProbeError(f"runs[{i}]: early stopping needs val_labels")
            val = check_labels(run.val_labels, f"runs[{i}].val_labels", x_val.shape[0], c)
        key = (run.method, method.stack_key())
        if key not in groups:
            groups[key] = (method, [], [], [])
        groups[key][1].append(i)
        groups[key][2].append(labels)
        groups[key][3].append(val)
    return [
        (m, members, labels, vals if config.early_stopping else None, stack_config(m, config, n))
        for m, members, labels, vals in groups.values()
    ]


@contextlib.contextmanager
def _threads(num: int | None) -> Iterator[None]:
    if num is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(num)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate of ``epoch`` (cosine decay per epoch, or constant).

    ``config.epochs`` should be resolved (see :meth:`TrainConfig.resolved`); ``None`` counts
    as the default 30 epochs.

    Example:
        >>> learning_rate(TrainConfig(lr=1.0, epochs=4), 2)
        0.5
    """
    if config.schedule == "constant":
        return config.lr
    epochs = config.epochs if config.epochs is not None else DEFAULT_EPOCHS
    cos = (1 + math.cos(math.pi * epoch / epochs)) / 2
    return config.min_lr + (config.lr - config.min_lr) * cos


def build_heads(
    method: Method, seeds: Sequence[int], dim: int, num_classes: int, device: torch.device
) -> tuple[dict[str, StackedHead], dict[str, int]]:
    """Initial stacked heads of a method for runs with these seeds (entry j*R + r).

    Each run's initial weights come from its own ``init`` generator, consumed head by head
    (sorted names) and copy by copy, so they do not depend on the other runs.
    """
    plan = method.heads(dim, num_classes)
    check_fits_in_memory([(spec, m * len(seeds)) for spec, m in plan.values()], device)
    gens = [rng.torch_generator(s, rng.INIT) for s in seeds]
    heads, copies = {}, {}
    entries: dict[str, list[dict[str, torch.Tensor]]] = {}
    for r, gen in enumerate(gens):
        for name in sorted(plan):
            spec, m = plan[name]
            for j in range(m):
                entries.setdefault(name, [None] * (m * len(gens)))[j * len(gens) + r] = (
                    spec.init_entry(gen)
                )
    for name in sorted(plan):
        spec, m = plan[name]
        heads[name] = StackedHead.from_entries(spec, entries[name], device)
        copies[name] = m
    return heads, copies


def _optimizer(heads: dict[str, StackedHead], config: TrainConfig) -> StackedAdamW:
    params = [p for name in sorted(heads) for p in heads[name].parameters()]
    return StackedAdamW(
        params,
        lr=config.lr,
        betas=config.betas,
        eps=config.eps,
        weight_decay=config.weight_decay,
    )


def _train_stack(
    method: Method,
    specs: list[RunSpec],
    labels: list[np.ndarray],
    val_labels: list[np.ndarray] | None,
    xt: torch.Tensor,
    xv: torch.Tensor | None,
    num_classes: int,
    config: TrainConfig,
    standardizer: Standardizer,
    device: torch.device,
    record_history: bool,
    progress: bool,
) -> list[TrainedRun]:
    # Runs sharing a seed share their data order; placing them next to each other lets the
    # grouped matmul use plain views of the stacked weights.
    order_seeds = list(dict.fromkeys(s.data_order_seed for s in specs))
    order = sorted(range(len(specs)), key=lambda i: order_seeds.index(specs[i].data_order_seed))
    specs = [specs[i] for i in order]
    labels = [labels[i] for i in order]
    val_labels = [val_labels[i] for i in order] if val_labels is not None else None
    r = len(specs)
    n, d = xt.shape
    seeds = [int(s.seed) for s in specs]
    heads, copies = build_heads(method, seeds, d, num_classes, device)
    optimizer = _optimizer(heads, config)

    group = torch.tensor([order_seeds.index(s.data_order_seed) for s in specs])
    plan = GroupPlan.build(group, len(order_seeds)).to(device)
    order_gens = [rng.torch_generator(s, rng.ORDER) for s in order_seeds]
    group_dev = group.to(device)

    run_params = {
        name: [dict(s.params).get(name, method.defaults.get(name)) for s in specs]
        for name in method.per_run
    }
    ctx = StackContext(
        labels=stack_labels(labels, device),
        num_classes=num_classes,
        x_train=xt,
        heads=heads,
        copies=copies,
        epochs=config.epochs,
        batch_size=config.batch_size,
        seeds=seeds,
        run_params=run_params,
        rngs=[rng.numpy_generator(s, rng.METHOD) for s in seeds],
    )
    method.setup(ctx)

    early = config.early_stopping and xv is not None and val_labels is not None
    stopper = _EarlyStopping(heads, r, config) if early else None
    yv = stack_labels(val_labels, device) if early else None

    history = (
        _History(r, config.epochs, n, method.peer_head is not None) if record_history else None
    )
    sizes = ctx.batch_sizes()
    run_c = _run_strengths(config, xt, labels, num_classes, method)
    l2 = _l2_per_run(config, run_c, n, device)
    fast = _LinearCE.maybe(method, heads, copies, plan, l2)
    # The closed-form lp step folds a shared penalty into its gradient GEMM; otherwise the
    # penalty's gradient is added to the loss's after every step.
    folded = fast is not None and fast.applies_l2
    penalise = (isinstance(l2, torch.Tensor) or bool(l2)) and not folded
    bar = _progress(config.epochs, f"{method.name} x{r}", progress)
    for epoch in range(config.epochs):
        ctx.epoch = epoch
        optimizer.lr = learning_rate(config, epoch)
        method.epoch_start(ctx)
        perms = torch.stack([torch.randperm(n, generator=g) for g in order_gens]).to(device)
        if fast is not None:
            fast.start_epoch(perms, ctx.labels)
        start = 0
        for index, b in enumerate(sizes):
            gidx = perms[:, start : start + b]
            if fast is not None:
                fast.set_grads(xt, gidx, start)
            else:
                xg = xt.index_select(0, gidx.reshape(-1)).view(len(order_seeds), b, d)
                idx = gidx if plan.identity else gidx.index_select(0, group_dev)
                loss = method.loss(Step(ctx, index, len(sizes), idx, Inputs(xg, plan)))
                optimizer.zero_grad()
                loss.sum().backward()
            if penalise:
                add_l2_gradient(heads, l2)
            start += b
            optimizer.step()
        method.epoch_end(ctx)

        if history is not None:
            history.record(epoch, method, evaluate_heads(heads, xt), ctx.labels)
        if stopper is not None and epoch >= method.first_selectable_epoch(ctx):  # no warm-up
            logits = method.predict_logits(evaluate_heads(heads, xv), r)
            stopper.update(epoch, _score(logits, yv, num_classes, config.monitor).cpu(), heads)
        bar.update(1)
        if stopper is not None and stopper.done:
            break
    bar.close()

    if stopper is not None:
        final, best_epoch, epochs_trained = stopper.best, stopper.best_epoch, stopper.epochs
    else:
        final = {k: h.snapshot() for k, h in heads.items()}
        best_epoch = torch.full((r,), config.epochs - 1, dtype=torch.long)
        epochs_trained = torch.full((r,), config.epochs, dtype=torch.long)
    stack = TrainedStack(method, final, copies, r, num_classes, d, standardizer, device)
    out: list[TrainedRun | None] = [None] * r
    for i, spec in enumerate(specs):
        hist = history.for_run(i, int(epochs_trained[i])) if history is not None else {}
        out[order[i]] = TrainedRun(
            spec=spec,
            epochs_trained=int(epochs_trained[i]),
            best_epoch=int(best_epoch[i]),
            history=hist,
            params=dict(method.params, **{k: v[i] for k, v in run_params.items()}),
            C=run_c[i],
            _stack=stack,
            _index=i,
        )
    return out  # type: ignore[return-value]


def penalised(name: str) -> bool:
    """Whether a head parameter carries the L2 penalty: weight matrices, not biases or BN."""
    return name.startswith("weight")


def _run_strengths(
    config: TrainConfig,
    xt: torch.Tensor,
    labels: list[np.ndarray],
    num_classes: int,
    method: Method,
) -> list[float | None]:
    """The ``C`` of each run: the config's, or each run's cross-validated one.

    ``C="cv"`` searches for every run; ``C="auto"`` only when every head of the method's
    ``plan`` is linear and the method allows it (``Method.penalty_search``); others get
    ``FIXED_C``.
    """
    c = config.C
    if c == "auto":
        plan = method.heads(xt.shape[1], num_classes)
        linear = all(isinstance(spec, LinearSpec) for spec, _ in plan.values())
        c = "cv" if linear and method.penalty_search else FIXED_C
    if c != "cv":
        return [None if c is None else float(c)] * len(labels)
    from noisyprobe.train.penalty import cross_validated_cs

    return cross_validated_cs(xt.detach().cpu().numpy(), labels, num_classes)


def _l2_per_run(
    config: TrainConfig, run_c: list[float | None], n: int, device: torch.device
) -> float | torch.Tensor:
    """The penalty coefficient: one float when every run shares it, else [R] per run."""
    l2 = [config.l2_strength(n, c) for c in run_c]
    if len(set(l2)) <= 1:
        return l2[0] if l2 else 0.0
    return torch.tensor(l2, dtype=torch.float32, device=device)


@torch.no_grad()
def add_l2_gradient(heads: dict[str, StackedHead], l2: float | torch.Tensor) -> None:
    """Add ``l2 * W``, the gradient of ``l2 ||W||^2 / 2``, to every weight matrix's gradient.

    Each stacked entry gets the gradient of its own penalty, so every run of the stack is
    penalised as it would be alone. ``l2``: one coefficient, or one per run [R] (a head
    with ``copies`` entries per run, copy-major, repeats it).
    """
    for head in heads.values():
        for name, p in head.params.items():
            if p.grad is None or not penalised(name):
                continue
            if isinstance(l2, torch.Tensor):
                per_entry = l2.repeat(p.shape[0] // l2.numel())
                p.grad.addcmul_(p, per_entry.view(-1, *([1] * (p.dim() - 1))))
            else:
                p.grad.add_(p, alpha=l2)


class _LinearCE:
    """Closed-form gradients of a stack of linear cross-entropy heads (the ``lp`` method).

    The gradient of the mean cross-entropy of a linear head is ``(softmax(h) - onehot(y)) / n``
    on the logits, so a step is one gather of the batch rows, one batched GEMM forward, a
    softmax and one batched GEMM for the weight gradient per order group, with no autograd
    graph (the trainer adds the L2 penalty's gradient afterwards, as on the autograd path).
    Every step writes into buffers allocated once (batch rows, logits, probabilities,
    gradients), and the labels are put in each epoch's data order once per epoch, so a step
    does no allocation and no label gather.
    The weight-gradient GEMM also applies the batch mean and, when every run of the stack
    shares one L2 coefficient, the penalty's gradient: ``baddbmm(W, P - Y, X, beta=l2,
    alpha=1/b)`` is ``(P - Y) X / b + l2 W`` in one pass over the output instead of three
    (scale, GEMM, add); a per-run coefficient is left to :func:`add_l2_gradient`
    (``applies_l2`` is then False).
    It gives the same gradients as ``loss.sum().backward()`` on :meth:`LinearProbe.loss`
    plus the penalty (tested to float precision) and is used only when the method declares
    ``linear_ce`` itself and the runs of each order group sit next to each other in the stack
    (``GroupPlan.contiguous``).

    On the CPU, a stack of many order groups (runs with their own data order) is stepped a
    few groups at a time: each chunk's gathered rows (about ``CHUNK_BYTES``) are still in the
    core's L2 cache when the forward and the weight-gradient GEMMs read them, instead of
    every group's rows (R x batch x D floats, 7.9 MB for 40 runs of 128 rows of D = 384)
    making three trips through L3 or memory. Every group's arithmetic is unchanged (the
    chunks are slices of the same batched calls), so the gradients are bitwise the same;
    measured on 40 separate-order lp runs (N = 8000, D = 384, 1 thread, loaded 2-core
    machine): about 4.2 ms instead of 5.8 ms a step (benchmarks/train_grid.py). A single
    order group (a shared order, ``RunSpec.order_seed``) is one chunk, as before.
    """

    # Gathered rows per chunk, in bytes: well inside a 1 MiB per-core L2 (measured best
    # between 4 and 8 groups of 128 x 384 floats; 1 and 2 groups pay more per-call overhead).
    CHUNK_BYTES = 768 * 1024

    def __init__(
        self, head: StackedHead, groups: int, width: int, l2: float | torch.Tensor
    ) -> None:
        self.weight, self.bias = head.params["weight"], head.params["bias"]
        self.applies_l2 = not isinstance(l2, torch.Tensor)
        self.l2 = float(l2) if self.applies_l2 else 0.0
        self.s, self.k = groups, width
        self.c, self.d = self.weight.shape[1], self.weight.shape[2]
        s, kc, d = groups, width * self.c, self.d
        like = {"device": self.weight.device, "dtype": self.weight.dtype}
        self._grad_w = torch.zeros((s, kc, d), **like)
        self._grad_b = torch.zeros((s, kc), **like)
        self._buffers: dict[int, tuple[torch.Tensor, ...]] = {}
        self._chunks: dict[int, list[_LinearCE._Chunk]] = {}
        self._labels: torch.Tensor | None = None

    @classmethod
    def maybe(
        cls,
        method: Method,
        heads: dict,
        copies: dict,
        plan: GroupPlan,
        l2: float | torch.Tensor,
    ) -> _LinearCE | None:
        if not vars(type(method)).get("linear_ce", False) or set(heads) != {"main"}:
            return None
        head = heads["main"]
        if copies["main"] != 1 or set(head.params) != {"weight", "bias"} or not plan.contiguous:
            return None
        return cls(head, plan.num_groups, plan.width, l2)

    def start_epoch(self, perms: torch.Tensor, labels: torch.Tensor) -> None:
        """Put every run's labels [R, N] in its group's data order ``perms`` [S, N]."""
        s, k, n = self.s, self.k, perms.shape[1]
        order = perms.view(s, 1, n).expand(s, k, n)
        self._labels = labels.view(s, k, n).gather(2, order).view(s, k, 1, n)

    def _batch_buffers(self, b: int) -> tuple[torch.Tensor, ...]:
        if b not in self._buffers:
            s, k, c, d = self.s, self.k, self.c, self.d
            like = {"device": self.weight.device, "dtype": self.weight.dtype}
            self._buffers[b] = (
                torch.empty((s * b, d), **like),  # gathered batch rows
                torch.empty((s, k * c, b), **like),  # logits
                torch.empty((s, k, c, b), **like),  # probabilities, then the logit gradient
                torch.full((s, k, 1, b), -1.0, **like),  # -onehot(y)
            )
        return self._buffers[b]

    class _Chunk:
        """Views of one chunk of order groups into a step's buffers (g groups of K runs).

        ``rows``: its entries of the flattened batch indices; ``groups``: its order groups;
        ``x``: gathered rows [g b, D], ``xg`` the same as [g, b, D]; ``weight`` [g, K C, D];
        ``bias`` [g, K C, 1]; ``z``: logits [g, K C, b]; ``p``: probabilities, then
        ``b`` times the logit gradient [g, K, C, b]; ``minus_onehot`` [g, K, 1, b];
        ``grad_w`` [g, K C, D].
        """

        __slots__ = (
            "rows",
            "groups",
            "x",
            "xg",
            "weight",
            "bias",
            "z",
            "p",
            "minus_onehot",
            "grad_w",
        )

        def __init__(self, **views: Any) -> None:
            for name in self.__slots__:
                setattr(self, name, views[name])

    def _chunk_views(self, b: int) -> list[_LinearCE._Chunk]:
        """The step's chunks of order groups (one chunk off the CPU or for one group)."""
        if b not in self._chunks:
            s, k, c, d = self.s, self.k, self.c, self.d
            rows, z, p, minus_onehot = self._batch_buffers(b)
            per_group = b * d * rows.element_size()
            cpu = rows.device.type == "cpu"
            step = max(1, self.CHUNK_BYTES // per_group) if cpu else s
            w = self.weight.view(s, k * c, d)
            bias = self.bias.view(s, k * c, 1)
            chunks = []
            for g0 in range(0, s, step):
                g1 = min(s, g0 + step)
                x = rows[g0 * b : g1 * b]
                chunks.append(
                    self._Chunk(
                        rows=slice(g0 * b, g1 * b),
                        groups=slice(g0, g1),
                        x=x,
                        xg=x.view(g1 - g0, b, d),
                        weight=w[g0:g1],
                        bias=bias[g0:g1],
                        z=z[g0:g1],
                        p=p[g0:g1],
                        minus_onehot=minus_onehot[g0:g1],
                        grad_w=self._grad_w[g0:g1],
                    )
                )
            self._chunks[b] = chunks
        return self._chunks[b]

    @torch.no_grad()
    def set_grads(self, x: torch.Tensor, gidx: torch.Tensor, start: int) -> None:
        """Gradients of the batch ``gidx`` [S, b] (rows of ``x``) at ``start`` of the epoch."""
        s, k, c = self.s, self.k, self.c
        b = gidx.shape[1]
        flat = gidx.reshape(-1)
        labels = self._labels[..., start : start + b]
        for ch in self._chunk_views(b):
            torch.index_select(x, 0, flat[ch.rows], out=ch.x)
            torch.baddbmm(ch.bias, ch.weight, ch.xg.transpose(1, 2), out=ch.z)
            torch.softmax(ch.z.view_as(ch.p), dim=2, out=ch.p)
            ch.p.scatter_add_(2, labels[ch.groups], ch.minus_onehot)
            torch.baddbmm(
                ch.weight, ch.p.view_as(ch.z), ch.xg, beta=self.l2, alpha=1.0 / b, out=ch.grad_w
            )
        g = self._batch_buffers(b)[2].view(s, k * c, b)
        torch.sum(g, dim=2, out=self._grad_b).mul_(1.0 / b)
        self.weight.grad = self._grad_w.view_as(self.weight)
        self.bias.grad = self._grad_b.view_as(self.bias)


class _EarlyStopping:
    """Per-run early stopping: best-epoch snapshots and patience counters for a stack.

    A run stops ``patience`` epochs after its best validation score; it keeps training with
    the others (its snapshot no longer changes) until every run has stopped.
    """

    def __init__(self, heads: dict[str, StackedHead], runs: int, config: TrainConfig) -> None:
        self.higher_better = config.monitor == "balanced_accuracy"
        self.patience = config.patience
        self.best = {k: h.snapshot() for k, h in heads.items()}
        worst = -math.inf if self.higher_better else math.inf
        self.score = torch.full((runs,), worst, dtype=torch.float64)
        self.best_epoch = torch.zeros(runs, dtype=torch.long)
        self.epochs = torch.full((runs,), config.epochs, dtype=torch.long)
        self.stale = torch.zeros(runs, dtype=torch.long)
        self.stopped = torch.zeros(runs, dtype=torch.bool)

    @property
    def done(self) -> bool:
        return bool(self.stopped.all())

    def update(self, epoch: int, score: torch.Tensor, heads: dict[str, StackedHead]) -> None:
        better = (score > self.score) if self.higher_better else (score < self.score)
        better &= ~self.stopped
        if bool(better.any()):
            for k, h in self.best.items():
                h.blend(better.to(h.device), heads[k])
            self.score = torch.where(better, score, self.score)
            self.best_epoch = torch.where(better, torch.tensor(epoch), self.best_epoch)
        self.stale = torch.where(better, torch.zeros_like(self.stale), self.stale + 1)
        newly = ~self.stopped & (self.stale >= self.patience)
        self.epochs = torch.where(newly, torch.tensor(epoch + 1), self.epochs)
        self.stopped |= newly


def _score(logits: torch.Tensor, y: torch.Tensor, num_classes: int, monitor: str) -> torch.Tensor:
    if monitor == "balanced_accuracy":
        return balanced_accuracy_rows(y, logits.argmax(dim=-1), num_classes)
    return cross_entropy(logits, y).double().mean(dim=-1)


class _History:
    """Per-epoch per-sample training loss and predictions of every run."""

    def __init__(self, runs: int, epochs: int, n: int, peer: bool) -> None:
        self.loss = np.zeros((runs, epochs, n), dtype=np.float32)
        self.pred = np.zeros((runs, epochs, n), dtype=np.int64)
        self.pred_peer = np.zeros((runs, epochs, n), dtype=np.int64) if peer else None

    def record(self, epoch: int, method: Method, logits: dict, labels: torch.Tensor) -> None:
        r = labels.shape[0]
        main = method.predict_logits(logits, r)
        self.loss[:, epoch] = cross_entropy(main, labels).cpu().numpy()
        self.pred[:, epoch] = main.argmax(dim=-1).cpu().numpy()
        if self.pred_peer is not None:
            self.pred_peer[:, epoch] = method.peer_logits(logits, r).argmax(dim=-1).cpu().numpy()

    def for_run(self, i: int, epochs: int) -> dict[str, np.ndarray]:
        out = {"loss": self.loss[i, :epochs].copy(), "pred": self.pred[i, :epochs].copy()}
        if self.pred_peer is not None:
            out["pred_peer"] = self.pred_peer[i, :epochs].copy()
        return out


def _progress(total: int, desc: str, enabled: bool):
    from noisyprobe._progress import progress_bar

    return progress_bar(total=total, desc=desc, unit="epoch", enabled=enabled)
