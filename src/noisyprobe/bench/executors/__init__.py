"""Executors run work functions over payloads and hand results back to the driver.

Every executor has the same small interface: ``map(kind, payloads)`` yields
``(payload, result, error)`` in completion order, where ``kind`` names a work function of
:mod:`noisyprobe.bench.execute` (``"stack"`` or ``"regime"``) and exactly one of ``result``
and ``error`` (a one-line reason) is set. The driver alone writes the ledger.

Example:
    >>> ex = get("local")
    >>> ex.name
    'local'
    >>> ex.close()
"""

from __future__ import annotations

from typing import Any

from noisyprobe.errors import NoisyProbeError

EXECUTORS = ("local", "ray")


def check(name: str) -> None:
    """Raise now if executor ``name`` is unknown or its optional package is missing."""
    from noisyprobe.errors import require

    if name not in EXECUTORS:
        raise NoisyProbeError(f"unknown executor {name!r}; expected one of: {', '.join(EXECUTORS)}")
    if name == "ray":
        require("ray", extra="ray")


def get(name: str, **options: Any):
    """An executor by name: ``local`` (workers, threads) or ``ray`` (address, cpus_per_task)."""
    if name == "local":
        from noisyprobe.bench.executors.local import LocalExecutor

        return LocalExecutor(**options)
    if name == "ray":
        from noisyprobe.bench.executors.ray_executor import RayExecutor

        return RayExecutor(**options)
    raise NoisyProbeError(f"unknown executor {name!r}; expected one of: {', '.join(EXECUTORS)}")


def call(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run work function ``kind`` on ``payload``; errors become ``{"error": "Type: message"}``."""
    from noisyprobe.bench import execute

    functions = {"stack": execute.run_stack, "regime": execute.run_regime}
    try:
        return {"result": functions[kind](payload)}
    except Exception as exc:  # reported per stack; the grid goes on
        message = " ".join(str(exc).split()) or "(no message)"
        return {"error": f"{type(exc).__name__}: {message}"}
