"""The demo's benchmark stage: a small real grid into a resumable ledger, then its summary.

Two datasets on two backbones, so that the selector's leave-one-dataset-out validation has
something to hold out: PadChest reports on MiniLM (injected noise on the physician labels and
the real RNN labels) and MNIST-5k digits on EfficientNet-Lite0 (injected noise). The ledger
lives in the noisyprobe cache; a second call finds every run done and only prints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from noisyprobe.bench.spec import canonical_json, parse_spec, sha256_text

DEMO_GRID_METHODS: dict[str, dict[str, Any]] = {
    "lp": {},
    "gce": {"q": 0.7},
    "sce": {},
    "elr": {},
    "coteaching": {},
    # hidden = D = 1280 on EfficientNet features makes CUFIT's two MLPs cost 25x an LP stack
    "cufit": {"hidden": 256, "z_dim": 256},
}
MNIST_IMAGE_SIZE = 128
"""EfficientNet-Lite0 input size for the 28x28 digits (224 costs 3x the time for MNIST)."""


def demo_grid_raw(padchest_path: Path, *, quick: bool = False) -> dict[str, Any]:
    """The demo grid as the mapping a YAML spec would hold (validated by ``parse_spec``).

    Example:
        >>> spec = parse_spec(demo_grid_raw(Path("/tmp/padchest"), quick=True))
        >>> [fs.name for fs in spec.featuresets], spec.seeds
        (['padchest-minilm', 'mnist5k-effnet'], (0, 1))
    """
    mnist: dict[str, Any] = {
        "dataset": "mnist-5k",
        "backbone": "efficientnet-lite0",
        "backbone_options": {"image_size": MNIST_IMAGE_SIZE},
    }
    if quick:
        mnist["limit"] = 2000
    return {
        "name": "demo-quick" if quick else "demo",
        "featuresets": {
            "padchest-minilm": {"path": str(padchest_path)},
            "mnist5k-effnet": mnist,
        },
        "noise": {
            "kinds": ["symmetric", "asymmetric"],
            "rates": [0.0, 0.4] if quick else [0.0, 0.2, 0.4],
            "counting": "exact",
            "label_columns": ["rnn"],
        },
        "methods": DEMO_GRID_METHODS,
        "seeds": "0-1" if quick else "0-2",
        "metric": "balanced_accuracy",
        "train": {"epochs": 15 if quick else 30},
    }


def demo_ledger_path(raw: dict[str, Any]) -> Path:
    """The demo's ledger in the cache, named by a hash of the grid (minus local paths).

    A changed demo grid (another release) starts a new ledger instead of mixing its runs
    into the old one's tables.
    """
    from noisyprobe._io import cache_dir

    grid = {k: v for k, v in raw.items() if k != "featuresets"}
    tag = sha256_text(canonical_json(grid))[:10]
    return cache_dir() / f"{raw['name']}-{tag}.sqlite"


def run_demo_grid(
    *,
    padchest_path: Path,
    quick: bool = False,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> None:
    """Run (or resume) the demo grid into its cached ledger; print its summary and validation."""
    from noisyprobe.bench.ledger import Ledger
    from noisyprobe.bench.runner import run_grid
    from noisyprobe.bench.summary import summarize, to_markdown
    from noisyprobe.errors import NoisyProbeError
    from noisyprobe.select.training import training_table
    from noisyprobe.select.validate import leave_one_dataset_out, validation_markdown

    raw = demo_grid_raw(padchest_path, quick=quick)
    spec = parse_spec(raw)
    ledger_path = demo_ledger_path(raw)
    say(f"\n## Benchmark grid into {ledger_path} (resumes where it stopped)")
    report = run_grid(spec, ledger_path, progress=progress)
    say(
        f"{report.total} runs: {report.already_done} already done, {report.ran} run now, "
        f"{report.failed} failed ({report.seconds:.1f} s)"
    )
    for line in report.failures:
        say(f"  failed: {line}")
    with Ledger(ledger_path, readonly=True) as ledger:
        runs = ledger.runs()
        counts = ledger.counts()
    say("")
    say(to_markdown(summarize(runs, metric=spec.metric, counts=counts), title="Demo benchmark"))
    try:
        validation = leave_one_dataset_out(training_table(ledger_path, metric=spec.metric))
    except NoisyProbeError as exc:
        say(f"selector validation skipped: {exc}")
        return
    say(validation_markdown(validation))
