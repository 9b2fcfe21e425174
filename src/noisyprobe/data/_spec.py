"""What the registry knows about one named dataset: how to load it and where it comes from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from noisyprobe._registry import Registry
from noisyprobe.data.base import Dataset


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset.

    Attributes:
        name: registry name.
        modality: ``"text"`` or ``"image"``.
        summary: one line for ``noisyprobe datasets list``.
        load: ``load(**options) -> Dataset`` (keyword-only options).
        locate: ``locate(**options) -> Path``: obtain the source (download it when the
            dataset has a download step) and return where it is on disk.
    """

    name: str
    modality: str
    summary: str
    load: Callable[..., Dataset]
    locate: Callable[..., Path]

    def __call__(self, **options: object) -> Dataset:
        return self.load(**options)


REGISTRY: Registry[Dataset] = Registry("dataset")


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add a dataset to the registry (each dataset module calls this once, on import)."""
    REGISTRY.register(spec.name)(spec)
    return spec
