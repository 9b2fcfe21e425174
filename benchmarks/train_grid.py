"""Vectorized trainer vs a per-run PyTorch loop on one grid of runs.

Trains the same grid (methods x noise rates x seeds) on a synthetic Gaussian-mixture
feature set with ``noisyprobe.train.train_runs`` (stacked runs) and with a straightforward
per-run loop — one ``nn.Module``, one ``torch.optim.AdamW`` and one mini-batch
loop per run, the way the papers' code trains. Both use identical hyperparameters, the same
initial weights, the same data order (taken from the trainer's seed streams) and the same
L2 penalty (a fixed ``C``, ``--C`` default 0.1: the per-run loop adds the trainer's gradient
``W / (C N)`` to every weight matrix's gradient, not to biases, before ``AdamW.step``), so
the balanced accuracies should agree up to floating-point effects. Prints the speed ratio, the
mean |delta balanced accuracy| (points) and the achieved GFLOP/s of both against a measured
fp32 matmul peak (``torch.matmul``, same process, same threads).

    python benchmarks/train_grid.py                      # linear grid: lp, gce, elr
    python benchmarks/train_grid.py --methods skd --epochs 10 --baseline-runs 8   # MLP heads
    python benchmarks/train_grid.py --quick              # small and fast
    python benchmarks/train_grid.py --cli --baseline-runs 8   # `noisyprobe fit`, 40 lp seeds

Data orders. A run's data order follows its seed (``RunSpec.data_order_seed``), so in the
default grid a seed's runs at the five noise rates share one order: 40 lp runs are 8 order
groups of 5 runs. ``--rates 0.2 --seeds 40`` gives 40 runs with 40 orders, as ``noisyprobe
fit --seeds 0-39`` trains them by default; ``--shared-order`` gives one order for all.

Budgets. The in-loop comparison trains ``--epochs`` (default 30) on both sides. ``--cli``
times ``noisyprobe fit`` at two budgets by default (``--cli-budget both``): ``--epochs``
(30 epochs, 1,890 steps on 8,000 rows) and fit's own default budget (no ``--epochs``:
``TrainConfig`` trains at least 8000 steps, 127 epochs on 8,000 rows); the per-run loop
trains exactly the epochs ``fit`` trained, with fit's config. Both ratios are printed: the
CLI's fixed costs (importing torch, loading, scoring) weigh less over the longer default
budget, so its ratio is the larger, and quoting it alone would hide the fixed cost.

Penalty. Both sides train at the fixed ``--C`` (default 0.1, ``FIXED_C``), passed to ``fit``
as ``--C``. ``TrainConfig``'s default ``C="auto"`` would first search C by cross-validation
for each distinct training-label vector (noisyprobe.train.penalty): a cost outside the
training loop that a per-run loop matching ``LogisticRegressionCV`` would pay the same way,
so it is left out of both sides.

Two per-run baselines are timed: a loop that slices the feature tensor with each batch's
indices (the leanest per-run loop) and the usual ``DataLoader(TensorDataset(...))`` loop.
Baseline times can be measured on a sample of runs per method and extrapolated to the grid;
methods are timed one after another, vectorized then baselines, so that changes in machine
load affect all of them alike. CPU (process) time is printed next to wall time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from noisyprobe.diagnostics.moments import torch_skew_kurt
from noisyprobe.methods import get as get_method
from noisyprobe.methods.heads import LinearSpec, MLPSpec
from noisyprobe.metrics import balanced_accuracy
from noisyprobe.noise import inject
from noisyprobe.train import RunSpec, TrainConfig, predict_proba_runs, train_runs
from noisyprobe.train.config import FIXED_C
from noisyprobe.train.rng import epoch_permutations
from noisyprobe.train.trainer import build_heads, learning_rate, stack_config

BASELINE_METHODS = ("lp", "gce", "elr", "sce", "label_smoothing", "mlp", "skd")


def make_data(n: int, n_test: int, d: int, c: int, seed: int = 0):
    """A C-class Gaussian mixture in D dims with a low-rank class structure."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(16, d)) / math.sqrt(16)
    centers = rng.normal(size=(c, 16)) @ basis * 0.3
    y = rng.integers(0, c, size=n + n_test)
    x = centers[y] + rng.normal(size=(n + n_test, d))
    x = (x - x[:n].mean(0)) / x[:n].std(0)
    x = x.astype(np.float32)
    return x[:n], y[:n].astype(np.int64), x[n:], y[n:].astype(np.int64)


class BaselineHead(nn.Module):
    """Linear probe or the MLP F -> Z -> C, as separate nn.Linear layers."""

    def __init__(self, spec: LinearSpec | MLPSpec, params: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.mlp = isinstance(spec, MLPSpec)

        def linear(w: torch.Tensor, b: torch.Tensor) -> nn.Linear:
            layer = nn.Linear(w.shape[1], w.shape[0])
            layer.weight.data.copy_(w)
            layer.bias.data.copy_(b)
            return layer

        if self.mlp:
            self.fc1 = linear(params["weight1"], params["bias1"])
            self.fc2 = linear(params["weight2"], params["bias2"])
            self.cls = linear(params["weight_c"], params["bias_c"])
        else:
            self.cls = linear(params["weight"], params["bias"])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if not self.mlp:
            return self.cls(x), None
        z = self.fc2(F.relu(self.fc1(x)))
        return self.cls(z), z


def baseline_loss(method, logits, z, y, idx, state):
    """The method's loss written the usual single-run way."""
    p = method.params
    if method.name in ("lp", "mlp"):
        return F.cross_entropy(logits, y)
    if method.name == "gce":
        py = F.softmax(logits, dim=1).gather(1, y[:, None]).squeeze(1)
        return ((1 - py ** p["q"]) / p["q"]).mean()
    if method.name == "label_smoothing":
        return F.cross_entropy(logits, y, label_smoothing=p["epsilon"])
    if method.name == "sce":
        prob = F.softmax(logits, dim=1).clamp(1e-7, 1.0)
        onehot = F.one_hot(y, logits.shape[1]).float().clamp(min=1e-4, max=1.0)
        rce = -(prob * torch.log(onehot).clamp(min=p["log_zero"])).sum(1)
        return p["alpha"] * F.cross_entropy(logits, y) + p["beta"] * rce.mean()
    if method.name == "elr":
        prob = F.softmax(logits, dim=1).clamp(1e-4, 1 - 1e-4)
        pd = prob.detach()
        state["target"][idx] = p["beta"] * state["target"][idx] + (1 - p["beta"]) * pd / pd.sum(
            1, keepdim=True
        )
        reg = (1 - (state["target"][idx] * prob).sum(1)).log().mean()
        return F.cross_entropy(logits, y) + p["lam"] * reg
    if method.name == "skd":
        loss = F.cross_entropy(logits, y)
        if z.shape[0] >= 4:
            skew, kurt = torch_skew_kurt(z, dim=0)
            loss = loss + p["lambda_s"] * (skew - p["tau_s"]).abs().mean()
            loss = loss + p["lambda_k"] * (kurt - p["tau_k"]).abs().mean()
        c = logits.shape[1]
        hy = logits.gather(1, y[:, None]).squeeze(1)
        others = (logits.sum(1) - hy) / (c - 1)
        return loss + p["lambda_d"] * (F.softplus(hy - others) / math.log(2)).mean()
    raise SystemExit(f"no baseline loop for {method.name}; choose from {BASELINE_METHODS}")


class _EpochOrder(torch.utils.data.Sampler):
    """Yields the trainer's data order of each epoch in turn (same batches as train_runs)."""

    def __init__(self, perms: list[torch.Tensor]) -> None:
        self.perms, self.epoch = perms, 0

    def __iter__(self):
        return iter(self.perms[self.epoch].tolist())

    def __len__(self) -> int:
        return len(self.perms[0])


def train_baseline(
    run: RunSpec, x: torch.Tensor, num_classes: int, config: TrainConfig, *, loader: bool
):
    """One run, one model, one optimiser, one mini-batch loop.

    ``loader=True`` iterates a ``DataLoader`` over a ``TensorDataset`` as the papers' code does;
    ``loader=False`` slices the feature tensor with the batch indices (the leanest loop).
    """
    method = get_method(run.method)(**run.params)
    heads, _ = build_heads(method, [run.seed], x.shape[1], num_classes, torch.device("cpu"))
    head = heads["main"]
    model = BaselineHead(head.spec, {k: v[0].detach() for k, v in head.params.items()})
    opt = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=config.betas
    )
    y_all = torch.from_numpy(run.labels)
    n = x.shape[0]
    l2 = config.l2_strength(n)  # 1 / (C N), as trainer.add_l2_gradient and _LinearCE apply it
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    state = {"target": torch.zeros(n, num_classes)}
    perms = epoch_permutations(run.data_order_seed, n, config.epochs)
    if loader:
        sampler = _EpochOrder(perms)
        data = torch.utils.data.TensorDataset(x, y_all, torch.arange(n))
        batches = torch.utils.data.DataLoader(data, batch_size=config.batch_size, sampler=sampler)
    for epoch in range(config.epochs):
        for group in opt.param_groups:
            group["lr"] = learning_rate(config, epoch)
        if loader:
            sampler.epoch = epoch
            epoch_batches = batches
        else:
            epoch_batches = ((x[i], y_all[i], i) for i in perms[epoch].split(config.batch_size))
        for xb, yb, idx in epoch_batches:
            logits, z = model(xb)
            loss = baseline_loss(method, logits, z, yb, idx, state)
            opt.zero_grad()
            loss.backward()
            if l2:  # the trainer's L2 penalty l2 ||W||^2 / 2 on weight matrices, not biases
                for w in weights:
                    w.grad.add_(w, alpha=l2)
            opt.step()
    return model


def matmul_peak(seconds: float = 1.0) -> float:
    """Measured fp32 GFLOP/s of torch.matmul on 2048 x 2048 matrices."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        reps += 1
    return 2 * 2048**3 * reps / (time.perf_counter() - t0) / 1e9


def train_flops(spec: LinearSpec | MLPSpec, samples: int) -> float:
    """Matmul FLOPs of training: forward, weight gradients, and input gradients past layer 1."""
    if isinstance(spec, LinearSpec):
        return samples * 2 * (2 * spec.in_dim * spec.num_classes)
    first = spec.in_dim * spec.hidden
    rest = spec.hidden * spec.z_dim + spec.z_dim * spec.num_classes
    return samples * 2 * (2 * first + 3 * rest)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--methods", "--method", default="lp,gce,elr", help="comma-separated")
    ap.add_argument("--rates", default="0,0.1,0.2,0.3,0.4", help="symmetric noise rates")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--n", type=int, default=8000)
    ap.add_argument("--n-test", type=int, default=2000)
    ap.add_argument("--d", type=int, default=384)
    ap.add_argument("--c", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=None, help="MLP width (default D)")
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: 2 when the machine is otherwise idle, else 1)",
    )
    ap.add_argument(
        "--baseline-runs",
        type=int,
        default=None,
        help="per method, run the indexed per-run loop on only this many runs (time extrapolated)",
    )
    ap.add_argument(
        "--loader-runs",
        type=int,
        default=4,
        help="per method, runs of the DataLoader per-run loop (0 to skip; time extrapolated)",
    )
    ap.add_argument("--quick", action="store_true", help="n=2000, d=128, 2 seeds, 5 epochs")
    ap.add_argument(
        "--cli",
        action="store_true",
        help="time the whole `noisyprobe fit` CLI (40 lp seeds at --cli-rate) instead, "
        "with a data order per seed and with one shared order (only that with --shared-order)",
    )
    ap.add_argument("--cli-runs", type=int, default=40, help="seeds of the --cli run")
    ap.add_argument(
        "--cli-budget",
        choices=["epochs", "default", "both"],
        default="both",
        help="--cli training budget: --epochs, fit's own default (8000 steps), or both",
    )
    ap.add_argument(
        "--shared-order",
        action="store_true",
        help="every run of the grid uses one data order (RunSpec.order_seed=0)",
    )
    ap.add_argument("--cli-rate", type=float, default=0.2, help="symmetric noise of --cli")
    ap.add_argument("--C", dest="l2_C", type=float, default=FIXED_C, help="L2 penalty C (fixed)")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.n_test, args.d, args.seeds, args.epochs = 2000, 500, 128, 2, 5
    if args.threads is None:
        args.threads = _default_threads()
    torch.set_num_threads(args.threads)
    if args.cli:
        cli_main(args)
        return
    methods = args.methods.split(",")
    rates = [float(r) for r in args.rates.split(",")]
    x, y, xt, yt = make_data(args.n, args.n_test, args.d, args.c)
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, standardize=False, C=args.l2_C
    )
    grid: dict[str, list[RunSpec]] = {}
    for m in methods:
        params = {"hidden": args.hidden} if args.hidden and m in ("mlp", "skd") else {}
        grid[m] = [
            RunSpec(
                m,
                seed,
                inject(y, "symmetric", rate, args.c, seed=1000 + seed).labels,
                params,
                tag=f"{m}/{rate}",
                order_seed=0 if args.shared_order else None,
            )
            for rate in rates
            for seed in range(args.seeds)
        ]
    total = sum(len(v) for v in grid.values())
    print(
        f"grid: {total} runs = {methods} x rates {rates} x {args.seeds} seeds; "
        f"N={args.n} D={args.d} C={args.c}, {args.epochs} epochs, batch {args.batch_size}, "
        f"torch threads {args.threads} (load average {os.getloadavg()[0]:.1f})"
        + ("; one shared data order" if args.shared_order else "")
    )
    peak = matmul_peak()
    xs, xts = torch.from_numpy(x), torch.from_numpy(xt)
    clock = {k: [0.0, 0.0] for k in ("vectorized", "indexed", "loader")}  # wall, cpu
    flops, deltas, ba_all = 0.0, [], {}
    for m, runs in grid.items():  # interleaved per method: load changes hit all three alike
        t0, c0 = time.perf_counter(), time.process_time()
        trained = train_runs(x, runs, num_classes=args.c, config=config, progress=False)
        _tick(clock["vectorized"], t0, c0, 1.0)
        probs = predict_proba_runs(trained, xt)
        ba = [balanced_accuracy(yt, p.argmax(1), num_classes=args.c) for p in probs]
        ba_all.update({r.tag + f"/{r.seed}": b for r, b in zip(runs, ba)})
        spec = get_method(m)(**runs[0].params).heads(args.d, args.c)["main"][0]
        flops += train_flops(spec, args.n * args.epochs) * len(runs)

        position = {id(r): i for i, r in enumerate(runs)}
        sample = runs if args.baseline_runs is None else _spread(runs, args.baseline_runs)
        t0, c0 = time.perf_counter(), time.process_time()
        models = [train_baseline(r, xs, args.c, config, loader=False) for r in sample]
        _tick(clock["indexed"], t0, c0, len(runs) / len(sample))
        with torch.no_grad():
            for r, model in zip(sample, models):
                b = balanced_accuracy(yt, model(xts)[0].argmax(1).numpy(), num_classes=args.c)
                deltas.append(abs(ba[position[id(r)]] - b) * 100)
        if args.loader_runs:
            sample = _spread(runs, args.loader_runs)
            t0, c0 = time.perf_counter(), time.process_time()
            for r in sample:
                train_baseline(r, xs, args.c, config, loader=True)
            _tick(clock["loader"], t0, c0, len(runs) / len(sample))

    def line(name: str, label: str) -> str:
        wall, cpu = clock[name]
        rate = flops / wall / 1e9
        return (
            f"{label:<34}: {wall:8.2f} s wall, {cpu:8.2f} s cpu, {rate:7.1f} GFLOP/s "
            f"({100 * rate / peak:4.1f}% of peak)"
        )

    print(line("vectorized", "vectorized train_runs"))
    print(line("indexed", "per-run loop (tensor indexing)"))
    if args.loader_runs:
        print(line("loader", "per-run loop (DataLoader)"))
    print(f"fp32 torch.matmul peak (2048^2, same threads): {peak:.1f} GFLOP/s")
    v_wall, v_cpu = clock["vectorized"]
    for name, label in (("indexed", "tensor-indexing loop"), ("loader", "DataLoader loop")):
        if name == "loader" and not args.loader_runs:
            continue
        wall, cpu = clock[name]
        print(f"speed ratio vs {label}: {wall / v_wall:.1f}x wall, {cpu / v_cpu:.1f}x cpu")
    print(
        f"mean |delta balanced accuracy| vectorized vs per-run: {np.mean(deltas):.3f} points "
        f"(max {np.max(deltas):.3f}, {len(deltas)} runs)"
    )
    for m in methods:
        cells = []
        for rate in rates:
            vals = [v for k, v in ba_all.items() if k.startswith(f"{m}/{rate}/")]
            cells.append(f"{rate:.1f}: {100 * np.mean(vals):5.1f}")
        print(f"  BA {m:>10} by noise rate  " + "  ".join(cells))


def cli_main(args: argparse.Namespace) -> None:
    """`noisyprobe fit` (subprocess: import, load, train, score, report) vs per-run loops.

    Timed for each budget of ``--cli-budget`` (by default both): ``epochs`` passes
    ``--epochs`` (default 30) to ``fit``; ``default`` passes no ``--epochs``, so ``fit`` trains
    its own default budget (``TrainConfig().epochs_for(N)``: at least 8000 steps, 127 epochs
    on 8000 rows) and the per-run loop trains exactly that many epochs too. Both sides train
    the same steps either way; the longer budget amortises the CLI's fixed costs (imports,
    loading, scoring) over more steps, so its ratio is the larger and both are printed.
    Within a budget, timed twice unless ``--shared-order``: as ``fit`` runs by default, every
    seed with its own data order (one order group per run in the stack), and with
    ``--order-seed 0`` (one data order for the whole stack). The per-run loop trains on the
    same labels (``training_labels``), the same initial weights, the same data order and the
    same L2 penalty (``TrainConfig.C``).
    """
    from noisyprobe.features.store import FeatureSet

    x, y, xt, yt = make_data(args.n, args.n_test, args.d, args.c)
    fs = FeatureSet(
        np.concatenate([x, xt]),
        np.concatenate([y, yt]),
        ["train"] * len(y) + ["test"] * len(yt),
    )
    budgets = ["epochs", "default"] if args.cli_budget == "both" else [args.cli_budget]
    default_epochs = stack_config(
        get_method("lp")(), TrainConfig(batch_size=args.batch_size, C=args.l2_C), args.n
    ).epochs
    print(
        f"CLI: noisyprobe fit --method lp, {args.cli_runs} seeds, symmetric {args.cli_rate}; "
        f"N={args.n} D={args.d} C={args.c}, batch {args.batch_size}, L2 C={args.l2_C:g}, "
        f"budgets: "
        + ", ".join(
            f"--epochs {args.epochs}"
            if b == "epochs"
            else f"fit's default ({default_epochs} epochs)"
            for b in budgets
        )
        + f"; threads {args.threads} (load average {os.getloadavg()[0]:.1f})"
    )
    # One untimed short run first: torch's one-time start-up costs (autograd, AdamW, kernels'
    # first calls) must not be charged to the sampled runs and then extrapolated.
    warm = RunSpec("lp", 0, y[:512])
    train_baseline(warm, torch.from_numpy(x[:512]), args.c, TrainConfig(epochs=1), loader=False)
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        fs.save(Path(tmp) / "fs")
        for budget in budgets:
            epochs = args.epochs if budget == "epochs" else None
            for shared in [True] if args.shared_order else [False, True]:
                summary.append(
                    _cli_compare(args, fs, x, xt, yt, Path(tmp), shared=shared, epochs=epochs)
                )
    print("-- summary (per-run loop time / whole-CLI time)")
    for line in summary:
        print(line)


def _cli_compare(args, fs, x, xt, yt, tmp: Path, *, shared: bool, epochs: int | None) -> str:
    from noisyprobe.train.protocol import Condition, training_labels

    seeds = list(range(args.cli_runs))
    out = tmp / "fit.json"
    cmd = [
        sys.executable, "-m", "noisyprobe", "fit", "--features", str(tmp / "fs"),
        "--method", "lp", "--noise", "symmetric", "--rate", str(args.cli_rate),
        "--seeds", f"0-{len(seeds) - 1}",
        "--batch-size", str(args.batch_size), "--C", f"{args.l2_C:g}", "--no-progress",
        "--out", str(out),
    ] + (["--epochs", str(epochs)] if epochs is not None else []) + (
        ["--order-seed", "0"] if shared else []
    )  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    cli_wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = json.loads(out.read_text())
    records = {r["seed"]: r for r in result["runs"]}
    condition = Condition(noise_kind="symmetric", rate=args.cli_rate)
    # The per-run loop gets fit's own config (C included), with the epochs fit resolved.
    fit_config = TrainConfig(**{**result["config"], "betas": tuple(result["config"]["betas"])})
    config = replace(
        stack_config(get_method("lp")(), fit_config, args.n), standardize=False, device="cpu"
    )
    sample = seeds if args.baseline_runs is None else _spread(seeds, args.baseline_runs)
    xs, xts = torch.from_numpy(x), torch.from_numpy(xt)
    clock, deltas = [0.0, 0.0], []
    for seed in sample:
        order = 0 if shared else None
        run = RunSpec("lp", seed, training_labels(fs, condition, seed)[1], order_seed=order)
        t0, c0 = time.perf_counter(), time.process_time()
        model = train_baseline(run, xs, args.c, config, loader=False)
        _tick(clock, t0, c0, len(seeds) / len(sample))
        with torch.no_grad():
            b = balanced_accuracy(yt, model(xts)[0].argmax(1).numpy(), num_classes=args.c)
        deltas.append(abs(records[seed]["balanced_accuracy"] - b) * 100)
    start_wall, start_cpu = _startup_cost(env)
    label = "one shared data order (--order-seed 0)" if shared else "a data order per seed"
    budget = f"--epochs {epochs}" if epochs is not None else "fit's default budget"
    label = f"{budget}, {config.epochs} epochs, {label}"
    print(f"-- {label}")
    print(f"noisyprobe fit (whole CLI)        : {cli_wall:8.2f} s wall, {cli_cpu:8.2f} s cpu")
    print(f"  of which start-up (imports)     : {start_wall:8.2f} s wall, {start_cpu:8.2f} s cpu")
    print(f"per-run loop (tensor indexing)    : {clock[0]:8.2f} s wall, {clock[1]:8.2f} s cpu")
    ratio = f"{clock[0] / cli_wall:.1f}x wall, {clock[1] / cli_cpu:.1f}x cpu"
    print(f"speed ratio vs tensor-indexing loop: {ratio}")
    dba = f"mean |dBA| {np.mean(deltas):.3f} pt (max {np.max(deltas):.3f}, {len(deltas)} runs)"
    print(f"CLI vs per-run: {dba}")
    return f"  {label}: {ratio}; {dba}"


def _startup_cost(env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of a process that only imports what ``fit`` imports (torch too)."""
    code = "import noisyprobe.cli, noisyprobe.commands.fit, noisyprobe.methods, noisyprobe.train"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _default_threads() -> int:
    """Two threads on an idle 2-core machine; one when other processes keep the cores busy.

    OpenMP workers wait at a barrier after every operation: when another process holds one
    of the two cores, every small operation stalls for a scheduler slice and both the
    vectorized trainer and the per-run loop slow down by an order of magnitude.
    """
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not available on every platform
        load = 0.0
    return max(1, min(2, cores)) if load < 0.5 * cores else 1


def _tick(slot: list[float], t0: float, c0: float, scale: float) -> None:
    slot[0] += (time.perf_counter() - t0) * scale
    slot[1] += (time.process_time() - c0) * scale


def _spread(runs: list, k: int) -> list:
    idx = np.linspace(0, len(runs) - 1, num=min(k, len(runs))).round().astype(int)
    return [runs[i] for i in sorted(set(idx))]


if __name__ == "__main__":
    main()
