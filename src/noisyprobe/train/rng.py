"""Per-run random streams derived from a run's seed.

Each run draws its initial weights, its data order and its method randomness (mixup, ...) from
separate generators seeded by hashing (seed, stream name). A run's randomness therefore never
depends on which other runs share its stack, and runs with the same seed share their data
order and initialisation whatever their method or labels.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

INIT, ORDER, METHOD = "init", "order", "method"


def derive_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for ``stream`` of run seed ``seed`` (stable across platforms).

    Example:
        >>> derive_seed(0, "init") == derive_seed(0, "init") != derive_seed(0, "order")
        True
    """
    digest = hashlib.blake2b(f"noisyprobe/{int(seed)}/{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def torch_generator(seed: int, stream: str) -> torch.Generator:
    """A CPU torch generator for one stream of one run.

    Example:
        >>> a = torch.rand(2, generator=torch_generator(3, "order"))
        >>> b = torch.rand(2, generator=torch_generator(3, "order"))
        >>> bool(torch.equal(a, b))
        True
    """
    return torch.Generator().manual_seed(derive_seed(seed, stream))


def numpy_generator(seed: int, stream: str) -> np.random.Generator:
    """A NumPy generator for one stream of one run."""
    return np.random.default_rng(derive_seed(seed, stream))


def epoch_permutations(seed: int, num_samples: int, epochs: int) -> list[torch.Tensor]:
    """The data order of every epoch of a run with this seed (what the trainer uses).

    Example:
        >>> [p.tolist() for p in epoch_permutations(0, 3, 1)][0] in ([0, 1, 2], [0, 2, 1],
        ...     [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0])
        True
    """
    gen = torch_generator(seed, ORDER)
    return [torch.randperm(num_samples, generator=gen) for _ in range(epochs)]
