"""Time and peak memory of every diagnostic on N = 100,000 x D = 1,024 float32 features.

The features are synthetic (ReLU of a 10-class Gaussian mixture projected to D, so they are
skewed, heavy-tailed and low-rank-ish like real backbone features) and memory-mapped from a
temporary ``.npy``. Each diagnostic runs in its own subprocess, which first times one full
read pass over the matrix (the baseline of its ratio, measured in the same process and
warming the page cache), then the diagnostic while a thread samples the process's anonymous
resident memory (``RssAnon`` in /proc/self/status: the working memory, excluding the mapped
file pages that the memmap adds to RSS). ``maxrss+`` is the ``ru_maxrss`` increase, which
does include mapped file pages.

Run: ``PYTHONPATH=src python benchmarks/diagnostics.py [--n 100000] [--d 1024]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

KNN_QUERIES = 2000
HISTORY_EPOCHS = 20

DIAGNOSTICS = {
    "X^T X (float64, centred)": "gram",
    "moment_summary (skew/kurt)": "moments",
    "singular_value_entropy": "sve",
    "spectrum_summary (both centrings)": "spectrum",
    "linear_cka (D vs D/2 dims)": "cka",
    "linear_cka debiased": "cka_debiased",
    f"knn_accuracy k=20 ({KNN_QUERIES} queries)": "knn",
    f"knn_label_agreement k=20 ({KNN_QUERIES} q.)": "knn_agreement",
    "loss_overlap (N losses, KDE)": "overlap",
    f"small_loss_analysis ({HISTORY_EPOCHS} epochs x N)": "small_loss",
}


def make_features(path: Path, n: int, d: int, seed: int = 0) -> np.ndarray:
    """Write synthetic backbone-like float32 features to ``path`` (chunked) and return labels."""
    rng = np.random.default_rng(seed)
    latent, classes = 64, 10
    centres = rng.normal(size=(classes, latent)) * 1.5
    proj = rng.normal(size=(latent, d)) / np.sqrt(latent)
    labels = rng.integers(0, classes, n)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    for start in range(0, n, 8192):
        y = labels[start : start + 8192]
        z = centres[y] + rng.normal(size=(y.size, latent))
        out[start : start + y.size] = np.maximum(z @ proj + 0.1 * rng.normal(size=(y.size, d)), 0)
    out.flush()
    del out
    return labels


def _rss_anon_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class PeakSampler:
    """Samples RssAnon every few milliseconds on a background thread; keeps the maximum."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_anon_kb())
            time.sleep(self.interval)

    def __enter__(self) -> PeakSampler:
        self.peak = _rss_anon_kb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_anon_kb())


def read_pass(x: np.ndarray) -> float:
    total = 0.0
    for start in range(0, x.shape[0], 4096):
        total += float(np.asarray(x[start : start + 4096], dtype=np.float64).sum())
    return total


def worker(kind: str, path: str, labels_path: str) -> dict[str, float]:
    from noisyprobe.diagnostics import _blocks, cka, knn, small_loss, spectrum, summaries

    x = np.load(path, mmap_mode="r")
    y = np.load(labels_path)
    n = x.shape[0]
    rng = np.random.default_rng(1)
    queries = np.sort(rng.choice(n, size=min(KNN_QUERIES, n), replace=False))
    train = np.setdiff1d(np.arange(n), queries)
    noisy = rng.random(n) < 0.3
    losses = rng.exponential(size=n) * np.where(noisy, 2.0, 1.0)
    history = {
        "loss": np.stack([losses * (e + 1) ** -0.3 for e in range(HISTORY_EPOCHS)]).astype(
            np.float32
        ),
        "pred": np.tile(np.where(noisy, (y + 1) % 10, y), (HISTORY_EPOCHS, 1)),
    }
    jobs = {
        "gram": lambda: _blocks.centred_products(x),
        "moments": lambda: summaries.moment_summary(x),
        "sve": lambda: spectrum.singular_value_entropy(x),
        "spectrum": lambda: spectrum.spectrum_summary(x),
        "cka": lambda: cka.linear_cka(x, x[:, x.shape[1] // 2 :]),
        "cka_debiased": lambda: cka.linear_cka(x, x[:, x.shape[1] // 2 :], debiased=True),
        "knn": lambda: knn.knn_accuracy(
            _blocks.RowView(x, train), y[train], np.asarray(x[queries]), y[queries], k=20
        ),
        "knn_agreement": lambda: knn.knn_label_agreement(x, y, k=20, queries=queries),
        "overlap": lambda: small_loss.loss_overlap(losses[~noisy], losses[noisy]),
        "small_loss": lambda: small_loss.small_loss_analysis(history, y, noisy),
    }
    import noisyprobe.metrics  # noqa: F401  (imports and BLAS threads start outside the timing)

    _ = np.ones((256, 256)) @ np.ones((256, 256))
    t0 = time.perf_counter()
    read_pass(x)
    base = time.perf_counter() - t0
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with PeakSampler() as sampler:
        anon0 = _rss_anon_kb()
        t0 = time.perf_counter()
        jobs[kind]()
        seconds = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "read_pass": base,
        "peak_anon_mb": (sampler.peak - anon0) / 1024,
        "maxrss_delta_mb": (rss1 - rss0) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=1024)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--labels", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.path, args.labels)))
        return
    with tempfile.TemporaryDirectory(prefix="np-diag-bench-") as tmp:
        path, labels_path = Path(tmp) / "x.npy", Path(tmp) / "y.npy"
        t0 = time.perf_counter()
        np.save(labels_path, make_features(path, args.n, args.d))
        size_mb = path.stat().st_size / 2**20
        print(
            f"features: N={args.n:,} x D={args.d:,} float32 memmap ({size_mb:.0f} MB), "
            f"written in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPU cores"
        )
        rows = []
        for label, kind in DIAGNOSTICS.items():
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                kind,
                "--path",
                str(path),
                "--labels",
                str(labels_path),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if done.returncode != 0:
                raise SystemExit(f"{label} failed:\n{done.stderr}")
            rows.append((label, json.loads(done.stdout.strip().splitlines()[-1])))
        gram = rows[0][1]["seconds"]
        head = (
            f"{'diagnostic':46s} {'seconds':>8s} {'x read':>7s} {'x XtX':>6s} "
            f"{'peak anon MB':>12s} {'maxrss+ MB':>10s}"
        )
        print(head)
        print("-" * len(head))
        for label, r in rows:
            print(
                f"{label:46s} {r['seconds']:8.2f} {r['seconds'] / r['read_pass']:7.1f} "
                f"{r['seconds'] / gram:6.2f} {r['peak_anon_mb']:12.0f} {r['maxrss_delta_mb']:10.0f}"
            )
        reads = [r["read_pass"] for _, r in rows]
        print(
            f"baseline 'x read' = one float64 read pass over the memmap in the same process "
            f"(median {np.median(reads):.2f} s); 'x XtX' = relative to the first row"
        )


if __name__ == "__main__":
    main()
