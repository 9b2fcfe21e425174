"""The frozen-encoder protocol every backbone implements."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np


class Backbone(ABC):
    """A frozen encoder: a batch of samples in, float32 features [B, D] out.

    Subclasses set ``name``, ``modality`` (``"text"``/``"image"``), ``dim`` and
    ``fingerprint`` (hash of the weights), and implement :meth:`encode`.
    ``preprocessing`` describes what is done to inputs (goes into FeatureSet manifests).
    """

    name: str
    modality: str
    dim: int
    fingerprint: str
    preprocessing: dict[str, Any]

    @property
    def id(self) -> str:
        """``name@fingerprint``: identifies the exact weights that made a feature cache."""
        return f"{self.name}@{self.fingerprint}"

    @abstractmethod
    def encode(self, batch: Sequence[Any]) -> np.ndarray:
        """Encode a batch; returns float32 [len(batch), dim], independent of batch mates."""

    def sort_key(self, item: Any) -> int:
        """Key for grouping similar-cost items into batches (text: length). Default: none."""
        return 0


def fingerprint_state_dict(state: dict[str, Any]) -> str:
    """sha256 (16 hex) over the names, shapes and bytes of a torch state dict.

    Any tensor dtype works (bfloat16 included): the raw bytes are hashed.

    Example:
        >>> import torch
        >>> a = fingerprint_state_dict({"w": torch.zeros(2)})
        >>> a == fingerprint_state_dict({"w": torch.ones(2)})
        False
    """
    import torch

    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key]
        digest.update(key.encode())
        if hasattr(tensor, "detach"):
            flat = tensor.detach().cpu().contiguous().reshape(-1)
            digest.update(str(tuple(tensor.shape)).encode())
            digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]
