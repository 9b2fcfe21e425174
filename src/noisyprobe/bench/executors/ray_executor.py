"""The Ray executor: each stack is a Ray task; the driver collects results and writes the ledger.

For grids that outgrow one machine. ``ray`` is imported only here (``pip install
'noisyprobe[ray]'``). Every node needs noisyprobe installed and the FeatureSets at the same
path (a shared filesystem); workers send back plain dicts, and only the driver touches the
ledger, so a killed driver loses nothing that was recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from noisyprobe.errors import NoisyProbeError, require


def _task(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    from noisyprobe.bench.executors import call

    return call(kind, payload)


class RayExecutor:
    """Run stacks as Ray tasks.

    Args:
        address: a running cluster (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``);
            ``None`` starts a local Ray instance (and stops it on :meth:`close`).
        num_cpus: CPUs of the local instance (``None``: all); ignored with ``address``.
        cpus_per_task: CPUs Ray reserves per stack (PyTorch uses that many threads).
        max_in_flight: at most this many tasks submitted and unfinished at once
            (bounds the object store; default 4 per CPU of the cluster).
    """

    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        num_cpus: int | None = None,
        cpus_per_task: int = 1,
        max_in_flight: int | None = None,
    ) -> None:
        ray = require("ray", extra="ray")
        if not isinstance(cpus_per_task, int) or cpus_per_task < 1:
            raise NoisyProbeError(
                f"cpus_per_task: expected a positive integer, got {cpus_per_task!r}"
            )
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if address:
                kwargs["address"] = address
            elif num_cpus:
                kwargs["num_cpus"] = num_cpus
            try:
                ray.init(**kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise NoisyProbeError(
                    f"cannot start or reach Ray at {address or 'local'}: {exc}"
                ) from None
        cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
        self.max_in_flight = max_in_flight or max(1, 4 * cluster_cpus // cpus_per_task)
        self._remote = ray.remote(num_cpus=cpus_per_task, max_retries=2)(_task)

    def map(
        self,
        kind: str,
        payloads: Sequence[dict[str, Any]],
        *,
        on_submit: Callable[[dict[str, Any]], None] | None = None,
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None, str | None]]:
        """Yield ``(payload, result, error)`` for every payload, in completion order.

        ``on_submit(payload)`` is called when a payload is submitted to the cluster.
        """
        ray = self._ray
        queue = list(payloads)
        queue.reverse()
        in_flight: dict[Any, dict[str, Any]] = {}
        try:
            while queue or in_flight:
                while queue and len(in_flight) < self.max_in_flight:
                    payload = queue.pop()
                    if on_submit is not None:
                        on_submit(payload)
                    in_flight[self._remote.remote(kind, payload)] = payload
                done, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in done:
                    payload = in_flight.pop(ref)
                    try:
                        out = ray.get(ref)
                    except Exception as exc:  # a lost worker or node: reported, grid goes on
                        yield (
                            payload,
                            None,
                            f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}",
                        )
                        continue
                    yield payload, out.get("result"), out.get("error")
        finally:
            for ref in in_flight:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()
            self._owns = False
