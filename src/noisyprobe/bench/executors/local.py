"""The local executor: stacks in this process, or in a few worker processes.

On a small machine one process with all cores is the sensible default: a stack is a batched
matrix product that PyTorch already spreads over the cores. ``workers > 1`` runs stacks in
separate processes (spawned, each with ``threads`` PyTorch threads), which helps when stacks
are small.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from noisyprobe.bench.executors import call
from noisyprobe.errors import NoisyProbeError

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL_SECONDS = 0.5


def _init_worker(threads: int, parent: int | None = None) -> None:
    import torch

    torch.set_num_threads(threads)
    if parent is not None:
        die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """Make this worker process exit as soon as its driver ``parent`` is gone.

    Three layers: SIGINT is ignored (a Ctrl-C reaches the whole process group; the driver
    alone handles it and stops its workers); on Linux the kernel sends SIGKILL when the parent
    dies (``prctl(PR_SET_PDEATHSIG)``); and a daemon thread polls ``os.getppid()`` for the
    other platforms and for a parent that died before the prctl call.
    """
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
        except (OSError, AttributeError):  # pragma: no cover - exotic libc
            pass
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="noisyprobe-parent-watch", daemon=True).start()


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
                initargs=(self.threads, os.getpid()),
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

        ``on_submit(payload)`` is called when a payload starts: at most ``workers`` are
        handed to the worker processes at a time, so a payload still waiting for a worker
        is not reported (nor marked ``running`` in a ledger) before it starts.
        """
        if self._pool is None:
            for payload in payloads:
                if on_submit is not None:
                    on_submit(payload)
                out = call(kind, payload)
                yield payload, out.get("result"), out.get("error")
            return
        from concurrent.futures import FIRST_COMPLETED, wait

        waiting = iter(payloads)
        futures: dict[Any, dict[str, Any]] = {}

        def submit_next() -> None:
            payload = next(waiting, None)
            if payload is not None:
                if on_submit is not None:
                    on_submit(payload)
                futures[self._pool.submit(call, kind, payload)] = payload

        try:
            for _ in range(self.workers):
                submit_next()
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    payload = futures.pop(future)
                    out = future.result()
                    submit_next()
                    yield payload, out.get("result"), out.get("error")
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        """Shut the workers down: wait for them normally, kill them while an error unwinds.

        On Ctrl-C (or any exception) nobody will record the stacks in flight, so the workers
        are killed at once instead of finishing them: the driver stops within a second.
        """
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if sys.exc_info()[0] is None:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            with contextlib.suppress(OSError, ValueError):  # already gone
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=5)
