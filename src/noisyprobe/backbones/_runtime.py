"""Where and how a backbone runs: device validation and a scoped torch thread count."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from noisyprobe.errors import NoisyProbeError


def check_device(device: Any) -> str:
    """A torch device string that exists on this machine (``"cpu"``, ``"cuda"``, ``"cuda:1"``).

    Example:
        >>> check_device("cpu")
        'cpu'
    """
    import torch

    try:
        dev = torch.device(str(device))
    except RuntimeError:
        raise NoisyProbeError(
            f"option device: expected 'cpu' or 'cuda[:N]', got {device!r}"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise NoisyProbeError(f"option device: {device!r} requested but CUDA is not available")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise NoisyProbeError(f"option device: expected 'cpu' or 'cuda[:N]', got {device!r}")
    return str(dev)


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Run the block with ``num_threads`` intra-op threads, then restore the previous count.

    ``None`` leaves torch's setting alone (by default one thread per core).

    Example:
        >>> import torch
        >>> before = torch.get_num_threads()
        >>> with torch_threads(1):
        ...     torch.get_num_threads()
        1
        >>> torch.get_num_threads() == before
        True
    """
    import torch

    if num_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Hide ``transformers``' per-load progress bar for the block (restored afterwards).

    Example:
        >>> with quiet_transformers():
        ...     pass
    """
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
