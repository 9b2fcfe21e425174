"""The local executor: stacks in this process, or in a few worker processes.

On a small machine one process with all cores is the sensible default: a stack is a batched
matrix product that PyTorch already spreads over the cores. ``workers > 1`` runs stacks in
separate processes (spawned, each with ``threads`` PyTorch threads), which helps when stacks
are small.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from noisyprobe.bench.executors import call
from noisyprobe.errors import NoisyProbeError


def _init_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


class LocalExecutor:
    """Run work on this machine.

    Args:
        workers: worker processes (1: run in this process).
        threads: PyTorch threads per worker (default: the cores divided among the workers).

    Example:
        >>> ex = LocalExecutor()
        >>> ex.workers
        1
        >>> ex.close()
    """

    name = "local"

    def __init__(self, *, workers: int = 1, threads: int | None = None) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise NoisyProbeError(f"workers: expected a positive integer, got {workers!r}")
        cores = os.cpu_count() or 1
        self.workers = workers
        self.threads = threads or max(1, cores // workers)
        if self.threads < 1:
            raise NoisyProbeError(f"threads: expected a positive integer, got {threads!r}")
        self._pool = None
        if workers > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=mp.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.threads,),
            )
        elif threads is not None:
            _init_worker(self.threads)

    def map(
        self,
        kind: str,
        payloads: Sequence[dict[str, Any]],
        *,
        on_submit: Callable[[dict[str, Any]], None] | None = None,
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None, str | None]]:
        """Yield ``(payload, result, error)`` for every payload, in completion order.

        ``on_submit(payload)`` is called when a payload starts (in this process) or is
        queued (worker processes).
        """
        if self._pool is None:
            for payload in payloads:
                if on_submit is not None:
                    on_submit(payload)
                out = call(kind, payload)
                yield payload, out.get("result"), out.get("error")
            return
        from concurrent.futures import as_completed

        futures = {}
        for payload in payloads:
            if on_submit is not None:
                on_submit(payload)
            futures[self._pool.submit(call, kind, payload)] = payload
        try:
            for future in as_completed(futures):
                out = future.result()
                yield futures[future], out.get("result"), out.get("error")
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
